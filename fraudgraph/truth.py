"""Ground truth: pattern instances, node and edge labels, label noise and delay, schedules.

The public node and edge tables never carry labels; these tables go to
``truth/``. Labels follow real operations: a share of fraud is never
labelled, and each labelled instance is confirmed a log-normal delay after it
ends; anything confirmed after the simulation end is unlabelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.schema import Property as P
from fraudgraph.schema import TableSpec
from fraudgraph.units import DAY

LABEL_DELAY_SIGMA = 0.8  # log-normal shape of the confirmation delay

PATTERNS = TableSpec("patterns", "One row per injected instance, fraud or decoy.", (
    P("pattern_id", "string", "Instance id."),
    P("typology", "string", "Injector name, e.g. kiting_cycle."),
    P("variant", "string", "Sub-typology (e.g. fan_in), or empty.", nullable=True),
    P("is_fraud", "bool", "False for legitimate look-alikes (decoys)."),
    P("start", "datetime", "Start of the instance's activity."),
    P("end", "datetime", "End of the instance's activity."),
    P("n_members", "int", "Number of member nodes."),
    P("members", "string", "JSON list of [label, id, role]."),
    P("parameters", "string", "JSON object of what the injector decided."),
    P("labeled", "bool", "Whether operations would know it as fraud by the simulation end."),
    P("fraud_confirmed_at", "datetime", "When it was confirmed (labelled instances only).", nullable=True),
))
NODE_LABELS = TableSpec("node_labels", "One row per (node, instance) it belongs to.", (
    P("label", "string", "Node type.", tuple(schema.NODE_TYPES)),
    P("id", "string", "Node id."),
    P("is_fraud", "bool", "Ground truth."),
    P("fraud_type", "string", "Typology of the instance."),
    P("pattern_id", "string", "Instance id."),
    P("role", "string", "Role in the instance (collector, mule, insider, victim, ...)."),
    P("labeled", "bool", "Whether the instance is labelled by the simulation end."),
))
EDGE_LABELS = TableSpec("edge_labels", "One row per (edge, instance) it belongs to.", (
    P("edge_type", "string", "Edge file stem, e.g. Account_TRANSFERS_TO_Account."),
    P("src", "string", "Source id."),
    P("dst", "string", "Target id."),
    P("is_fraud", "bool", "Ground truth."),
    P("fraud_type", "string", "Typology of the instance."),
    P("pattern_id", "string", "Instance id."),
    P("role", "string", "Role of the edge in the instance."),
    P("labeled", "bool", "Whether the instance is labelled by the simulation end."),
))
SCHEDULE = TableSpec("schedule", "Scripted events of the instances, for the timeline to walk.", (
    P("pattern_id", "string", "Instance id."),
    P("step", "int", "Order within the instance."),
    P("time", "datetime", "When it happens."),
    P("kind", "string", "What happens (transfer, card_payment, trade, login, identity_change, ...)."),
    P("edge_type", "string", "Edge file stem it flows on, or empty for node events.", nullable=True),
    P("src", "string", "Source id (or the node of a node event)."),
    P("dst", "string", "Target id, or empty.", nullable=True),
    P("amount", "float", "Money moved, if any.", nullable=True),
    P("quantity", "float", "Shares or items, if any.", nullable=True),
    P("detail", "string", "Extra detail (side of a trade, field changed, ...).", nullable=True),
))
PHASES = ("new", "engaged", "cooling", "at_risk", "churned")
RISK_TIERS = ("low", "medium", "high")
LIFECYCLE = TableSpec("lifecycle", "One row per person: churn-risk tier and when each engagement phase began.", (
    P("person_id", "string", "Person id."),
    P("risk_tier", "string", "Churn-risk tier.", RISK_TIERS),
    P("new_from", "datetime", "Joined: the onboarding phase (its first 30 days)."),
    P("engaged_from", "datetime", "End of onboarding."),
    P("cooling_from", "datetime", "Activity starts to fall (empty: not before the span ends).", nullable=True),
    P("at_risk_from", "datetime", "Activity falls further (empty: not before the span ends).", nullable=True),
    P("churned_at", "datetime", "Left: no activity of theirs from here on (empty: not before the span ends).", nullable=True),
    P("closes_accounts", "bool", "Whether they close their accounts on leaving (else the accounts go dormant)."),
    P("phase_at_end", "string", "Phase on the span's last day.", PHASES),
))
TRIPS = TableSpec("trips", "One row per trip a person takes (see fraudgraph.population.travel).", (
    P("trip_id", "string", "Trip id."),
    P("person_id", "string", "The traveller."),
    P("purpose", "string", "Why they travel.", ("business", "leisure")),
    P("departs_at", "datetime", "Leaves home (no logins until they arrive)."),
    P("arrives_at", "datetime", "Arrives at the destination; logins and payments come from there."),
    P("leaves_at", "datetime", "Leaves the destination (no logins until back home)."),
    P("returns_at", "datetime", "Back home."),
    P("origin_country", "string", "Country of residence.", schema.COUNTRIES),
    P("origin_city", "string", "City of residence."),
    P("destination_country", "string", "Country of the destination.", schema.COUNTRIES),
    P("destination_city", "string", "City of the destination."),
    P("hotel_ip_id", "string", "The hotel Wi-Fi address the traveller connects from there."),
    P("roaming_ip_id", "string", "The mobile address there (travellers with a phone or mobile browser).", nullable=True),
    P("travel_notice", "bool", "Whether the customer announced the trip (a travel notice: the bank knew of it)."),
))
TABLES = (PATTERNS, NODE_LABELS, EDGE_LABELS, SCHEDULE, TRIPS, LIFECYCLE)


@dataclass
class Truth:
    """The truth tables of a dataset (``lifecycle`` is empty where the scenario turns it off)."""

    patterns: pd.DataFrame
    node_labels: pd.DataFrame
    edge_labels: pd.DataFrame
    schedule: pd.DataFrame
    trips: pd.DataFrame
    lifecycle: pd.DataFrame | None = None

    def __post_init__(self):
        if self.lifecycle is None:
            from fraudgraph.graph import empty_table

            self.lifecycle = empty_table(LIFECYCLE)

    def tables(self) -> dict[str, tuple[TableSpec, pd.DataFrame]]:
        return {spec.name: (spec, getattr(self, spec.name)) for spec in TABLES}

    @classmethod
    def empty(cls) -> "Truth":
        from fraudgraph.graph import empty_table

        return cls(*(empty_table(spec) for spec in TABLES))

    def fraud_node_ids(self, label: str | None = None, typology: str | None = None) -> set[str]:
        rows = self.node_labels[self.node_labels["is_fraud"]]
        if label is not None:
            rows = rows[rows["label"] == label]
        if typology is not None:
            rows = rows[rows["fraud_type"] == typology]
        return set(rows["id"])


def confirmation(rng: np.random.Generator, is_fraud: np.ndarray, end: np.ndarray, sim_end: int,
                 unlabeled_share: float, mean_delay_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels as operations would see them at the simulation end.

    Returns
    -------
    labeled : bool array
    confirmed_at : int64 seconds (meaningful where labeled)
    """
    n = is_fraud.size
    mu = np.log(mean_delay_days) - LABEL_DELAY_SIGMA**2 / 2  # so that the mean delay is mean_delay_days
    delay = np.exp(rng.normal(mu, LABEL_DELAY_SIGMA, n)) * DAY
    confirmed = end + delay.astype(np.int64)
    labeled = is_fraud & (rng.random(n) >= unlabeled_share) & (confirmed < sim_end)
    return labeled, confirmed


