"""The contract between pattern injectors and the timeline: schedule kinds declared in schema.SCHEDULE_KINDS.

A world with several instances of every typology (and their decoys) is
simulated once. Every kind the patterns emit must be declared, on the edge type
it declares; every kind that names a consumer family must come out as that
family's events of the emitting instance; a busted-out card stays dark.
"""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fraudgraph.patterns.base import available_patterns, make_schedule

import fraudgraph
from fraudgraph import schema
from fraudgraph.config import STREAMS


@pytest.fixture(scope="module")
def world():
    scenario = fraudgraph.Scenario.from_preset("fraud_heavy").override({
        "persons.count": 2500, "days": 90, "companies.listed_share": 0.2, "circles.participation": 0.15,
        "fraud.person_share": 0.0, "fraud.patterns": {name: {"count": 2} for name in available_patterns()}
        # trade documents: enough instances that each way of documenting a shipment occurs
        | {"trade_based_laundering": {"count": 4, "phantom_share": 0.4, "multiple_invoicing_share": 0.4}}})
    ds = fraudgraph.generate(scenario, seed=4)
    truth, initiated = [], []
    for batch in ds.events():
        truth.append(batch.truth.select(["event_type", "pattern_id"]))
        tx = batch.events.filter(pc.equal(batch.events["event_type"], "transaction-initiated"))
        initiated.append(pa.table({"timestamp": tx["timestamp"], "payload": tx["payload"]}))
    return ds, pa.concat_tables(truth).to_pandas(), pa.concat_tables(initiated).to_pandas()


def test_the_declarations_are_consistent():
    stems = {et.file_stem for et in schema.EDGE_TYPES.values()}
    for name, kind in schema.SCHEDULE_KINDS.items():
        assert kind.name == name and kind.description
        assert kind.family is None or kind.family in STREAMS
        assert kind.on_node and len(kind.on) == 1 or set(kind.on) <= stems, name
    # every family that is handed scripted rows has kinds; every kind with a family names a real one
    assert {k.family for k in schema.SCHEDULE_KINDS.values()} - {None} <= set(STREAMS)


def test_an_undeclared_kind_or_a_wrong_edge_is_refused_when_emitted():
    with pytest.raises(ValueError, match="'wire' is not declared"):
        make_schedule([0], "wire", "Account_TRANSFERS_TO_Account", "acc_1", "acc_2", 10.0)
    with pytest.raises(ValueError, match="'transfer' sits on"):
        make_schedule([0], "transfer", "Account_PAYS_Company", "acc_1", "com_2", 10.0)
    with pytest.raises(ValueError, match="'cash_deposit' sits on"):
        make_schedule([0], "cash_deposit", "Account_PAYS_Company", "acc_1", "", 10.0)


def test_every_kind_emitted_is_declared(world):
    ds, _, _ = world
    s = ds.truth.schedule
    emitted = set(s["kind"])
    assert emitted <= set(schema.SCHEDULE_KINDS)
    schema.check_schedule(s["kind"].tolist(), s["edge_type"].fillna("").tolist())
    # the world exercises the contract: nearly every declared kind occurs
    assert len(emitted) >= len(schema.SCHEDULE_KINDS) - 2, set(schema.SCHEDULE_KINDS) - emitted


def test_every_consumed_kind_becomes_events_of_its_family(world):
    ds, truth, _ = world
    s = ds.truth.schedule
    s = s[(s["time"] >= pd.Timestamp(ds.scenario.start_date)) & (s["time"] < pd.Timestamp(ds.scenario.end_date))]
    seen = set(zip(truth["event_type"], truth["pattern_id"]))
    # instances may script the same row (a decoy trades around an insider's announcement): one event shows it
    rows = s.groupby(["kind", "time", "src", "dst"], dropna=False)["pattern_id"].agg(frozenset).reset_index()
    missing = {}
    for name, kind in schema.SCHEDULE_KINDS.items():
        assert all(schema.EVENT_TYPES[e].family == kind.family for e in kind.events), name
        if not kind.events:
            continue
        shown = {p: False for group in rows.loc[rows["kind"] == name, "pattern_id"] for p in group}
        for group in rows.loc[rows["kind"] == name, "pattern_id"]:
            if any((e, q) in seen for e in kind.events for q in group):
                shown.update(dict.fromkeys(group, True))
        absent = sorted(p for p, ok in shown.items() if not ok)
        if absent:
            missing[name] = absent
    assert not missing, f"scripted rows that none of their events show: {missing}"


def test_a_busted_out_card_stays_dark(world):
    ds, _, initiated = world
    s = ds.truth.schedule
    dark = s[s["kind"] == "account_dark"]
    assert len(dark) >= 2
    accounts = initiated["payload"].map(lambda p: json.loads(p)["account_id"]).to_numpy()
    times = pd.to_datetime(initiated["timestamp"]).dt.tz_localize(None).to_numpy()
    for card, t in zip(dark["src"], dark["time"]):
        mine = accounts == card
        assert mine.any(), card  # the card was used before
        assert not (mine & (times >= np.datetime64(t))).any(), card
