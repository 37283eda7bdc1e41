"""Events complete on arrival as graph elements: one relationship per event, typed, flagged from the truth."""

import json

import pytest

from fraudgraph.event_facts import FACTS, fact_sets
from fraudgraph.event_graph import EventGraph, event_labels, event_sets


@pytest.fixture(scope="module")
def chunks(event_world):
    graph = EventGraph("nodes")
    windows = list(event_world.events())
    out = [graph.add(w.events, w.truth) for w in windows] + [graph.close()]
    return windows, out


def _rows(chunks, rel_type):
    return [r for c in chunks for r in c.relationships if r.type == rel_type]


def test_every_fact_event_is_one_relationship_with_its_payload(chunks):
    windows, out = chunks
    for fact in FACTS:
        events = [json.loads(p) | {"event_id": i} for w in windows
                  for i, t, p in zip(w.events.column("event_id").to_pylist(), w.events.column("event_type").to_pylist(),
                                     w.events.column("payload").to_pylist()) if t == fact.event_type]
        sets = _rows(out, fact.type)
        frame = [row for s in sets for row in s.frame.to_dict("records")]
        assert len(frame) == len(events), fact.type
        for row, event in zip(frame, events):
            assert (row["src"], row["dst"]) == (event[fact.src_field], event[fact.dst_field])
            key = event["event_id"] if fact.key == "event_id" else event[fact.key]
            assert row[fact.key] == key
        for s in sets:
            assert [p.name for p in s.properties] == [p.name for p in fact.properties] + ["is_fraud"]
    assert _rows(out, "MESSAGED") and _rows(out, "TRADED")


def test_fraud_flags_come_from_the_event_truth(chunks):
    windows, out = chunks
    fraud = {i for w in windows for i, f in zip(w.truth.column("event_id").to_pylist(),
                                               w.truth.column("is_fraud").to_pylist()) if f in (True, "true")}
    trades = [row for s in _rows(out, "TRADED") for row in s.frame.to_dict("records")]
    ids = {json.loads(p)["trade_id"]: i for w in windows for i, t, p in zip(
        w.events.column("event_id").to_pylist(), w.events.column("event_type").to_pylist(),
        w.events.column("payload").to_pylist()) if t == "trade-executed"}
    assert any(row["is_fraud"] for row in trades) and not all(row["is_fraud"] for row in trades)
    for row in trades:
        assert row["is_fraud"] == (ids[row["trade_id"]] in fraud)


def test_both_modes_and_blind_list_the_same_fact_sets():
    blind_nodes, blind_rels = fact_sets(blind=True)
    for mode in ("relationships", "nodes"):
        nodes, rels = event_sets(mode, blind=True)
        assert {r.name for r in blind_rels} <= {r.name for r in rels}
        assert "Announcement" in event_labels(mode) and "Announcement" in {n.label for n in nodes}
        assert all("is_fraud" not in [p.name for p in r.properties] for r in rels)
    assert event_labels("none") == [] and event_sets("none") == ((), ())
