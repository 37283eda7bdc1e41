"""The remittances family: senders, seasonality, amounts, stages, money and the exchange rate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.config import Scenario
from fraudgraph.seeding import SeedTree
from fraudgraph.timeline.context import TimelineContext
from fraudgraph.timeline.engine import Timeline
from fraudgraph.timeline.families import remittances as rem
from fraudgraph.timeline.family import Outcome
from fraudgraph.timeline.ledger import Ledger
from fraudgraph.timeline.world import TimelineWorld
from fraudgraph.units import epoch_seconds
from fraudgraph.vocab import corridors

from .drive import drive

SEED = 5
STAGES = list(rem.STAGES)


def _scenario(**changes) -> Scenario:
    base = {"start_date": "2024-11-01", "days": 68, "persons.count": 1500,
            "events.remittances.sender_share": 0.3}
    base.update(changes)
    return Scenario.from_preset("default").override(base)


@pytest.fixture(scope="module")
def dataset():
    """November 1st to January 7th: a quiet month, then the holiday peak."""
    return fraudgraph.generate(_scenario(), seed=SEED)


@pytest.fixture(scope="module")
def world(dataset):
    s = dataset.scenario
    return TimelineWorld(dataset.graph, epoch_seconds(s.start_date), epoch_seconds(s.end_date))


def _context(dataset, world, scenario=None, seed=SEED) -> TimelineContext:
    return TimelineContext(world, scenario or dataset.scenario, dataset.truth, SeedTree(seed))


def simulate(ctx, days=None, ledger=None, seed=SEED):
    """Drive the family day by day; all payments succeed unless a ledger is given."""
    return drive(rem.Remittances(ctx), ctx, seed, days, ledger)


@pytest.fixture(scope="module")
def run(dataset, world):
    return simulate(_context(dataset, world))


def _of(events, event_type) -> pd.DataFrame:
    out = events[events["event_type"] == event_type].copy()
    return out.join(pd.DataFrame(list(out["data"]), index=out.index))


def _day_index(events, ctx_start) -> np.ndarray:
    return (events["time"].to_numpy() - ctx_start) // 86_400


# -- structure --------------------------------------------------------------------
def test_event_types_belong_to_the_family():
    for event_type in rem.Remittances.event_types:
        assert schema.EVENT_TYPES[event_type].family == "remittances"
    assert {et for et, spec in schema.EVENT_TYPES.items() if spec.family == "remittances"} == set(rem.Remittances.event_types)


def test_senders_are_a_share_of_us_persons_with_usable_accounts(dataset, world, run):
    family = run[2]
    persons = dataset.graph.nodes["Person"]
    n_us = int((persons["country"] == "US").sum())
    s = family.senders
    assert abs(s.person.size - round(0.3 * n_us)) <= 1
    assert (persons["country"].to_numpy()[s.person] == "US").all()
    assert np.isin(world.account_type[s.account], ["checking", "wallet"]).all()
    assert (world.account_currency.to_numpy(zero_copy_only=False)[s.account] == "USD").all()
    holders = world.person_accounts
    for p, a in zip(s.person[:200], s.account[:200]):
        assert a in holders.targets[holders.starts[p]:holders.starts[p + 1]]
    assert set(s.recipient_count) <= {1, 2, 3}


def test_payload_ids_exist_and_times_respect_lifetimes(dataset, world, run):
    events, pays, _ = run
    init = _of(events, "remittance-initiated")
    assert len(init) > 1000
    graph = dataset.graph.nodes
    assert set(init["sender_id"]) <= set(graph["Person"]["id"])
    assert set(init["sender_account_id"]) <= set(graph["Account"]["id"])
    assert set(init["device_id"].dropna()) <= set(graph["Device"]["id"])
    assert set(init["ip_address"].dropna()) <= set(graph["IP"]["address"])
    assert (init["person"] == init["sender_id"]).all()
    created = dict(zip(graph["Person"]["id"], graph["Person"]["created_at"].to_numpy("datetime64[s]").astype(np.int64)))
    opened = dict(zip(graph["Account"]["id"], graph["Account"]["opened_at"].to_numpy("datetime64[s]").astype(np.int64)))
    assert (init["time"].to_numpy() >= init["sender_id"].map(created).to_numpy()).all()
    assert (init["time"].to_numpy() >= init["sender_account_id"].map(opened).to_numpy()).all()
    assert init["recipient_phone"].str.fullmatch(r"\+50900\d{6}").all()
    first = init["recipient_name"].str.split(" ", n=1).str[0]
    assert first.isin(corridors.HAITIAN_FIRST_NAMES).all()
    assert (init["recipient_country"] == "HT").all() and (init["receive_currency"] == "HTG").all()
    assert init["remittance_id"].is_unique
    assert init["delivery_method"].isin(rem.DELIVERY_METHODS).all()
    # the event times never precede the day that planned them
    start = world.start
    planned_day = pays.loc[pays["tx_type"] == "remittance"].set_index("dst_ref")["day"]
    assert (init.set_index("remittance_id")["time"].reindex(planned_day.index) >= start + planned_day * 86_400).all()


def test_recipients_recur(run):
    init = _of(run[0], "remittance-initiated")
    per_sender = init.groupby("sender_id")["recipient_phone"].nunique()
    assert per_sender.max() <= 3
    senders_with_repeat = (init.groupby("sender_id").size() > 1)
    assert (per_sender[senders_with_repeat] < init.groupby("sender_id").size()[senders_with_repeat]).mean() > 0.5


# -- volume and season --------------------------------------------------------------
def test_holiday_peak_is_about_two_and_a_half_times_november(world, run):
    init = _of(run[0], "remittance-initiated")
    day = pd.Series(_day_index(init, world.start))
    per_day = day.value_counts().reindex(range(68), fill_value=0).to_numpy()
    november = per_day[:30].mean()            # Nov 1-30
    holidays = per_day[44:68].mean()          # Dec 15 - Jan 7
    assert 2.1 <= holidays / november <= 2.9, (holidays, november)


def test_without_seasons_volume_is_flat_and_matches_the_monthly_rate(dataset, world):
    scenario = dataset.scenario.override({"events.remittances.seasonal": False})
    events, _, family = simulate(_context(dataset, world, scenario))
    init = _of(events, "remittance-initiated")
    per_day = pd.Series(_day_index(init, world.start)).value_counts().reindex(range(68), fill_value=0).to_numpy()
    assert 0.8 <= per_day[44:68].mean() / per_day[:30].mean() <= 1.25
    monthly = per_day[:30].sum() / family.senders.person.size * (rem.DAYS_PER_MONTH / 30)
    assert monthly == pytest.approx(1.5, rel=0.12)


def test_weekends_and_fridays_send_more(world, run):
    init = _of(run[0], "remittance-initiated")
    weekday = pd.to_datetime(init["time"], unit="s").dt.day_of_week
    counts = weekday.value_counts()
    assert counts[[4, 5]].mean() > 1.2 * counts[[0, 1, 2]].mean()


# -- amounts ------------------------------------------------------------------------
def test_amounts_are_mostly_common_and_consistent(run):
    init = _of(run[0], "remittance-initiated")
    send = init["send_amount"].astype(float)
    common = send.isin([50.0, 100.0, 200.0, 300.0, 500.0])
    assert common.mean() == pytest.approx(0.6, abs=0.04)
    assert (send >= 10.0).all()
    rate = init["exchange_rate"].astype(float)
    assert np.allclose(init["receive_amount"].astype(float), np.round(send * rate, 2), atol=0.011)
    method = init["delivery_method"].map({m: i for i, m in enumerate(rem.DELIVERY_METHODS)}).to_numpy()
    assert np.allclose(init["fee_amount"].astype(float), rem.fees(send.to_numpy(), method), atol=0.001)
    assert np.allclose(init["total_amount"].astype(float), send + init["fee_amount"].astype(float), atol=0.011)
    # each recipient has a usual method, so remittances are clustered: the sample is the recipients, weighted
    # by how often each is paid (Kish's effective size), and the tolerance four standard errors of that
    per_pair = init.groupby(["sender_id", "recipient_phone"]).size().to_numpy(dtype=float)
    effective = per_pair.sum() ** 2 / (per_pair ** 2).sum()
    shares = init["delivery_method"].value_counts(normalize=True)
    for method, expected in (("mobile_wallet", 0.45), ("cash_pickup_agent", 0.25)):
        assert shares[method] == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / effective))


def test_capture_payment_debits_amount_plus_fee(run):
    events, pays, _ = run
    init = _of(events, "remittance-initiated").set_index("remittance_id")
    cap = pays[pays["tx_type"] == "remittance"].set_index("dst_ref")
    assert (cap["dst"] == -1).all() and (cap["dst_kind"] == "remittance_partner").all()
    joined = cap.merge(init[["total_amount", "time", "corr"]], left_index=True, right_index=True, suffixes=("", "_init"))
    assert len(joined) == len(cap)
    assert np.allclose(joined["amount"], joined["total_amount"].astype(float))
    assert (joined["corr"] == joined["corr_init"]).all()
    assert (joined["time"] > joined["time_init"]).all()   # after the initiation and the compliance check


# -- stages and outcomes ------------------------------------------------------------------
def test_stages_come_in_order_and_end_once(run):
    events = run[0]
    data = pd.DataFrame(list(events["data"]), index=events.index)
    frame = events[["time", "event_type", "corr"]].join(data[["remittance_id", "stage", "reason"]])
    frame = frame[frame["event_type"] != "exchange-rate-updated"]
    order = {"remittance-initiated": -1, "remittance-completed": 10, "remittance-failed": 10}
    frame["step"] = frame["event_type"].map(order).fillna(frame["stage"].map({s: i for i, s in enumerate(STAGES)}))
    frame = frame.sort_values(["remittance_id", "time", "step"], kind="stable").reset_index(drop=True)
    group = frame["remittance_id"].to_numpy()
    same = group[1:] == group[:-1]
    step, time = frame["step"].to_numpy(), frame["time"].to_numpy()
    assert (np.diff(step)[same] > 0).all()                 # stages in order, one terminal event, last
    assert (np.diff(time)[same] > 0).all()
    assert (frame["corr"].to_numpy()[1:][same] == frame["corr"].to_numpy()[:-1][same]).all()
    first, last = np.r_[True, ~same], np.r_[~same, True]
    assert (step[first] == -1).all() and (step[last] == 10).all()
    stages = frame[frame["stage"].notna()].groupby("remittance_id")["step"].agg(["count", "max"])
    assert (stages["count"] == stages["max"] + 1).all()    # a prefix of the stage list
    ends = frame[last].set_index("remittance_id")
    outcome = ends["reason"].fillna("completed")
    reached = stages["count"].reindex(ends.index, fill_value=0)
    expected = {"completed": 4, "recipient_unreachable": 4, "partner_error": 3, "insufficient_funds": 1,
                "compliance_rejected": 0}
    assert (reached == outcome.map(expected)).all()


def test_success_rate_and_failure_reasons(run):
    events = run[0]
    done = _of(events, "remittance-completed")
    failed = _of(events, "remittance-failed")
    assert failed["reason"].isin(["compliance_rejected", "recipient_unreachable", "partner_error", "insufficient_funds"]).all()
    assert (failed["reason"] != "insufficient_funds").all()        # every payment succeeded in this run
    rate = len(done) / (len(done) + len(failed))
    assert rate == pytest.approx(0.95, abs=0.015)
    assert len(done) + len(failed) == len(_of(events, "remittance-initiated"))
    captured = failed["reason"].isin(["partner_error", "recipient_unreachable"])
    assert failed.loc[captured, "refund_status"].isin(["refunded", "pending"]).all()
    assert (failed.loc[~captured, "refund_status"] == "not_applicable").all()
    hours = (done["time"] - _of(events, "remittance-initiated").set_index("remittance_id")
             .loc[done["remittance_id"], "time"].to_numpy()) / 3600
    assert hours.mean() == pytest.approx(24.0, rel=0.15)
    assert done["confirmation_code"].str.fullmatch(r"[A-Z2-9]{10}").all()


def test_refunds_return_the_money_on_a_later_day(run):
    events, pays, _ = run
    failed = _of(events, "remittance-failed")
    captured = failed[failed["refund_status"] != "not_applicable"].set_index("remittance_id")
    refunds = pays[pays["tx_type"] == "refund"].set_index("src_ref")
    assert len(refunds) > 0
    assert set(refunds.index) <= set(captured.index)
    caps = pays[pays["tx_type"] == "remittance"].set_index("dst_ref")
    joined = refunds.merge(caps, left_index=True, right_index=True, how="left", suffixes=("", "_cap"))
    assert np.allclose(joined["amount"], joined["amount_cap"])
    assert (joined["dst"] == joined["src_cap"]).all() and (joined["src"] == -1).all()
    assert (joined["day"] > joined["day_cap"]).all()
    # a refunded failure is reported after its money is back
    done = captured.loc[captured["refund_status"] == "refunded"].merge(refunds, left_index=True, right_index=True,
                                                                       suffixes=("", "_refund"))
    assert (done["time"] > done["time_refund"]).all()


def test_ledger_refusal_fails_the_remittance(dataset, world):
    ctx = _context(dataset, world)
    ledger = Ledger(np.zeros(world.n["Account"]), world.credit_limit, world.is_credit, world.account_status)
    events, pays, _ = simulate(ctx, days=10, ledger=ledger)
    caps = pays[pays["tx_type"] == "remittance"]
    assert len(caps) > 0 and not caps["ok"].any()
    failed = _of(events, "remittance-failed")
    assert set(failed["reason"]) <= {"insufficient_funds", "compliance_rejected"}
    assert (failed["refund_status"] == "not_applicable").all()
    assert set(caps["dst_ref"]) == set(failed.loc[failed["reason"] == "insufficient_funds", "remittance_id"])
    assert _of(events, "remittance-completed").empty
    stages = _of(events, "remittance-processing")["stage"]
    assert set(stages) == {"compliance_check"}
    assert (pays["tx_type"] != "refund").all()


def test_partial_refusal_only_fails_the_refused(dataset, world):
    ctx = _context(dataset, world)
    family = rem.Remittances(ctx)
    seeds = SeedTree(SEED)
    day = ctx.day(3)
    for index in range(3):   # advance the exchange rate
        family.plan(ctx.day(index), seeds.rng("timeline", "remittances", index))
    plan = family.plan(day, seeds.rng("timeline", "remittances", 3))
    n = len(plan.payments)
    ok = np.arange(n) % 2 == 0
    reason = np.where(ok, None, "insufficient_funds").astype(object)
    tables = family.settle(day, plan, Outcome(ok, reason, np.full(n, np.nan)), seeds.rng("t", 3))
    events = pa.concat_tables(tables).to_pandas()
    events["data"] = [json.loads(p) for p in events["payload"]]
    refused = set(plan.payments.loc[~ok, "dst_ref"])
    failed = _of(events, "remittance-failed")
    assert set(failed.loc[failed["reason"] == "insufficient_funds", "remittance_id"]) == refused
    captured = set(_of(events, "remittance-processing").query("stage == 'funds_captured'")["remittance_id"])
    assert captured == set(plan.payments.loc[ok, "dst_ref"])


# -- exchange rate ------------------------------------------------------------------
def test_rate_walk_stays_positive_near_base_and_chains(world, run):
    rates = _of(run[0], "exchange-rate-updated").sort_values("time")
    assert len(rates) == 68
    days = _day_index(rates, world.start)
    assert (days == np.arange(68)).all()
    assert ((rates["time"].to_numpy() - world.start) % 86_400 < 120).all()
    rate = rates["rate"].astype(float).to_numpy()
    previous = rates["previous_rate"].astype(float).to_numpy()
    assert (rate > 0).all()
    assert np.abs(rate / 132.5 - 1).max() < 0.2
    assert abs(rate.mean() / 132.5 - 1) < 0.08
    assert previous[0] == 132.5 and np.allclose(previous[1:], rate[:-1])
    assert (rates["currency_pair"] == "USD/HTG").all()
    init = _of(run[0], "remittance-initiated")
    by_day = dict(zip(days, rate))
    assert np.allclose(init["exchange_rate"].astype(float), [by_day[d] for d in _day_index(init, world.start)])


def test_rate_reverts_over_a_long_span():
    class Cfg:
        exchange_rate_base, exchange_rate_volatility, corridor_currency = 100.0, 0.02, "HTG"

    family = rem.Remittances.__new__(rem.Remittances)
    family.cfg, family.rate, family._corr = Cfg(), 100.0, 0
    rng = np.random.default_rng(0)
    from fraudgraph.timeline.family import Day
    rates = []
    for i in range(500):
        family._update_rate(Day(i, i * 86_400, np.datetime64(i, "D")), rng)
        rates.append(family.rate)
    rates = np.array(rates)
    assert rates.min() > 70 and rates.max() < 140
    assert abs(np.log(rates).mean() - np.log(100.0)) < 0.03


# -- corridor, determinism, engine ---------------------------------------------------------
def test_corridor_is_a_parameter(dataset, world):
    scenario = dataset.scenario.override({"events.remittances.corridor_currency": "DOP",
                                          "events.remittances.exchange_rate_base": 58.0})
    events, _, _ = simulate(_context(dataset, world, scenario), days=5)
    init = _of(events, "remittance-initiated")
    assert (init["receive_currency"] == "DOP").all()
    assert init["exchange_rate"].astype(float).between(50, 66).all()
    assert (_of(events, "exchange-rate-updated")["currency_pair"] == "USD/DOP").all()


def test_no_senders_only_rates(dataset, world):
    scenario = dataset.scenario.override({"events.remittances.sender_share": 0.0})
    events, pays, family = simulate(_context(dataset, world, scenario), days=3)
    assert family.senders.person.size == 0 and pays.empty
    assert list(events["event_type"]) == ["exchange-rate-updated"] * 3


def test_same_seed_same_events(dataset, world):
    a, pa_, _ = simulate(_context(dataset, world), days=12)
    b, pb_, _ = simulate(_context(dataset, world), days=12)
    assert a.drop(columns="data").equals(b.drop(columns="data"))
    assert pa_.equals(pb_)
    c, _, _ = simulate(_context(dataset, world, seed=SEED + 1), days=12, seed=SEED + 1)
    assert not a["payload"].equals(c["payload"])


def test_through_the_engine(dataset):
    scenario = dataset.scenario.override({"days": 14})
    timeline = Timeline(dataset.graph, dataset.truth, scenario, SeedTree(2), streams=["transactions", "remittances"])
    events = pa.concat_tables([w.events for w in timeline.windows()]).to_pandas()
    types = set(events["event_type"])
    assert set(rem.Remittances.event_types) <= types
    init = events[events["event_type"] == "remittance-initiated"]
    rid = init["payload"].map(lambda p: json.loads(p)["remittance_id"])
    tx = events[(events["event_type"] == "transaction-initiated") & events["payload"].str.contains('"type":"remittance"')]
    dest = tx["payload"].map(lambda p: json.loads(p)["destination"]["identifier"])
    linked = dict(zip(dest, tx["correlation_id"]))
    assert set(linked) <= set(rid)
    corr = dict(zip(rid, init["correlation_id"]))
    assert all(corr[r] == c for r, c in linked.items())
    assert (events["event_type"].isin(rem.Remittances.event_types) & (events["source_service"] != "remittance-service")).sum() == 0
