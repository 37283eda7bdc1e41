"""Temporal splits that cannot leak: periods, node assignment by pattern instance, visible labels.

A dataset's span is cut at two instants into a train, a validation and a test
period (:class:`Cutoffs`). Three rules keep the future out of training:

* **Graphs by time.** A split's graph holds only the edges and events before
  its cut-off (:func:`visible_until`).
* **Labels as operations know them.** In training a fraud label is visible
  only if the instance was labelled and confirmed (``fraud_confirmed_at``)
  before the training cut-off (:func:`visible_labels`); unconfirmed and never-labelled
  fraud stays unlabelled, as it does in a real bank. Validation and test are
  scored against the exact truth (:func:`exact_labels`).
* **Instances stay whole, every typology in every split.** The persons and
  accounts of a pattern instance, fraud or decoy, and of every instance sharing
  one of them, fall in the same split (:func:`node_splits`). Such groups are ranked by
  their earliest start within their typology and kind (fraud or decoy): the
  earliest take the training share, the next the validation share, the latest
  the test share, and no group is placed in a split whose cut-off precedes the
  start of one of its instances. A venue shared by several groups (the listed
  company of every insider who trades it, a merchant, a circle, a recycled IP)
  joins none of them and takes the latest of their splits: joined through it, all
  of a typology's instances made one group, which went to a single split (no
  insider trading was ever trained on). Placing by start alone would leave the test period almost without
  the long-running typologies (a scheme of months rarely starts in the last
  weeks), so that a model could not be scored on them. Other nodes are placed
  at a seeded uniform time in the span, so that the split says nothing about a
  node's class. Masks are disjoint, and within a typology ordered in time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from fraudgraph.errors import ConfigError
from fraudgraph.seeding import SeedTree
from fraudgraph.truth import Truth

SPLITS = ("train", "valid", "test")
#: Node types whose sharing makes two instances one scheme (a venue or a device shared is not enough).
PARTIES = ("Person", "Account")


@dataclass(frozen=True)
class Cutoffs:
    """The span ``[start, end)`` cut into train ``[start, train_end)``, valid ``[train_end, valid_end)``
    and test ``[valid_end, end)`` (all ``datetime64[s]``, UTC)."""

    start: np.datetime64
    train_end: np.datetime64
    valid_end: np.datetime64
    end: np.datetime64

    FIELDS = ("start", "train_end", "valid_end", "end")

    def to_dict(self) -> dict[str, str]:
        """The four instants as ISO-8601 UTC text (as ``gnn/metadata.json`` records them)."""
        return {name: str(getattr(self, name)) + "Z" for name in self.FIELDS}

    @classmethod
    def from_dict(cls, values: dict[str, str]) -> Cutoffs:
        """The cut-offs :meth:`to_dict` wrote."""
        return cls(*(np.datetime64(values[name].rstrip("Z"), "s") for name in cls.FIELDS))

    def period(self, times) -> np.ndarray:
        """0, 1 or 2 (train, valid, test) for each time in the span."""
        t = np.asarray(times, dtype="datetime64[s]")
        return (t >= self.train_end).astype(np.int8) + (t >= self.valid_end).astype(np.int8)


def cutoffs(start_date: dt.date, days: int, train: float = 0.6, valid: float = 0.2) -> Cutoffs:
    """Cut ``days`` from ``start_date`` at whole days: the first ``train`` share for training, the next
    ``valid`` share for validation, the rest for testing.

    Parameters
    ----------
    start_date : datetime.date
        First day of the span.
    days : int
        Length of the span; each period gets at least one day.
    train, valid : float
        Shares of the span, with ``0 < train``, ``0 < valid`` and ``train + valid < 1``.

    Returns
    -------
    Cutoffs

    Examples
    --------
    >>> import datetime as dt
    >>> c = cutoffs(dt.date(2025, 1, 1), 30)
    >>> str(c.train_end), str(c.valid_end)
    ('2025-01-19T00:00:00', '2025-01-25T00:00:00')
    """
    if not 0 < train < 1:
        raise ConfigError(f"The 'train' share must be in (0, 1). Got {train!r} instead.")
    if not 0 < valid < 1 or train + valid >= 1:
        raise ConfigError(f"The 'valid' share must be in (0, 1 - train) = (0, {1 - train:g}). Got {valid!r} instead.")
    if days < 3:
        raise ConfigError(f"The 'days' of the span must be at least 3 to cut it in three. Got {days!r} instead.")
    first = max(1, min(days - 2, round(days * train)))
    second = max(first + 1, min(days - 1, round(days * (train + valid))))
    base = np.datetime64(start_date, "s")
    day = np.timedelta64(86_400, "s")
    return Cutoffs(base, base + first * day, base + second * day, base + days * day)


def node_splits(ids, label: str, truth: Truth, cut: Cutoffs, seed: int,
                placed: pd.DataFrame | None = None) -> np.ndarray:
    """The split (0 train, 1 valid, 2 test) of each node ``ids`` of type ``label``.

    Members of pattern instances take the split of their group
    (:func:`instance_splits`, or ``placed`` when the caller has it already);
    every other node the period of a uniform time drawn from the seed.
    """
    ids = pd.Index(np.asarray(ids, dtype=object))
    rng = SeedTree(seed).rng("gnn", "splits", label)
    span = (cut.end - cut.start).astype(np.int64)
    split = cut.period(cut.start + rng.integers(0, span, len(ids)).astype("timedelta64[s]"))
    placed = instance_splits(truth, cut) if placed is None else placed
    mine = placed[placed["label"] == label].set_index("id")["split"]
    at = mine.reindex(ids)
    known = at.notna().to_numpy()
    split[known] = at.to_numpy()[known].astype(np.int8)
    return split


def instance_splits(truth: Truth, cut: Cutoffs) -> pd.DataFrame:
    """``label``, ``id`` and ``split`` of every member of an instance.

    Instances joined by a shared party (a :data:`PARTIES` member: a person or an
    account) form a group, which keeps the typology and kind of its earliest
    instance. Within each typology and kind, groups in order of their earliest
    start take the three splits in the shares of the periods (rounded, the latest
    ones tested first), then move later where the start of one of their instances
    is not before the split's cut-off. A venue several groups share (the listed
    company whose news insiders trade on, a merchant, a recycled IP) does not join
    them: it takes the latest of their splits.
    """
    members = truth.node_labels.loc[:, ["label", "id", "pattern_id"]].drop_duplicates()
    patterns = truth.patterns.set_index("pattern_id")
    graph = nx.Graph()
    graph.add_nodes_from(("p", p) for p in patterns.index)
    parties = members[members["label"].isin(PARTIES)]
    graph.add_edges_from((("p", p), ("n", lbl, i)) for lbl, i, p in parties.itertuples(index=False))
    groups = []
    for component in nx.connected_components(graph):
        inside = patterns.loc[sorted(node[1] for node in component if node[0] == "p")]
        first = inside.sort_values("start", kind="stable").iloc[0]
        groups.append((str(first["typology"]), bool(first["is_fraud"]), np.datetime64(first["start"], "s"),
                       first.name, np.datetime64(inside["start"].max(), "s"), list(inside.index)))
    groups.sort(key=lambda g: (g[0], g[1], g[2], g[3]))
    shares = np.array([(cut.train_end - cut.start), (cut.valid_end - cut.train_end), (cut.end - cut.valid_end)],
                      dtype=np.float64) / float((cut.end - cut.start).astype(np.int64))
    placed = {}
    for _, same in itertools.groupby(groups, key=lambda g: (g[0], g[1])):
        same = list(same)
        ranked = _ranked_splits(len(same), shares)
        first_allowed = cut.period(np.array([g[4] for g in same], dtype="datetime64[s]"))  # by the latest start
        for group, split in zip(same, np.maximum(ranked, first_allowed)):
            placed.update(dict.fromkeys(group[5], int(split)))
    members = members.assign(split=members["pattern_id"].map(placed).astype(np.int64))
    frame = members.groupby(["label", "id"], sort=True, as_index=False)["split"].max()
    return frame.reset_index(drop=True)


def _ranked_splits(n: int, shares: np.ndarray) -> np.ndarray:
    """Splits of ``n`` groups in time order: the last ``round(n * test share)`` test (at least one of
    two), the ``round(n * valid share)`` before them validation (at least one of three), the rest training."""
    test = max(int(np.floor(n * shares[2] + 0.5)), int(n >= 2))
    valid = min(max(int(np.floor(n * shares[1] + 0.5)), int(n >= 3)), n - test)
    return np.repeat(np.array([0, 1, 2], dtype=np.int8), [n - test - valid, valid, test])


def exact_labels(ids, label: str, truth: Truth) -> np.ndarray:
    """Whether each node took part in a fraud instance (the truth, for scoring)."""
    fraud = truth.node_labels[(truth.node_labels["label"] == label).to_numpy() & truth.node_labels["is_fraud"]]
    return pd.Index(np.asarray(ids, dtype=object)).isin(fraud["id"].to_numpy(object))


def visible_labels(ids, label: str, truth: Truth, at: np.datetime64) -> np.ndarray:
    """Whether each node's fraud was known at ``at``: an instance it took part in was labelled and
    confirmed before ``at``. Unconfirmed fraud reads as not (yet) fraud."""
    p = truth.patterns
    known = p.loc[p["is_fraud"] & p["labeled"] & (p["fraud_confirmed_at"].to_numpy("datetime64[s]") < at),
                  "pattern_id"]
    rows = truth.node_labels
    rows = rows[(rows["label"] == label).to_numpy() & rows["pattern_id"].isin(known).to_numpy()]
    return pd.Index(np.asarray(ids, dtype=object)).isin(rows["id"].to_numpy(object))


def visible_until(times, cutoff: np.datetime64) -> np.ndarray:
    """Which edges or events (by their time) a split whose cut-off is ``cutoff`` may hold."""
    return np.asarray(times, dtype="datetime64[s]") < cutoff
