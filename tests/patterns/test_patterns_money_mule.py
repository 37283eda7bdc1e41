"""money_mule: layering shapes, pass-through, holding times, decoys and truth (patterns/money_mule.py)."""

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from fraudgraph.patterns.money_mule import DECOY_VARIANTS, VARIANTS

import fraudgraph
from fraudgraph.errors import ConfigError

HOUR = 3_600
TRANSFERS = ("Account", "TRANSFERS_TO", "Account")
EDGE = "Account_TRANSFERS_TO_Account"


def _generate(seed=5, count=12, **settings):
    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 3000, "days": 90, "fraud.person_share": 0.0,
        "fraud.patterns": {"money_mule": {"count": count, **settings}}})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module")
def ds():
    return _generate()


@pytest.fixture(scope="module")
def fraud(ds):
    p = ds.truth.patterns
    return p[(p["typology"] == "money_mule") & p["is_fraud"]]


def _schedule(ds, pattern_id):
    s = ds.truth.schedule
    s = s[(s["pattern_id"] == pattern_id) & (s["kind"] == "transfer")]
    return s.assign(t=s["time"].astype("datetime64[s]").astype("int64"))


def _accounts(row, *roles):
    return [m[1] for m in json.loads(row["members"]) if m[0] == "Account" and m[2] in roles]


def test_every_variant_appears(fraud):
    assert len(fraud) >= 11
    counts = fraud["variant"].value_counts()
    assert set(counts.index) == set(VARIANTS)
    assert (counts >= 1).all()


def test_shapes(ds, fraud):
    for _, row in fraud.iterrows():
        s = _schedule(ds, row["pattern_id"])
        g = nx.DiGraph(list(zip(s["src"], s["dst"])))
        sources = _accounts(row, "source_account", "originator_account")
        mules = _accounts(row, "mule_account")
        collectors = _accounts(row, "collector_account")
        assert set(g.nodes) == set(sources) | set(mules) | set(collectors)
        v = row["variant"]
        if v == "fan_in":
            assert len(sources) >= 3 and len(mules) == 1 and len(collectors) == 1
            assert set(g.edges) == {(s_, mules[0]) for s_ in sources} | {(mules[0], collectors[0])}
        elif v == "fan_out":
            assert len(sources) == 1 and len(mules) == 1 and len(collectors) >= 3
            assert set(g.edges) == {(sources[0], mules[0])} | {(mules[0], c) for c in collectors}
        elif v == "scatter_gather":
            assert len(sources) == 1 and len(mules) >= 3 and len(collectors) == 1
            assert set(g.edges) == {(sources[0], m) for m in mules} | {(m, collectors[0]) for m in mules}
        elif v == "gather_scatter":
            assert len(sources) >= 2 and len(mules) == 1 and len(collectors) >= 2
            assert set(g.edges) == {(s_, mules[0]) for s_ in sources} | {(mules[0], c) for c in collectors}
        elif v == "stack":
            assert len(sources) == 1 and len(mules) >= 2 and len(collectors) == 1
            path = nx.shortest_path(g, sources[0], collectors[0])
            assert len(path) == len(mules) + 2 and g.number_of_edges() == len(path) - 1  # a simple chain
            assert set(path[1:-1]) == set(mules)
        elif v == "cycle":
            assert len(sources) == 1 and len(mules) >= 2 and not collectors
            cycles = list(nx.simple_cycles(g))
            assert len(cycles) == 1 and set(cycles[0]) == set(sources) | set(mules)
            assert g.number_of_edges() == len(mules) + 1


def test_pass_through_and_holding_time(ds, fraud):
    checked = 0
    for _, row in fraud.iterrows():
        s = _schedule(ds, row["pattern_id"])
        for mule in _accounts(row, "mule_account"):
            incoming = s[s["dst"] == mule]
            outgoing = s[s["src"] == mule]
            assert len(incoming) and len(outgoing)
            ratio = outgoing["amount"].sum() / incoming["amount"].sum()
            assert 0.90 <= ratio <= 0.98, (row["variant"], ratio)
            arrivals = np.sort(incoming["t"].to_numpy())
            for t in outgoing["t"]:
                before = arrivals[arrivals < t]
                assert before.size, "a mule forwards money it has not received"
                assert HOUR <= t - before.max() <= 48 * HOUR
            checked += 1
    assert checked >= 20


