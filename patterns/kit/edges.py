"""Edges batched and added with one ``Toolkit.link`` per edge type (a Toolkit call costs more than a row)."""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.units import to_datetime


class EdgeQueue:
    """Edges queued one at a time during a call and added in one ``Toolkit.link`` per edge type by ``flush``.

    ``since`` values are epoch seconds; other properties keep their Python type
    (strings become object columns).
    """

    def __init__(self, kit: Toolkit):
        self.kit = kit
        self._pending: dict[tuple, list] = {}

    def queue(self, key, src: str, dst: str, **props) -> None:
        self._pending.setdefault(key, []).append((src, dst, props))

    def flush(self) -> dict[tuple, tuple[list, np.ndarray]]:
        """Add the queued edges; per edge type, the queued ``(src, dst, props)`` rows and which pairs were new."""
        added = {}
        for key, rows in self._pending.items():
            props = {name: [r[2][name] for r in rows] for name in rows[0][2]}
            props = {name: to_datetime(v) if name == "since" else np.asarray(v, dtype=object if isinstance(v[0], str) else None)
                     for name, v in props.items()}
            added[key] = (rows, self.kit.link(key, [r[0] for r in rows], [r[1] for r in rows], **props))
        self._pending = {}
        return added


class Links:
    """Edges buffered and added with one ``Toolkit.link`` call per edge type (Toolkit calls cost more than rows).

    ``add`` takes what ``Toolkit.link`` takes plus the draft that records the edges (all of them,
    or with ``new_only`` only the pairs that did not exist yet). Every node must exist by ``flush``.
    """

    def __init__(self, kit: Toolkit):
        self.kit = kit
        self._parts: dict[tuple, list] = {}

    def add(self, key, src, dst, *, draft: Draft | None = None, role: str = "", new_only: bool = False, **props) -> None:
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

    def flush(self) -> None:
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
        self._parts = {}
