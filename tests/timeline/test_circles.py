"""Savings-circle events (fraudgraph/timeline/families/circles.py)."""

import json
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import fraudgraph
from fraudgraph.schema import EVENT_TYPES, FREQUENCIES, PERIOD_DAYS
from fraudgraph.seeding import SeedTree
from fraudgraph.timeline.context import TimelineContext
from fraudgraph.timeline.families.circles import Circles
from fraudgraph.timeline.family import Outcome
from fraudgraph.timeline.world import TimelineWorld
from fraudgraph.units import epoch_seconds, to_seconds

DAY = 86_400
SEED = 5
MEMBER_OF = ("Person", "MEMBER_OF", "Circle")
KIND_EVENT = {
    "circle_contribution": "circle-contribution-received",
    "circle_contribution_missed": "circle-contribution-missed",
    "circle_payout": "circle-payout-executed",
    "circle_member_dropped": "circle-member-dropped",
    "circle_failed": "circle-failed",
}
FIELDS = ("circle_id", "member_id", "recipient_id", "organizer_id", "account_id", "cycle", "amount", "on_time",
          "days_late", "reason", "contributions", "position")


@pytest.fixture(scope="module")
def ds():
    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 3000, "days": 60, "circles.participation": 0.7, "fraud.person_share": 0.0,
        "fraud.patterns": {"collusion": {"count": 8, "circle_share": 1.0}}})
    return fraudgraph.generate(scenario, seed=SEED)


def context(ds, **rates) -> TimelineContext:
    scenario = ds.scenario.override({f"events.circles.{k}": v for k, v in rates.items()}) if rates else ds.scenario
    world = TimelineWorld(ds.graph, epoch_seconds(scenario.start_date), epoch_seconds(scenario.end_date))
    return TimelineContext(world, scenario, ds.truth, SeedTree(SEED))


def all_ok(pay: pd.DataFrame) -> Outcome:
    n = len(pay)
    return Outcome(ok=np.ones(n, bool), reason=np.full(n, None, dtype=object), balance_after=np.full(n, np.nan))


class Run(NamedTuple):
    family: Circles
    events: pd.DataFrame     # payload fields unpacked, with the day that planned or settled each event
    payments: pd.DataFrame   # with the day and the ledger's verdict


def simulate(ctx, outcome=all_ok, seed=SEED) -> Run:
    """Run the family day by day, as the engine does."""
    family = Circles(ctx)
    seeds = SeedTree(seed)
    tables, pays = [], []
    for i in range(ctx.days):
        day = ctx.day(i)
        plan = family.plan(day, seeds.rng("timeline", "circles", i))
        verdict = outcome(plan.payments)
        settled = family.settle(day, plan, verdict, seeds.rng("timeline", "circles", i, "settle"))
        for t in list(plan.events) + list(settled):
            tables.append(t.append_column("day", pa.array(np.full(t.num_rows, i, dtype=np.int64))))
        pays.append(plan.payments.assign(day=i, ok=verdict.ok, reason=verdict.reason))
    ev = pa.concat_tables(tables).to_pandas()
    payload = ev["payload"].map(json.loads)
    ev = ev.assign(**{f: payload.map(lambda d, f=f: d.get(f)) for f in FIELDS})
    return Run(family, ev, pd.concat(pays, ignore_index=True))


@pytest.fixture(scope="module")
def run(ds):
    return simulate(context(ds))


def cycle_starts(ev, ds) -> np.ndarray:
    """When the cycle each event names started (from the circle's start date and period)."""
    circles = ds.graph.nodes["Circle"].set_index("id")
    period = circles.loc[ev["circle_id"], "frequency"].map(dict(zip(FREQUENCIES, PERIOD_DAYS))).to_numpy() * DAY
    return to_seconds(circles.loc[ev["circle_id"], "start_date"]) + (ev["cycle"].to_numpy(dtype=np.int64) - 1) * period


def settled_window(ev, ds, margin_days=12):
    """Simulated cycle events of cycles that started early enough for late payments to land in the span."""
    ev = ev[ev["pattern_id"].isna() & ev["cycle"].notna() & (ev["event_type"] != "circle-completed")]
    return ev[cycle_starts(ev, ds) < epoch_seconds(ds.scenario.end_date) - margin_days * DAY]


