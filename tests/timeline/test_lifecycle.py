"""Customer lifecycle: phases and churn in truth, activity that follows them, nothing after churn, closed accounts
(fraudgraph/population/lifecycle.py, the timeline's use of it)."""

import json

import pandas as pd
import pyarrow as pa
import pytest

import fraudgraph
from fraudgraph.truth import PHASES

DAY = pd.Timedelta(days=1)


def _generate(persons=3000, days=150, **lifecycle):
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": persons, "days": days, **{f"lifecycle.{k}": v for k, v in lifecycle.items()}})
    return fraudgraph.generate(scenario, seed=8)


@pytest.fixture(scope="module")
def world():
    ds = _generate()
    windows = list(ds.timeline(labels_on_events=True).windows())
    events = pa.concat_tables([w.events for w in windows]).to_pandas()
    events["p"] = events["payload"].map(json.loads)
    events["at"] = pd.to_datetime(events["timestamp"]).dt.tz_localize(None)
    return ds, events


def _actor(p: dict):
    return p.get("user_id") or p.get("sender_id") or p.get("member_id") or p.get("owner_id") or p.get("person_id")


def test_every_person_has_ordered_phases_and_tiers_churn_in_order(world):
    ds, _ = world
    lc = ds.truth.lifecycle
    persons = ds.graph.nodes["Person"]
    assert sorted(lc["person_id"]) == sorted(persons["id"])
    assert set(lc["phase_at_end"]) <= set(PHASES) and {"engaged", "churned", "cooling"} <= set(lc["phase_at_end"])
    assert (lc["engaged_from"] - lc["new_from"] == 30 * DAY).all()
    for earlier, later in (("engaged_from", "cooling_from"), ("cooling_from", "at_risk_from"),
                           ("at_risk_from", "churned_at")):
        both = lc[earlier].notna() & lc[later].notna()
        assert (lc.loc[both, earlier] <= lc.loc[both, later]).all(), (earlier, later)
    churned = lc["churned_at"].notna()
    assert churned.any() and lc.loc[churned, "at_risk_from"].notna().all()
    assert (lc.loc[churned, "phase_at_end"] == "churned").all() and not lc.loc[~churned, "closes_accounts"].any()
    share = lc.groupby("risk_tier")["churned_at"].apply(lambda s: s.notna().mean())
    assert share["high"] > 3 * share["medium"] > 3 * share["low"] / 2, share
    members = set(ds.truth.node_labels.loc[ds.truth.node_labels["label"] == "Person", "id"])
    assert not lc.loc[lc["person_id"].isin(members), "churned_at"].notna().any()


def test_a_churned_person_does_nothing_after_leaving(world):
    ds, events = world
    lc = ds.truth.lifecycle.set_index("person_id")
    left = lc.loc[lc["churned_at"].notna(), "churned_at"]
    actor = events["p"].map(_actor)
    when = actor.map(left)
    mine = when.notna()
    assert mine.sum() > 1000
    after = mine & (events["at"] >= when) & (events["event_type"] != "transaction-returned")
    assert not after.any(), events.loc[after, "event_type"].value_counts()
    # and they were active before
    assert (mine & (events["at"] < when)).sum() > 1000


def test_employers_stop_paying_salaries_into_a_leavers_accounts(world):
    ds, events = world
    lc = ds.truth.lifecycle.set_index("person_id")
    left = lc.loc[lc["churned_at"].notna(), "churned_at"]
    owns = ds.graph.edges[("Person", "OWNS", "Account")]
    leaver_of = owns[owns["src"].isin(left.index) & (owns["role"] == "primary")].set_index("dst")["src"]
    started = events[events["event_type"] == "transaction-initiated"]
    payroll = started[started["p"].map(lambda p: p["type"] == "payroll")]
    to = payroll["p"].map(lambda p: p["counterparty_account_id"]).map(leaver_of)
    when = to.map(left)
    assert (payroll["at"] < when).sum() > 20          # leavers were paid while they stayed
    assert not (payroll["at"] >= when).any()          # and never after: the salary goes to their new bank