def test_sources_mules_and_collectors_are_distinct_persons(ds, fraud):
    for _, row in fraud.iterrows():
        people = [m[1] for m in json.loads(row["members"]) if m[0] == "Person"]
        accounts = [m[1] for m in json.loads(row["members"]) if m[0] == "Account"]
        assert len(people) == len(set(people)) == len(accounts) == len(set(accounts))


def test_money_edges_keep_the_transfer_rules(ds):
    graph = ds.graph
    owns = graph.edges[("Person", "OWNS", "Account")]
    owner = owns[owns["role"] == "primary"].set_index("dst")["src"]
    labelled = ds.truth.edge_labels
    labelled = labelled[(labelled["edge_type"] == EDGE) & (labelled["fraud_type"] == "money_mule")]
    t = graph.edges[TRANSFERS].merge(labelled[["src", "dst"]].drop_duplicates(), on=["src", "dst"])
    assert len(t) >= 40
    knows = graph.edges[("Person", "KNOWS", "Person")]
    ties = set(zip(knows["src"], knows["dst"])) | set(zip(knows["dst"], knows["src"]))
    homes = graph.nodes["Person"].set_index("id")["address"] + "|" + graph.nodes["Person"].set_index("id")["city"]
    for _, e in t.iterrows():
        a, b = owner.get(e["src"]), owner.get(e["dst"])
        if e["kind"] == "p2p":
            assert (a, b) in ties
        elif e["kind"] == "household":
            assert a != b and homes[a] == homes[b]
        else:
            assert e["kind"] in ("payroll", "supplier", "own_accounts")


def test_edges_summarise_their_schedule_and_never_postdate_it(ds, fraud):
    t = ds.graph.edges[TRANSFERS].set_index(["src", "dst"])
    s = ds.truth.schedule
    s = s[s["pattern_id"].isin(fraud["pattern_id"]) & (s["kind"] == "transfer")]
    honest = 0
    for (src, dst), ev in s.groupby(["src", "dst"]):
        edge = t.loc[(src, dst)]
        assert edge["since"] <= ev["time"].min()
        honest += ev["amount"].min() <= edge["typical_amount"] <= ev["amount"].max()
    assert honest >= 0.9 * s.groupby(["src", "dst"]).ngroups  # pairs that existed before keep their own summary


def test_decoys_are_legitimate_look_alikes(ds):
    p = ds.truth.patterns
    decoys = p[(p["typology"] == "money_mule") & ~p["is_fraud"]]
    assert len(decoys) >= 1
    assert set(decoys["variant"]) <= set(DECOY_VARIANTS)
    assert decoys["variant"].nunique() >= 3
    fans = 0
    for pid in decoys["pattern_id"]:
        s = _schedule(ds, pid)
        s = s[s["edge_type"] == EDGE]
        deg = pd.concat([s.drop_duplicates(["src", "dst"])["src"], s.drop_duplicates(["src", "dst"])["dst"]]).value_counts()
        fans += int(deg.max() >= 4)
    assert fans >= 1  # a hub with three or more counterparties, like a mule's fan


def test_truth_is_consistent_with_the_graph(ds):
    graph = ds.graph
    assert graph.validate(raise_on_error=False) == []
    for label, ids in ds.truth.node_labels.groupby("label")["id"]:
        assert set(ids) <= set(graph.nodes[label]["id"]), label
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        key = next(k for k in graph.edges if "_".join(k) == stem)
        pairs = set(zip(graph.edges[key]["src"], graph.edges[key]["dst"]))
        assert set(zip(rows["src"], rows["dst"])) <= pairs, stem
    sched = ds.truth.schedule
    assert set(sched["pattern_id"]) <= set(ds.truth.patterns["pattern_id"])
    accounts = set(graph.nodes["Account"]["id"])
    assert set(sched.loc[sched["kind"] == "transfer", "src"]) <= accounts
    assert set(sched.loc[sched["kind"] == "login", "src"]) <= set(graph.nodes["Person"]["id"])
    assert (sched["time"] < pd.Timestamp(ds.scenario.end_date)).all()
    assert (sched["time"] >= pd.Timestamp(ds.scenario.start_date)).all()