def test_event_types_and_graph_ids(run, ds):
    ev, pays = run.events, run.payments
    assert set(ev["event_type"]) == set(Circles.event_types)
    assert all(EVENT_TYPES[t].family == "circles" for t in Circles.event_types)
    g = ds.graph
    for field, label in (("circle_id", "Circle"), ("member_id", "Person"), ("recipient_id", "Person"),
                         ("organizer_id", "Person"), ("account_id", "Account")):
        used = set(ev[field].dropna())
        assert used, field
        assert used <= set(g.nodes[label]["id"]), field
    assert ev["person"].notna().all()
    # payments: contributions leave an account for the circle pool, payouts come back from it
    contrib = pays[pays["tx_type"] == "circle_contribution"]
    payout = pays[pays["tx_type"] == "circle_payout"]
    assert (contrib["src"] >= 0).all() and (contrib["dst"] == -1).all()
    assert set(contrib["dst_kind"]) == {"circle_pool"} and set(contrib["dst_ref"]) <= set(g.nodes["Circle"]["id"])
    assert (payout["src"] == -1).all() and set(payout["src_kind"]) == {"circle_pool"}
    assert set(pays["tx_type"]) == {"circle_contribution", "circle_payout"}
    types = ds.graph.nodes["Account"]["account_type"].to_numpy()[contrib["src"]]
    assert set(types) <= {"checking", "wallet", "savings", "credit_card"}
    assert np.isin(types, ["checking", "wallet"]).mean() > 0.9


def test_times_never_before_planning_day_and_payments_within_it(run, ds):
    ev, pays = run.events, run.payments
    start = epoch_seconds(ds.scenario.start_date)
    assert (ev["time"] >= start + ev["day"] * DAY).all()
    assert ((pays["time"] >= start + pays["day"] * DAY) & (pays["time"] < start + (pays["day"] + 1) * DAY)).all()


def test_no_member_event_before_joined_at(run, ds):
    ev = run.events
    mo = ds.graph.edges[MEMBER_OF]
    joined = pd.Series(to_seconds(mo["joined_at"]), index=pd.MultiIndex.from_arrays([mo["dst"], mo["src"]]))
    for field in ("member_id", "recipient_id"):
        rows = ev[ev[field].notna()]
        t = joined.reindex(pd.MultiIndex.from_arrays([rows["circle_id"], rows[field]])).to_numpy()
        assert not np.isnan(t.astype(float)).any(), "every member event is about a MEMBER_OF edge"
        assert (rows["time"].to_numpy() >= t).all()
    # created and joined events sit on the graph's own times
    created = ev[ev["event_type"] == "circle-created"]
    circles = ds.graph.nodes["Circle"].set_index("id")
    assert (created["time"].to_numpy() == to_seconds(circles.loc[created["circle_id"], "created_at"])).all()


