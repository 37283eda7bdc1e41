"""What a case file shows of one pattern instance: its members, the relationships among them, its look-alike."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.truth import Truth


@dataclass
class Member:
    """A node of the instance: label, id, role and the short name a picture shows."""

    label: str
    id: str
    role: str
    name: str


@dataclass
class Case:
    """One pattern instance as a case file draws it."""

    pattern_id: str
    typology: str
    variant: str
    is_fraud: bool
    start: str
    end: str
    parameters: dict
    members: list[Member]
    links: list[tuple[str, str, str]]              # (src id, relationship type, dst id) among the members
    decoy_of: str | None = None                     # for a look-alike: the fraud case it stands beside
    look_alike: str | None = None                   # for a fraud case: its look-alike's pattern id
    events: list[dict] = field(default_factory=list)

    @property
    def title(self) -> str:
        kind = "fraud" if self.is_fraud else "look-alike"
        variant = f" ({self.variant.replace('_', ' ')})" if self.variant else ""
        return f"{display(self.typology)}{variant}, {kind}"


def display(typology: str) -> str:
    """A typology's name for people: ``ip_recycling`` -> ``IP recycling``."""
    words = typology.split("_")
    return " ".join(w.upper() if w in ("ip",) else w for w in words)


def build_cases(graph: PropertyGraph, truth: Truth) -> list[Case]:
    """Every instance of ``truth`` as a :class:`Case`, fraud first by typology, each look-alike paired.

    A fraud case's look-alike is the decoy of its typology closest to it in start
    time that no other fraud case of the typology has taken (ties by id).
    """
    patterns = truth.patterns.sort_values(["typology", "is_fraud", "start", "pattern_id"],
                                          ascending=[True, False, True, True], kind="stable")
    names = _names(graph)
    links = _links(graph, truth)
    members = truth.node_labels.drop_duplicates(["pattern_id", "label", "id"])
    by_pattern = {pid: rows for pid, rows in members.groupby("pattern_id", sort=False)}
    cases = []
    for row in patterns.itertuples(index=False):
        rows = by_pattern.get(row.pattern_id, members.iloc[:0])
        order = np.lexsort((rows["id"].to_numpy(str), [_label_rank(x) for x in rows["label"]]))
        people = [Member(r.label, r.id, r.role, names.get((r.label, r.id), r.id))
                  for r in rows.iloc[order].itertuples(index=False)]
        ids = {m.id for m in people}
        cases.append(Case(row.pattern_id, row.typology, "" if pd.isna(row.variant) else str(row.variant),
                          bool(row.is_fraud), _iso(row.start), _iso(row.end), _params(row.parameters), people,
                          [link for link in links.get(row.pattern_id, []) if link[0] in ids and link[2] in ids]))
    _pair(cases)
    return cases


def _label_rank(label: str) -> int:
    order = list(schema.NODE_TYPES)
    return order.index(label) if label in order else len(order)


def _iso(value) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _params(text) -> dict:
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}


def _names(graph: PropertyGraph) -> dict[tuple[str, str], str]:
    """A short readable name per node: a person's name, an account's type and last digits, a device's kind."""
    out = {}
    for label, frame in graph.nodes.items():
        ids = frame["id"].astype(str).to_numpy()
        if label in ("Person", "Company", "Circle"):
            text = frame["name"].astype(str).to_numpy()
        elif label == "Account":
            text = (frame["account_type"].astype(str).str.replace("_", " ") + " *" +
                    frame["account_number"].astype(str).str[-4:]).to_numpy()
        elif label == "Device":
            emulator = frame["is_emulator"].fillna(False).astype(bool).to_numpy()
            text = np.where(emulator, frame["device_type"].astype(str) + " emulator",
                            frame["device_type"].astype(str).str.replace("_", " "))
        elif label == "IP":
            text = frame["address"].astype(str).to_numpy()
        else:
            text = ids
        out.update(zip(zip([label] * len(ids), ids), text))
    return out


def _links(graph: PropertyGraph, truth: Truth) -> dict[str, list[tuple[str, str, str]]]:
    """Per instance, the graph relationships whose two ends are both its members."""
    members = truth.node_labels.drop_duplicates(["pattern_id", "id"])[["pattern_id", "id"]].astype(str)
    out: dict[str, list[tuple[str, str, str]]] = {}
    for (src_label, rel, dst_label), frame in graph.edges.items():
        edges = frame[["src", "dst"]].astype(str)
        both = edges.merge(members.rename(columns={"id": "src"}), on="src").merge(
            members.rename(columns={"id": "dst"}), on=["dst", "pattern_id"])
        for pid, src, dst in both[["pattern_id", "src", "dst"]].itertuples(index=False):
            out.setdefault(pid, []).append((src, rel, dst))
    return {pid: sorted(set(v)) for pid, v in out.items()}


def _pair(cases: list[Case]) -> None:
    """Give each fraud case the nearest unused look-alike of its typology."""
    by_typology: dict[str, list[Case]] = {}
    for case in cases:
        by_typology.setdefault(case.typology, []).append(case)
    for group in by_typology.values():
        decoys = [c for c in group if not c.is_fraud]
        for fraud in (c for c in group if c.is_fraud):
            free = [d for d in decoys if d.decoy_of is None]
            if not free:
                break
            best = min(free, key=lambda d: (abs(pd.Timestamp(d.start or 0).value - pd.Timestamp(fraud.start or 0).value),
                                            d.pattern_id))
            best.decoy_of, fraud.look_alike = fraud.pattern_id, best.pattern_id