def build_truth(instances, rng: np.random.Generator, sim_end: int, unlabeled_share: float,
                mean_delay_days: float, id_space: tuple[int, int] = (0, 1), trips: pd.DataFrame | None = None) -> Truth:
    """Turn injected instances into the truth tables (pattern ids are drawn from ``rng`` in ``id_space``).

    ``trips`` is the population's trip table (:data:`TRIPS`), passed through.
    """
    from fraudgraph.graph import conform, empty_table, random_ids

    trips = empty_table(TRIPS) if trips is None else conform(TRIPS, trips)
    if not instances:
        truth = Truth.empty()
        truth.trips = trips
        return truth
    n = len(instances)
    pattern_ids, _ = random_ids("pat_", n, rng, space=id_space)
    is_fraud = np.array([i.is_fraud for i in instances], dtype=bool)
    ends = np.array([i.end for i in instances], dtype=np.int64)
    labeled, confirmed = confirmation(rng, is_fraud, ends, sim_end, unlabeled_share, mean_delay_days)
    patterns = pd.DataFrame({
        "pattern_id": pattern_ids,
        "typology": [i.typology for i in instances],
        "variant": [i.variant or None for i in instances],
        "is_fraud": is_fraud,
        "start": np.array([i.start for i in instances], dtype=np.int64).astype("datetime64[s]"),
        "end": ends.astype("datetime64[s]"),
        "n_members": [len(i.members) for i in instances],
        "members": [json.dumps([list(m) for m in i.members]) for i in instances],
        "parameters": [json.dumps(i.parameters, sort_keys=True, default=_jsonable) for i in instances],
        "labeled": labeled,
        "fraud_confirmed_at": pd.Series(np.where(labeled, confirmed, 0).astype("datetime64[s]")).where(labeled, pd.NaT),
    })
    node_rows, edge_rows, schedules = [], [], []
    for pid, inst, lab in zip(pattern_ids, instances, labeled):
        for label, node_id, role in inst.members:
            node_rows.append((label, node_id, inst.is_fraud, inst.typology, pid, role, bool(lab)))
        for key, src, dst, role in inst.edges:
            edge_rows.append((schema.edge_type(key).file_stem, src, dst, inst.is_fraud, inst.typology, pid, role, bool(lab)))
        if len(inst.schedule):
            sched = inst.schedule.sort_values("time", kind="stable").reset_index(drop=True)
            schedules.append(sched.assign(pattern_id=pid, step=np.arange(len(sched))))
    node_labels = pd.DataFrame(node_rows, columns=list(NODE_LABELS.columns)).drop_duplicates(["label", "id", "pattern_id"])
    edge_labels = pd.DataFrame(edge_rows, columns=list(EDGE_LABELS.columns)).drop_duplicates(["edge_type", "src", "dst", "pattern_id"])
    schedule = pd.concat(schedules, ignore_index=True) if schedules else pd.DataFrame({c: [] for c in SCHEDULE.columns})
    schedule = schedule.assign(time=pd.to_datetime(schedule["time"].astype("int64"), unit="s"))
    for col in ("edge_type", "dst", "detail"):
        schedule[col] = schedule[col].where(schedule[col].astype(str) != "", None)
    return Truth(
        patterns=conform(PATTERNS, patterns).sort_values("pattern_id", ignore_index=True),
        node_labels=conform(NODE_LABELS, node_labels).sort_values(["label", "id", "pattern_id"], ignore_index=True),
        edge_labels=conform(EDGE_LABELS, edge_labels).sort_values(["edge_type", "src", "dst", "pattern_id"], ignore_index=True),
        schedule=conform(SCHEDULE, schedule[list(SCHEDULE.columns)]).sort_values(["pattern_id", "step"], ignore_index=True),
        trips=trips,
    )


