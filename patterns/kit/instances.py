"""The one builder of pattern instances: members and edges de-duplicated, the schedule made once.

Every injector assembles its instances with a :class:`Draft`; nothing else
constructs :class:`~fraudgraph.patterns.base.PatternInstance` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from fraudgraph.patterns.base import (
    SCHEDULE_COLUMNS,
    PatternInstance,
    empty_schedule,
    make_schedule,
)
from fraudgraph.patterns.kit.keys import KNOWS, knows_pair

from fraudgraph import schema

_STOPS = [name for name, kind in schema.SCHEDULE_KINDS.items() if kind.stops_activity]


@dataclass
class Draft:
    """A pattern instance being assembled (members and edges de-duplicated, schedule in parts).

    ``start`` may be left ``None``: the instance then starts at its first
    scheduled row. ``end`` is at least one second after the last row that is
    activity (a row that stops activity from its time on, such as
    ``account_dark``, begins after the window).
    """

    typology: str
    is_fraud: bool
    start: int | None = None
    end: int = 0
    variant: str = ""
    parameters: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)
    edges: dict = field(default_factory=dict)
    parts: list = field(default_factory=list)

    def member(self, label: str, ids, role: str) -> None:
        """Add nodes (one id or many) with ``role``; a node keeps the first role it was given."""
        for i in np.atleast_1d(np.asarray(ids, dtype=object)):
            if i is not None:
                self.members.setdefault((label, str(i)), role)

    def edge(self, key, src, dst, role: str, mask=None) -> None:
        """Add edges of type ``key`` (ids broadcast, ``mask`` selects); self-loops are skipped, KNOWS made canonical."""
        src, dst = np.broadcast_arrays(np.atleast_1d(np.asarray(src, dtype=object)),
                                       np.atleast_1d(np.asarray(dst, dtype=object)))
        keep = np.ones(src.size, bool) if mask is None else np.asarray(mask, bool)
        for s, d, k in zip(src, dst, keep):
            if k and s != d:
                s, d = knows_pair(s, d) if tuple(key) == KNOWS else (s, d)
                self.edges.setdefault((tuple(key), str(s), str(d)), role)

    def schedule(self, time, kind, edge_type, src, dst, amount=None, quantity=None, detail="") -> None:
        """Rows as :func:`make_schedule` takes them (scalars broadcast); one frame is made at :meth:`build`."""
        time = np.atleast_1d(np.asarray(time, dtype=np.int64))
        if time.size:
            cols = [kind, edge_type, src, dst, np.nan if amount is None else amount,
                    np.nan if quantity is None else quantity, detail]
            self.parts.append([time] + [np.broadcast_to(np.asarray(c, dtype=object), time.shape) for c in cols])

    def schedule_frame(self, frame, first: bool = False) -> None:
        """Add the rows of a schedule frame made elsewhere (``first`` puts them before the rows so far)."""
        if len(frame):
            part = [frame["time"].to_numpy(np.int64)] + [frame[c].to_numpy(object) for c in SCHEDULE_COLUMNS[1:]]
            self.parts.insert(0, part) if first else self.parts.append(part)

    def build(self) -> PatternInstance:
        """The finished instance."""
        if self.parts:
            cols = [np.concatenate([p[i] for p in self.parts]) for i in range(8)]
            sched = make_schedule(cols[0], *cols[1:5], amount=cols[5].astype(float), quantity=cols[6].astype(float),
                                  detail=cols[7])
        else:
            sched = empty_schedule()
        if self.start is None and not len(sched):
            raise ValueError(f"a {self.typology} instance needs a start or a scheduled event")
        start = int(sched["time"].min()) if self.start is None else int(self.start)
        active = sched["time"].to_numpy()[~sched["kind"].isin(_STOPS).to_numpy()]
        end = max(int(self.end), int(active.max()) + 1 if active.size else start + 1)
        return PatternInstance(
            typology=self.typology, is_fraud=self.is_fraud, start=start, end=end,
            members=[(label, i, role) for (label, i), role in self.members.items()],
            edges=[(key, s, d, role) for (key, s, d), role in self.edges.items()],
            schedule=sched, parameters=self.parameters, variant=self.variant,
        )
