"""structuring: pieces under reporting thresholds, split over accounts and days; decoys; truth (patterns/structuring.py)."""

import json

import numpy as np
import pandas as pd
import pytest
from fraudgraph.patterns.structuring import DECOY_VARIANTS, VARIANTS

import fraudgraph
from fraudgraph.errors import ConfigError

DAY = 86_400
EDGE = "Account_TRANSFERS_TO_Account"


def _generate(seed=5, count=12, persons=3000, **fraud):
    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": persons, "days": 90, "fraud.person_share": 0.0, **{f"fraud.{k}": v for k, v in fraud.items()},
        "fraud.patterns": {"structuring": {"count": count}}})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module")
def ds():
    return _generate()


def _instances(ds, fraud=True):
    p = ds.truth.patterns
    p = p[(p["typology"] == "structuring") & (p["is_fraud"] == fraud)]
    s = ds.truth.schedule
    for _, row in p.iterrows():
        yield row, json.loads(row["parameters"]), s[s["pattern_id"] == row["pattern_id"]]


def test_every_variant_appears(ds):
    variants = [row["variant"] for row, _, _ in _instances(ds)]
    assert len(variants) >= 11
    assert set(variants) == set(VARIANTS)


def test_pieces_stay_under_the_threshold_and_add_up_above_it(ds):
    blending = ds.scenario.fraud.knobs()["amount_blending"]
    for row, params, s in _instances(ds):
        threshold = params["threshold"]
        assert threshold in (10_000.0, 3_000.0)
        assert (s["amount"] < threshold).all()
        assert (s["amount"] >= threshold * (0.90 - 0.20 * blending) - 0.01).all()
        pieces = s[s["kind"] == "cash_deposit"] if (s["kind"] == "cash_deposit").any() else s
        assert len(pieces) >= 2 and pieces["amount"].sum() > threshold
        days = pieces["time"].dt.floor("D")
        assert pieces["src"].nunique() >= 2 or days.nunique() >= 2  # split across accounts or days


def test_cash_deposits_are_node_events_on_distinct_days_per_account(ds):
    accounts = set(ds.graph.nodes["Account"]["id"])
    seen = 0
    for _, _, s in _instances(ds):
        cash = s[s["kind"] == "cash_deposit"]
        assert cash["edge_type"].isna().all() and cash["dst"].isna().all()
        assert set(cash["src"]) <= accounts
        for _, per_account in cash.groupby("src"):
            assert per_account["time"].dt.floor("D").is_unique
        seen += len(cash)
    assert seen >= 20


def test_smurfs_pass_deposits_to_the_beneficiary(ds):
    for row, _, s in _instances(ds):
        if row["variant"] != "smurfing":
            continue
        members = json.loads(row["members"])
        beneficiary = [m[1] for m in members if m[2] == "beneficiary_account"]
        smurfs = [m[1] for m in members if m[2] == "smurf_account"]
        assert len(beneficiary) == 1 and len(smurfs) >= 2
        transfers = s[s["kind"] == "transfer"]
        assert set(transfers["dst"]) == set(beneficiary) and set(transfers["src"]) == set(smurfs)
        for smurf in smurfs:
            deposits = s[(s["kind"] == "cash_deposit") & (s["src"] == smurf)]
            sent = transfers[transfers["src"] == smurf]
            assert len(deposits) == len(sent) >= 3
            paid_in = deposits["time"].to_numpy()
            for t in sent["time"].to_numpy():  # every transfer follows one of the smurf's deposits within two days
                lag = t - paid_in[paid_in < t]
                assert lag.size and lag.min() <= np.timedelta64(2, "D")
            assert 0.97 * deposits["amount"].sum() - 0.01 <= sent["amount"].sum() <= deposits["amount"].sum() + 0.01


