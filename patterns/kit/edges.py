"""The one edge batcher: edges gathered during an injector call and added with one ``Toolkit.link`` per edge type.

A Toolkit call costs more than a row, so a typology never links edges one by
one: it adds arrays (:meth:`Links.add`) or single edges (:meth:`Links.queue`)
and flushes once. The flush records the edges in the drafts they were added
for and tells, per edge type, which pairs were new.
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.units import to_datetime


class Links:
    """Edges buffered per edge type until :meth:`flush`; every node must exist by then.

    Parameters
    ----------
    kit : Toolkit
        The toolkit whose graph receives the edges.
    """

    def __init__(self, kit: Toolkit):
        self.kit = kit
        self._parts: dict[tuple, list] = {}

    def add(self, key, src, dst, *, draft: Draft | None = None, role: str = "", new_only: bool = False, **props) -> None:
        """Edges ``src -> dst`` (arrays or scalars, broadcast) with properties as ``Toolkit.link`` takes them.

        ``draft`` records the edges with ``role`` (all of them, or with ``new_only`` only the
        pairs that did not exist yet).
        """
        src, dst = np.broadcast_arrays(np.atleast_1d(np.asarray(src, dtype=object)),
                                       np.atleast_1d(np.asarray(dst, dtype=object)))
        n = src.size
        if n == 0:
            return
        cols = {}
        for name, value in props.items():
            if np.ndim(value) == 0:
                value = np.full(n, value, dtype=object if isinstance(value, str) else None)
            cols[name] = np.asarray(value)
        self._parts.setdefault(tuple(key), []).append((src.copy(), dst.copy(), cols, draft, role, new_only))

    def queue(self, key, src: str, dst: str, **props) -> None:
        """One edge with scalar properties; ``since`` in epoch seconds."""
        cols = {name: to_datetime([value]) if name == "since"
                else np.asarray([value], dtype=object if isinstance(value, str) else None)
                for name, value in props.items()}
        self.add(key, [src], [dst], **cols)

    def flush(self) -> dict[tuple, tuple[list, np.ndarray]]:
        """Add every buffered edge; per edge type, its ``(src, dst, properties)`` rows and which were new pairs."""
        added = {}
        for key, parts in self._parts.items():
            src = np.concatenate([p[0] for p in parts])
            dst = np.concatenate([p[1] for p in parts])
            props = {name: np.concatenate([p[2][name] for p in parts]) for name in parts[0][2]}
            new = self.kit.link(key, src, dst, **props)
            offset = 0
            for s, d, _, draft, role, new_only in parts:
                mask = new[offset: offset + s.size]
                offset += s.size
                if draft is not None:
                    draft.edge(key, s, d, role, mask=mask if new_only else None)
            rows = [(a, b, {name: values[i] for name, values in props.items()}) for i, (a, b) in enumerate(zip(src, dst))]
            added[key] = (rows, new)
        self._parts = {}
        return added