def test_rates_within_tolerance(run, ds):
    ev = run.events
    rates = ds.scenario.events.circles
    window = settled_window(ev, ds)
    received = window[window["event_type"] == "circle-contribution-received"]
    missed = window[window["event_type"] == "circle-contribution-missed"]
    due = len(received) + len(missed)
    assert due > 800

    def close(count, n, p):
        assert abs(count / n - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-9, (count, n, p)

    late = ~received["on_time"].astype(bool)
    close(int(late.sum()), due, rates.late_payment_rate)
    close(int((missed["reason"] == "no_payment").sum()), due, rates.missed_payment_rate)
    assert (received.loc[late, "days_late"] >= 1).all() and (received.loc[~late, "days_late"] == 0).all()
    assert abs(received.loc[late, "days_late"].mean() - rates.late_days_mean) < 0.6
    drops = window[window["event_type"] == "circle-member-dropped"]
    random_drops = drops["reason"].isin(["voluntary", "removed"]).sum()
    close(int(random_drops), due + int(random_drops), rates.member_drop_rate)
    assert set(drops["reason"]) <= {"voluntary", "removed", "missed_payments"}


def test_failure_hazard_matches_rate(ds):
    """Each simulated cycle start fails with 1 - (1 - failure_rate) ** (1 / members)."""
    rate = 0.5
    ev = simulate(context(ds, failure_rate=rate)).events
    size = ds.graph.edges[MEMBER_OF].groupby("dst").size()
    sim = settled_window(ev, ds, margin_days=3)
    sim = sim.assign(cycle_start=cycle_starts(sim, ds))
    starts = sim[sim["event_type"].isin(["circle-contribution-received", "circle-contribution-missed",
                                         "circle-failed"])]
    trials = starts.drop_duplicates(["circle_id", "cycle"])
    hazard = 1 - (1 - rate) ** (1 / size.loc[trials["circle_id"]].to_numpy())
    expected = hazard.sum()
    at_start = sim[(sim["event_type"] == "circle-failed") & (sim["time"] - sim["cycle_start"] < DAY)]
    assert expected > 10
    assert abs(len(at_start) - expected) < 4 * np.sqrt(expected), (len(at_start), expected)
    # a failed circle goes quiet: no new cycle after the one it failed in
    failed = ev[ev["event_type"] == "circle-failed"].groupby("circle_id")["cycle"].min()
    later = sim[sim["circle_id"].isin(failed.index)]
    assert (later["cycle"].to_numpy() <= failed.loc[later["circle_id"]].to_numpy()).all()


def test_payout_is_the_pot_of_received_contributions(run, ds):
    ev = run.events
    sim = ev[ev["pattern_id"].isna()]
    received = sim[sim["event_type"] == "circle-contribution-received"]
    pot = received.assign(a=received["amount"].astype(float)).groupby(["circle_id", "cycle"])["a"].agg(["sum", "size"])
    payouts = sim[sim["event_type"] == "circle-payout-executed"].set_index(["circle_id", "cycle"])
    assert len(payouts) > 50 and not payouts.index.duplicated().any()
    joined = payouts.join(pot, how="left")
    assert np.allclose(joined["amount"].astype(float), joined["sum"])
    assert (joined["contributions"] == joined["size"]).all()
    # each payout goes to a different member of the circle: one turn each
    assert not payouts.reset_index().duplicated(["circle_id", "recipient_id"]).any()


def test_contribution_and_payment_share_corr_and_refusals_become_misses(ds):
    def refuse_some(pay):
        out = all_ok(pay)
        refuse = (pay["tx_type"].to_numpy() == "circle_contribution") & (pay["corr"].to_numpy() % 5 == 0)
        out.ok[refuse] = False
        out.reason[refuse] = "insufficient_funds"
        return out

    result = simulate(context(ds), outcome=refuse_some)
    ev, pays = result.events, result.payments
    contrib = ev[ev["event_type"].isin(["circle-contribution-received", "circle-contribution-missed"])]
    paid = pays[pays["tx_type"] == "circle_contribution"]
    by_corr = paid.set_index("corr")
    matched = contrib[contrib["corr"].isin(by_corr.index)]
    assert len(matched) == len(paid)
    refused = ~by_corr.loc[matched["corr"], "ok"].to_numpy()
    assert (matched.loc[refused, "event_type"] == "circle-contribution-missed").all()
    assert (matched.loc[refused, "reason"] == "insufficient_funds").all()
    assert (matched.loc[~refused, "event_type"] == "circle-contribution-received").all()
    assert np.allclose(matched["amount"].astype(float), by_corr.loc[matched["corr"], "amount"])
    assert (matched["time"].to_numpy() == by_corr.loc[matched["corr"], "time"].to_numpy()).all()
    payouts = ev[ev["event_type"] == "circle-payout-executed"]
    assert payouts["corr"].isin(pays.loc[pays["tx_type"] == "circle_payout", "corr"]).all()


def test_scripted_rows_appear_with_pattern_id_and_are_not_simulated_twice(run, ds):
    ev, pays = run.events, run.payments
    sched = ds.truth.schedule
    sched = sched[sched["kind"].isin(list(KIND_EVENT)) & (sched["time"] < pd.Timestamp(ds.scenario.end_date))]
    assert set(sched["kind"]) == set(KIND_EVENT)
    failed = sched["kind"] == "circle_failed"
    expected = pd.DataFrame({
        "pattern_id": sched["pattern_id"], "event_type": sched["kind"].map(KIND_EVENT),
        "circle_id": np.where(failed, sched["src"], sched["dst"]), "who": np.where(failed, None, sched["src"])})
    got = ev[ev["pattern_id"].notna() & (ev["event_type"] != "circle-completed")]
    got = pd.DataFrame({"pattern_id": got["pattern_id"], "event_type": got["event_type"],
                        "circle_id": got["circle_id"], "who": got["member_id"].fillna(got["recipient_id"])})
    # a scripted contribution may still be missed when the member has no account to pay from
    is_miss = got["event_type"] == "circle-contribution-missed"
    got.loc[is_miss, "event_type"] = "circle-contribution-received"
    expected.loc[expected["event_type"] == "circle-contribution-missed", "event_type"] = "circle-contribution-received"
    key = ["pattern_id", "event_type", "circle_id", "who"]
    a = expected.fillna("-").groupby(key).size()
    b = got.fillna("-").groupby(key).size()
    assert a.sort_index().equals(b.reindex(a.index).fillna(0).astype(a.dtype).sort_index())
    assert len(b) == len(a)
    # scripted payouts carry the script's amount; payments carry the pattern id
    pay_rows = sched[sched["kind"] == "circle_payout"]
    got_pay = ev[ev["pattern_id"].notna() & (ev["event_type"] == "circle-payout-executed")]
    assert np.isclose(got_pay["amount"].astype(float).sum(), pay_rows["amount"].sum())
    assert pays["pattern_id"].notna().sum() == len(sched[sched["kind"].isin(["circle_contribution", "circle_payout"])]) \
        - int((ev["pattern_id"].notna() & (ev["reason"] == "no_payment_method")).sum())
    # from the first cycle a script touches, the simulated process leaves the circle alone
    scripted = ev[ev["pattern_id"].notna()].groupby("circle_id")["time"].min()
    circles = ds.graph.nodes["Circle"].set_index("id")
    cid = scripted.index
    period = circles.loc[cid, "frequency"].map(dict(zip(FREQUENCIES, PERIOD_DAYS))).to_numpy() * DAY
    start = to_seconds(circles.loc[cid, "start_date"])
    takeover = pd.Series(start + np.maximum((scripted.to_numpy() - start) // period, 0) * period, index=cid)
    assert len(cid) >= 8
    money = ev[ev["pattern_id"].isna() & ev["circle_id"].isin(cid) & ev["event_type"].isin(
        ["circle-contribution-received", "circle-contribution-missed", "circle-payout-executed",
         "circle-member-dropped", "circle-failed"])]
    assert (money["time"].to_numpy() < takeover.loc[money["circle_id"]].to_numpy()).all()


def test_ended_circles_are_silent_and_running_ones_resume(run, ds):
    ev = run.events
    circles = ds.graph.nodes["Circle"].set_index("id")
    ended = circles.index[circles["status"].isin(["completed", "failed"])]
    assert len(ended) > 10
    assert not ev["circle_id"].isin(ended).any()
    start = epoch_seconds(ds.scenario.start_date)
    period = circles["frequency"].map(dict(zip(FREQUENCIES, PERIOD_DAYS))) * DAY
    first_in_span = pd.Series(np.maximum(-((to_seconds(circles["start_date"]) - start) // period.to_numpy()), 0) + 1,
                              index=circles.index)
    cycles = ev[ev["pattern_id"].isna() & ev["cycle"].notna() & (ev["event_type"] != "circle-completed")]
    assert (cycles["cycle"].to_numpy() >= first_in_span.loc[cycles["circle_id"]].to_numpy()).all()
    running = circles.index[(circles["status"] == "active")]
    assert cycles["circle_id"].isin(running).any()
    # the members whose turn came before the span are not paid again
    payouts = cycles[cycles["event_type"] == "circle-payout-executed"]
    mo = ds.graph.edges[MEMBER_OF].set_index(["dst", "src"])["position"]
    position = mo.loc[list(zip(payouts["circle_id"], payouts["recipient_id"]))].to_numpy()
    assert (position >= first_in_span.loc[payouts["circle_id"]].to_numpy()).all()
    done = ev[ev["event_type"] == "circle-completed"]
    assert len(done) > 0 and not done["circle_id"].duplicated().any()


def test_deterministic(ds, run):
    ev, pays = run.events, run.payments
    again = simulate(context(ds))
    cols = ["time", "event_type", "corr", "person", "pattern_id", "payload"]
    pd.testing.assert_frame_equal(ev[cols].reset_index(drop=True), again.events[cols].reset_index(drop=True))
    pd.testing.assert_frame_equal(pays.reset_index(drop=True), again.payments.reset_index(drop=True))
    other = simulate(context(ds), seed=SEED + 1).events
    assert not ev["payload"].reset_index(drop=True).equals(other["payload"].reset_index(drop=True))


def test_through_the_engine(ds):
    from fraudgraph.timeline.engine import Timeline

    timeline = Timeline(ds.graph, ds.truth, ds.scenario, SeedTree(SEED), streams=["circles"], labels_on_events=True)
    events = pa.concat_tables([w.events for w in timeline.windows()]).to_pandas()
    assert set(events["event_type"]) == set(Circles.event_types)
    assert set(events["source_service"]) == {"circle-service"}
    assert (events["timestamp"].to_numpy()[1:] >= events["timestamp"].to_numpy()[:-1]).all()
    assert events.loc[events["pattern_id"].notna(), "event_type"].isin(list(KIND_EVENT.values()) + ["circle-completed"]).all()