def test_synthetic_mules_are_onboarded_like_persons():
    ds = _generate(seed=9, count=6, synthetic_share=1.0, herded_share=0.0, variants={"scatter_gather": 1.0})
    graph = ds.graph
    p = ds.truth.patterns
    fraud = p[p["is_fraud"]]
    assert sum(json.loads(x)["synthetic_mules"] for x in fraud["parameters"]) >= 6
    synthetic = {x for params in fraud["parameters"] for x in json.loads(params)["synthetic_persons"]}
    mules = {m[1] for members in fraud["members"] for m in json.loads(members) if m[0] == "Person" and m[2] == "mule"}
    assert synthetic <= mules
    mules = synthetic
    persons = graph.nodes["Person"].set_index("id")
    assert len(persons) > 3000 and mules <= set(persons.index)
    new = persons.loc[sorted(mules)]
    assert (new["created_at"] >= pd.Timestamp(ds.scenario.start_date)).all()
    homes = persons["address"] + "|" + persons["city"]
    assert (homes.value_counts().reindex(homes.loc[new.index]) == 1).all()  # a home of their own
    uses = graph.edges[("Person", "USES_DEVICE", "Device")]
    assert (uses[uses["is_primary"]].groupby("src").size().reindex(new.index) == 1).all()
    ips = graph.edges[("Person", "USES_IP", "IP")]
    assert (ips[ips["context"] == "home"].groupby("src").size().reindex(new.index) == 1).all()
    assert persons["phone"].is_unique and persons["email"].is_unique


def test_herders_move_the_mules_money_from_their_own_device(ds, fraud):
    uses = ds.graph.edges[("Person", "USES_DEVICE", "Device")]
    sched = ds.truth.schedule
    herded = 0
    for _, row in fraud.iterrows():
        members = json.loads(row["members"])
        device = [m[1] for m in members if m[2] == "herder_device"]
        assert bool(device) == json.loads(row["parameters"])["herded"]
        if not device:
            continue
        herded += 1
        herder = [m[1] for m in members if m[2] == ("originator" if row["variant"] == "cycle" else "collector")][0]
        assert uses[uses["src"] == herder].sort_values("is_primary", ascending=False)["dst"].iloc[0] == device[0]
        mules = [m[1] for m in members if m[0] == "Person" and m[2] == "mule"]
        s = sched[sched["pattern_id"] == row["pattern_id"]]
        logins = s[s["kind"] == "login"]
        assert set(logins["src"]) == set(mules) and set(logins["dst"]) == {device[0]}
        assert {(m, device[0]) for m in mules} <= set(zip(uses["src"], uses["dst"]))
        paid = s[(s["kind"] == "transfer") & s["src"].isin(_accounts(row, "mule_account"))]
        for t in paid["time"]:  # each payment from a mule's account follows a login on the herder's device
            assert ((logins["time"] <= t) & (logins["time"] > t - pd.Timedelta(hours=4, minutes=20))).any()
    assert 2 <= herded < len(fraud)
    again = _generate(count=6, herded_share=0.0).truth.schedule
    assert "login" not in set(again.loc[again["pattern_id"].str.contains("money_mule"), "kind"])


def test_deterministic(ds):
    again = _generate()
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)


def test_bad_settings_are_rejected():
    with pytest.raises(ConfigError, match="fraud.patterns.money_mule.variants"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"money_mule": {"variants": {"zigzag": 1.0}}}}})
    with pytest.raises(ConfigError, match="money_mule.max_width"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"money_mule": {"min_width": 5, "max_width": 3}}}})
