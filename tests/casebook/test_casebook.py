"""Case files: the cases read from the truth, their pairing with look-alikes, the pictures and the pages."""

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from fraudgraph.patterns.base import available_patterns

import fraudgraph
from fraudgraph.casebook import CaseEvents, build_cases, write_report
from fraudgraph.casebook.drawing import draw, layout, role_colours


@pytest.fixture(scope="module")
def showcase():
    return fraudgraph.generate("showcase", seed=0)


@pytest.fixture(scope="module")
def cases(showcase):
    return build_cases(showcase.graph, showcase.truth)


def test_every_instance_is_a_case_with_its_members_and_roles(showcase, cases):
    truth = showcase.truth
    assert [c.pattern_id for c in cases] and {c.pattern_id for c in cases} == set(truth.patterns["pattern_id"])
    for case in cases:
        rows = truth.node_labels[truth.node_labels["pattern_id"] == case.pattern_id].drop_duplicates(["label", "id"])
        assert {(m.label, m.id, m.role) for m in case.members} == set(
            zip(rows["label"], rows["id"], rows["role"]))
        ids = {m.id for m in case.members}
        assert all(a in ids and b in ids for a, _, b in case.links)


def test_each_fraud_case_stands_beside_a_look_alike_of_its_typology(cases):
    by_id = {c.pattern_id: c for c in cases}
    typologies = {c.typology for c in cases}
    assert typologies == set(available_patterns())  # the showcase holds every typology
    for case in cases:
        if case.is_fraud:
            other = by_id[case.look_alike]
            assert not other.is_fraud and other.typology == case.typology and other.decoy_of == case.pattern_id
    # the showcase holds a look-alike for every fraud case
    assert all(c.look_alike for c in cases if c.is_fraud)


def test_names_are_readable(cases):
    for case in cases:
        for m in case.members:
            if m.label == "Person":
                assert re.fullmatch(r"[A-Z][\w'.-]*( [\w'.-]+)+", m.name), m.name
            if m.label == "Account":
                assert re.fullmatch(r"[a-z ]+ \*\d{4}", m.name), m.name


def test_the_picture_draws_every_member_once_and_the_same_way_each_time(cases):
    for case in cases:
        svg = draw(case)
        root = ET.fromstring(svg)  # well-formed XML
        titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
        for m in case.members:
            assert sum(1 for t in titles if t and t.startswith(f"{m.label} {m.id}:")) == 1
        assert svg == draw(case)
        pos = layout(case)
        assert all(0 <= x <= 560 and 0 <= y <= 420 for x, y in pos.values())
        assert len(set(role_colours(case).values())) == len(role_colours(case))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        for key in ("href", "src"):
            if key in attrs:
                self.links.append(attrs[key])


def test_the_pages_link_each_other_and_fetch_nothing(showcase, cases, tmp_path):
    events = CaseEvents()
    for window in showcase.events(streams=["transactions", "identity", "markets"]):
        events.add(window.events, window.truth)
    written = write_report(tmp_path, cases, events, showcase.graph.counts(), "t", "s")
    assert written[0] == "index.html" and len(written) == len(cases) + 1
    parser = _Links()
    parser.feed((tmp_path / "index.html").read_text())
    assert sorted(parser.links) == sorted(f"cases/{c.pattern_id}.html" for c in cases)
    for case in cases:
        page = _Links()
        page.feed((tmp_path / "cases" / f"{case.pattern_id}.html").read_text())
        assert "script" not in page.tags and "svg" in page.tags
        for link in page.links:
            assert not link.startswith(("http:", "https:", "//")), link
            assert (tmp_path / "cases" / link).resolve().is_file(), link
    money = [c for c in cases if c.typology == "kiting_cycle" and c.is_fraud][0]
    assert money.events and any("amount" in e for e in money.events)


def test_a_returned_payment_moves_nothing_and_its_return_reads_as_one():
    import json as _json

    import pyarrow as pa

    from fraudgraph.casebook.events import CaseEvents

    paid = {"transaction_id": "t1", "account_id": "acc_a", "counterparty_account_id": "acc_b", "type": "bill_payment",
            "amount": "120.00", "currency": "USD"}
    back = {"transaction_id": "t1", "account_id": "acc_a", "counterparty_account_id": "acc_b", "amount": "120.00",
            "currency": "USD", "return_code": "R01", "return_reason": "Insufficient funds"}
    events = pa.table({"event_id": ["e1", "e2", "e3"],
                       "timestamp": ["2025-01-02T10:00:00Z", "2025-01-02T10:00:05Z", "2025-01-06T08:00:00Z"],
                       "event_type": ["transaction-initiated", "transaction-completed", "transaction-returned"],
                       "payload": [_json.dumps(paid), _json.dumps({"transaction_id": "t1"}), _json.dumps(back)]})
    collected = CaseEvents()
    collected.add(events, pa.table({"event_id": ["e1", "e2", "e3"], "pattern_id": ["p", "p", "p"]}))
    rows = collected.by_case()["p"]
    assert [r["status"] for r in rows] == ["returned", "return"]
    assert (rows[1]["src"], rows[1]["dst"], rows[1]["amount"]) == ("acc_b", "acc_a", 120.0)
    assert rows[1]["text"].startswith("R01 return (insufficient funds) of 120.00 USD from acc_b back to acc_a")
