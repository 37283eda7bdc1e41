"""Running the pack's detectors against a loaded database and scoring them against a dataset's truth.

Alert queues are judged by what an analyst works through, so the headline is the
precision of the top ``k`` flagged nodes (by the query's score, ties by id): the
share that belong to a fraud instance of any typology. Beside it, per typology,
the share of fraud instances with at least one member flagged (recall), and the
share of decoy instances flagged: a query that cannot tell fraud from its
look-alike says so here.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import pandas as pd

from fraudgraph.queries.pack import Query
from fraudgraph.truth import Truth


@dataclass
class Score:
    """One detector's figures (``recall`` and ``decoys_flagged`` per typology; its own first)."""

    query: str
    typology: str
    flagged: int
    hits: int
    k: int
    precision_at_k: float | None
    recall: dict[str, float] = field(default_factory=dict)
    decoys_flagged: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def ranked(rows: list[dict]) -> pd.DataFrame:
    """The flagged nodes, one row per (label, id) with its highest score, most suspicious first."""
    if not rows:
        return pd.DataFrame(columns=["label", "id", "score", "evidence"])
    frame = pd.DataFrame(rows, columns=["label", "id", "score", "evidence"])
    frame["score"] = pd.to_numeric(frame["score"]).astype(float)
    frame = frame.sort_values(["score", "label", "id"], ascending=[False, True, True], kind="stable")
    return frame.drop_duplicates(["label", "id"], keep="first").reset_index(drop=True)


def score(query: Query, rows: list[dict], truth: Truth, k: int, seconds: float = 0.0) -> Score:
    """Score one detector's rows against ``truth`` (see the module's documentation)."""
    flagged = ranked(rows)
    members = truth.node_labels.loc[:, ["label", "id", "pattern_id"]].merge(
        truth.patterns.loc[:, ["pattern_id", "typology", "is_fraud"]], on="pattern_id")
    keys = pd.MultiIndex.from_frame(flagged[["label", "id"]].astype(str))
    member_keys = pd.MultiIndex.from_frame(members[["label", "id"]].astype(str))
    fraud_keys = member_keys[members["is_fraud"].to_numpy(bool)]
    in_fraud = keys.isin(fraud_keys)
    top = in_fraud[:k]
    hit = members[member_keys.isin(keys)]
    typologies = sorted(truth.patterns["typology"].unique())
    order = [query.typology] + [t for t in typologies if t != query.typology] if query.typology in typologies \
        else typologies
    recall, decoys = {}, {}
    for typology in order:
        of = truth.patterns[truth.patterns["typology"] == typology]
        found = set(hit.loc[hit["typology"] == typology, "pattern_id"])
        fraud, decoy = of[of["is_fraud"]], of[~of["is_fraud"]]
        if len(fraud) and (typology == query.typology or fraud["pattern_id"].isin(found).any()):
            recall[typology] = round(float(fraud["pattern_id"].isin(found).mean()), 4)
        if len(decoy) and (typology == query.typology or decoy["pattern_id"].isin(found).any()):
            decoys[typology] = round(float(decoy["pattern_id"].isin(found).mean()), 4)
    return Score(query.name, query.typology, len(flagged), int(in_fraud.sum()), k,
                 round(float(top.mean()), 4) if len(top) else None, recall, decoys, round(seconds, 2))


def run(session, query: Query, overrides: dict | None = None, timeout: float | None = None) -> tuple[list[dict], float]:
    """The rows of one query (as dicts) and the seconds it took, on an open driver session.

    ``timeout`` (seconds) asks the server to stop the query's transaction after that long.
    """
    from neo4j import Query as Statement

    started = time.perf_counter()
    statement = Statement(query.text, timeout=timeout)
    rows = [record.data() for record in session.run(statement, query.arguments(overrides))]
    return rows, time.perf_counter() - started


def table(scores: list[Score]) -> str:
    """The scores as a fixed-width table: one line per detector."""
    head = ("query", "flagged", "fraud", "P@k", "recall (own)", "decoys flagged (own)", "other typologies found", "s")
    lines = []
    for s in scores:
        own_recall = s.recall.get(s.typology)
        own_decoys = s.decoys_flagged.get(s.typology)
        others = ", ".join(f"{t} {v:.0%}" for t, v in s.recall.items() if t != s.typology and v > 0)
        lines.append((s.query, str(s.flagged), str(s.hits), "-" if s.precision_at_k is None else f"{s.precision_at_k:.2f}",
                      "-" if own_recall is None else f"{own_recall:.0%}", "-" if own_decoys is None else f"{own_decoys:.0%}",
                      others[:60] or "-", f"{s.seconds:.1f}"))
    widths = [max(len(r[i]) for r in [head] + lines) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i in (0, 6) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in [head] + lines)
