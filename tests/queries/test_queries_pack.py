"""The investigation pack's files: headers, parameters and returned columns, and its copy in every dataset."""

import re

import pytest

from fraudgraph.errors import ConfigError
from fraudgraph.queries import COLUMNS, load_pack, parse, query

TYPOLOGIES = {"account_takeover", "bust_out", "collusion", "corporate_account_takeover", "device_sharing", "fraud_ring",
              "insider_trading", "ip_recycling", "kiting_cycle", "link_burst", "liquidity_crunch", "money_mule",
              "sleeper_takeover", "structuring",
              "trade_based_laundering"}


def test_one_detector_per_typology_and_general_queries_beside_them():
    pack = load_pack()
    detectors = {q.typology for q in pack if q.typology != "general"}
    assert detectors == TYPOLOGIES
    assert len([q for q in pack if q.typology == "general"]) >= 5
    assert len({q.name for q in pack}) == len(pack)
    assert [q.name for q in pack][:len(TYPOLOGIES)] == sorted(TYPOLOGIES)


@pytest.mark.parametrize("q", load_pack(), ids=lambda q: q.name)
def test_each_query_declares_what_it_reads_and_returns_the_columns(q):
    used = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", q.text))
    declared = {p.name for p in q.parameters}
    assert used == declared, (q.name, used ^ declared)
    assert q.file == f"{q.name}.cypher"
    for column in COLUMNS:
        assert re.search(rf"\bAS {column}\b", q.text), (q.name, column)
    assert len(q.looks_for) > 40 and len(q.hit_means) > 40
    assert "//" not in q.text  # the header ends before the query; no comment inside the text sent


def test_detectors_have_defaults_and_tools_ask_for_their_node():
    assert query("money_mule").scored and query("money_mule").arguments()["window_hours"] == 48
    assert not query("k_hop_expansion").scored
    with pytest.raises(ConfigError, match="needs a value for account_id"):
        query("k_hop_expansion").arguments()
    assert query("k_hop_expansion").arguments({"account_id": "acc_1"})["hops"] == 2
    with pytest.raises(ConfigError, match="has no parameter 'window'.*window_hours"):
        query("money_mule").arguments({"window": 3})
    with pytest.raises(ConfigError, match="no query 'mules'.*money_mule"):
        query("mules")


def test_a_header_without_its_fields_is_refused():
    with pytest.raises(ConfigError, match="no '// a hit means:' line"):
        parse("// name: x\n// typology: general\n// looks for: y\n// returns: id\nMATCH (n) RETURN n", "x.cypher")
    with pytest.raises(ConfigError, match="not a JSON value"):
        parse("// name: x\n// param: a = [1,\nRETURN 1", "x.cypher")


def test_every_typology_of_the_registry_has_a_detector():
    from fraudgraph.patterns.base import available_patterns

    assert set(available_patterns()) == TYPOLOGIES