def graph_labels(truth: Truth, table_type, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the label columns appended (first instance wins when a row has several)."""
    from fraudgraph.graph import isin

    if isinstance(table_type, schema.NodeType):
        rows = truth.node_labels[truth.node_labels["label"] == table_type.label].sort_values(["is_fraud", "pattern_id"], ascending=[False, True])
        rows = rows.drop_duplicates("id").set_index("id")
        keys = frame["id"]
    else:
        rows = truth.edge_labels[truth.edge_labels["edge_type"] == table_type.file_stem]
        rows = rows.sort_values(["is_fraud", "pattern_id"], ascending=[False, True]).drop_duplicates(["src", "dst"])
        rows = rows.assign(key=rows["src"] + "|" + rows["dst"]).set_index("key")
        keys = frame["src"] + "|" + frame["dst"]
    out = frame.copy()
    fraud_keys = pd.Series(rows.index[rows["is_fraud"].to_numpy(dtype=bool)], dtype="str")
    out["is_fraud"] = np.asarray(isin(keys.astype("str"), fraud_keys), dtype=bool)
    for col, src in (("fraud_type", "fraud_type"), ("pattern_id", "pattern_id"), ("fraud_role", "role")):
        out[col] = keys.map(rows[src]).to_numpy()
    out.loc[~out["is_fraud"], ["fraud_type", "pattern_id", "fraud_role"]] = None
    return out


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