def test_leavers_close_their_accounts_with_their_money_paid_out(world):
    ds, events = world
    lc = ds.truth.lifecycle.set_index("person_id")
    closers = lc[lc["closes_accounts"]]
    closed = events[events["event_type"] == "account-closed"]
    assert len(closed) >= 20
    owner = closed["p"].map(lambda p: p["owner_id"])
    assert owner.isin(closers.index).all()
    assert ((closers.loc[owner, "churned_at"].to_numpy() - closed["at"].to_numpy()) == pd.Timedelta(seconds=60)).all()
    owns = ds.graph.edges[("Person", "OWNS", "Account")]
    primary = owns[owns["role"] == "primary"]
    expected = set(primary.loc[primary["src"].isin(closers.index), "dst"])
    assert set(closed["p"].map(lambda p: p["account_id"])) <= expected
    accounts = set(closed["p"].map(lambda p: p["account_id"]))
    closed_at = dict(zip(closed["p"].map(lambda p: p["account_id"]), closed["at"]))
    started = events[events["event_type"] == "transaction-initiated"]
    payouts = started[started["p"].map(lambda p: p["type"] == "account_closure")]
    assert len(payouts) >= 10 and payouts["p"].map(lambda p: p["account_id"] in accounts).all()
    # the payout empties the account as it is then (what came in earlier that day included)
    completed = events[events["event_type"] == "transaction-completed"]
    left = completed["p"].map(lambda p: (p["transaction_id"], p["balance_after"]))
    left = dict(left.tolist())
    payout_ids = payouts["p"].map(lambda p: p["transaction_id"])
    assert all(0 <= float(left[t]) < 0.01 for t in payout_ids if t in left) and payout_ids.isin(list(left)).mean() > 0.8
    status = ds.graph.nodes["Account"].set_index("id")["status"]
    assert status.loc[list(accounts)].isin(["active", "dormant"]).all()  # the bank's closed or frozen ones stay so
    # nothing reaches or leaves a closed account from its payout on (what is tried is refused)
    done = set(completed["p"].map(lambda p: p["transaction_id"]))
    moved = started[started["p"].map(lambda p: p["transaction_id"] in done)]
    touched = moved["p"].map(lambda p: p["account_id"] if p["account_id"] in accounts else p["counterparty_account_id"])
    late = touched.map(closed_at).notna() & (moved["at"] > touched.map(closed_at) - pd.Timedelta(seconds=60))
    assert not late.any(), moved.loc[late, "p"].head().tolist()


def test_activity_and_support_contacts_follow_the_phase(world):
    ds, events = world
    lc = ds.truth.lifecycle.set_index("person_id")
    sessions = events[events["event_type"] == "session-started"]
    person = sessions["p"].map(lambda p: p["user_id"])
    at = sessions["at"]

    def phase(who, t):
        row = lc.loc[who]
        cut = [("at_risk", row["at_risk_from"]), ("cooling", row["cooling_from"])]
        return next((name for name, start in cut if pd.notna(start) and t >= start), "engaged")

    stamp = pd.DataFrame({"person": person.to_numpy(), "phase": [phase(w, t) for w, t in zip(person, at)]})
    # person-days spent in each phase, over the persons seen at all
    start, end = pd.Timestamp(ds.scenario.start_date), pd.Timestamp(ds.scenario.end_date)
    rows = lc.loc[lc.index.isin(set(person))]
    stop = rows["churned_at"].fillna(end).clip(upper=end)
    cool = rows["cooling_from"].fillna(end).clip(lower=start, upper=end)
    risk = rows["at_risk_from"].fillna(end).clip(lower=start, upper=end)
    first = rows["engaged_from"].clip(lower=start)
    days = {"engaged": ((cool - first).clip(lower=pd.Timedelta(0)) / DAY).sum(),
            "cooling": ((risk - cool).clip(lower=pd.Timedelta(0)) / DAY).sum(),
            "at_risk": ((stop - risk).clip(lower=pd.Timedelta(0)) / DAY).sum()}
    rate = {k: (stamp["phase"] == k).sum() / days[k] for k in days}
    assert rate["at_risk"] < rate["cooling"] < rate["engaged"], rate
    assert rate["at_risk"] < 0.5 * rate["engaged"], rate
    actions = events[events["event_type"] == "user-action-performed"]
    who, when = actions["p"].map(lambda p: p["user_id"]), actions["at"]
    risky = (when >= who.map(lc["at_risk_from"])).to_numpy()
    support = actions["p"].map(lambda p: p["action_type"] == "support_contact").to_numpy()
    assert support[risky].mean() > 3 * support[~risky].mean()


def test_churn_drift_pushes_the_population_to_leave_and_off_keeps_everyone():
    calm = _generate(persons=1500, days=120).truth.lifecycle["churned_at"].notna().sum()
    pushed = _generate(persons=1500, days=120, churn_drift=4.0).truth.lifecycle["churned_at"].notna().sum()
    assert pushed > 1.8 * calm > 0
    off = _generate(persons=800, days=40, enabled=False)
    assert off.truth.lifecycle.empty
    windows = list(off.timeline(streams=["identity"]).windows())
    assert "account-closed" not in set(pa.concat_tables([w.events for w in windows])["event_type"].to_pylist())


def test_bad_settings_are_refused():
    from fraudgraph.errors import ConfigError

    with pytest.raises(ConfigError, match="lifecycle.max_cooling_days"):
        fraudgraph.pipeline.prepare({"lifecycle": {"min_cooling_days": 90, "max_cooling_days": 10}})
    with pytest.raises(ConfigError, match="lifecycle.close_share"):
        fraudgraph.pipeline.prepare({"lifecycle": {"close_share": 2}})