def test_amount_blending_controls_how_close_amounts_hug_the_threshold():
    loud = _generate(seed=3, count=8, persons=1500, amount_blending=0.0)
    quiet = _generate(seed=3, count=8, persons=1500, amount_blending=1.0)
    loud_share, spread = [], []
    for _, params, s in _instances(loud):
        t = params["threshold"]
        assert ((s["amount"] >= 0.9 * t) & (s["amount"] < t)).all()  # 9,000-9,999 and 2,700-2,999
        loud_share.append((s["amount"] >= 0.95 * t).mean())
    for _, params, s in _instances(quiet):
        t = params["threshold"]
        assert ((s["amount"] >= 0.7 * t) & (s["amount"] < t)).all()  # 7,000-9,999
        spread.append((s["amount"] < 0.9 * t).mean())
    assert np.mean(loud_share) > 0.6
    assert np.mean(spread) > 0.3


def test_transfers_keep_the_population_rules(ds):
    graph = ds.graph
    owns = graph.edges[("Person", "OWNS", "Account")]
    owner = owns[owns["role"] == "primary"].set_index("dst")["src"]
    knows = graph.edges[("Person", "KNOWS", "Person")]
    ties = set(zip(knows["src"], knows["dst"])) | set(zip(knows["dst"], knows["src"]))
    persons = graph.nodes["Person"].set_index("id")
    t = graph.edges[("Account", "TRANSFERS_TO", "Account")].set_index(["src", "dst"])
    for _, _, s in _instances(ds):
        for (src, dst), ev in s[s["edge_type"] == EDGE].groupby(["src", "dst"]):
            edge = t.loc[(src, dst)]
            a, b = owner[src], owner[dst]
            assert edge["since"] <= ev["time"].min()
            if edge["kind"] == "p2p":
                assert (a, b) in ties
            else:
                assert edge["kind"] == "household" and persons.loc[a, "address"] == persons.loc[b, "address"]


def test_decoys_have_near_threshold_amounts_that_are_not_split(ds):
    decoys = list(_instances(ds, fraud=False))
    assert len(decoys) >= 1
    assert {row["variant"] for row, _, _ in decoys} <= set(DECOY_VARIANTS)
    near = 0
    for row, _, s in decoys:
        if row["variant"] == "rent":
            gaps = np.diff(np.sort(s["time"].to_numpy())) / np.timedelta64(1, "D")
            assert (gaps >= 20).all() and s["amount"].nunique() == 1  # the same rent, monthly
            near += int(((s["amount"] >= 2_700) & (s["amount"] < 3_000)).all())
        elif row["variant"] in ("tuition", "car_sale"):
            assert s["amount"].nunique() == 1 and s["src"].nunique() <= 2  # one sum, paid once (then on to the school)
            near += int(((s["amount"] >= 8_800) & (s["amount"] < 10_000)).all())
        elif row["variant"] == "cash_business":  # takings banked several days every week, some above the threshold
            assert len(s) >= 8 and (s["kind"] == "cash_deposit").all()
            t = np.sort(s["time"].to_numpy())
            assert (np.diff(t) < np.timedelta64(7, "D")).all()
            assert max(s.loc[(s["time"] >= x) & (s["time"] < x + np.timedelta64(7, "D")), "amount"].sum() for x in t) > 5_000
    assert near >= 1


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
    assert set(sched["src"]) <= set(graph.nodes["Account"]["id"])
    assert sched["time"].between(pd.Timestamp(ds.scenario.start_date), pd.Timestamp(ds.scenario.end_date), inclusive="left").all()


def test_deterministic(ds):
    again = _generate()
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)


def test_bad_settings_are_rejected():
    with pytest.raises(ConfigError, match="fraud.patterns.structuring.threshold_weights"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"structuring": {"thresholds": [10000], "threshold_weights": [1, 2]}}}})
    with pytest.raises(ConfigError, match="fraud.patterns.structuring.variants"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"structuring": {"variants": {"layering": 1}}}}})
