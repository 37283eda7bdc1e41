"""ACH returns: which payments come back, when, with which code, and that each reverses its payment exactly."""

import json

import numpy as np
import pandas as pd
import pytest

from fraudgraph.timeline.returns import PULLED, REASONS, RETURNABLE


@pytest.fixture(scope="module")
def money(tx_windows):
    """initiated, completed and returned payloads of the transactions stream, by transaction id."""
    events, truth = tx_windows[0].to_pandas(), tx_windows[1].to_pandas()
    payload = events["payload"].map(json.loads)
    frames = {}
    for kind in ("initiated", "completed", "returned"):
        rows = events["event_type"] == f"transaction-{kind}"
        frame = pd.DataFrame(payload[rows].tolist(), index=events.index[rows])
        frame["timestamp"] = pd.to_datetime(events.loc[rows, "timestamp"])
        frame["event_id"] = events.loc[rows, "event_id"]
        frames[kind] = frame
    frames["truth"] = truth
    return frames


def test_returns_happen_with_several_codes_and_stay_rare(money):
    back = money["returned"]
    assert len(back) >= 20
    assert set(back["return_code"]) <= set(REASONS) and back["return_code"].nunique() >= 4
    assert (back["return_reason"] == back["return_code"].map(REASONS)).all()
    ach = money["initiated"]["type"].isin(RETURNABLE)
    assert len(back) < 0.02 * ach.sum()


def test_each_return_reverses_a_completed_ach_payment_1_to_5_banking_days_after_it(money):
    back = money["returned"]
    started = money["initiated"].set_index("transaction_id")
    done = money["completed"].set_index("transaction_id")
    assert back["transaction_id"].is_unique
    assert back["transaction_id"].isin(done.index).all(), "only a completed payment can come back"
    original = started.loc[back["transaction_id"]]
    assert original["type"].isin(RETURNABLE).all()
    assert (original["amount"].to_numpy() == back["amount"].to_numpy()).all()
    assert (original["account_id"].fillna("").to_numpy() == back["account_id"].fillna("").to_numpy()).all()
    assert (original["counterparty_account_id"].to_numpy() == back["counterparty_account_id"].to_numpy()).all()
    completed_on = done.loc[back["transaction_id"], "timestamp"].dt.date.to_numpy().astype("datetime64[D]")
    returned_on = back["timestamp"].dt.date.to_numpy().astype("datetime64[D]")
    banking_days = np.busday_count(completed_on, returned_on)
    assert banking_days.min() >= 1 and banking_days.max() <= 5, np.unique(banking_days)
    assert np.is_busday(returned_on).all()
    assert (back["returned_at"] == back["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).all()


def test_funds_returns_are_pulled_debits_that_overdrew_and_mistyped_transfers_bounce(money):
    back = money["returned"]
    started = money["initiated"].set_index("transaction_id")
    done = money["completed"].set_index("transaction_id")
    nsf = back[back["return_code"] == "R01"]
    assert len(nsf) >= 3
    assert started.loc[nsf["transaction_id"], "type"].isin(PULLED).all()
    assert (done.loc[nsf["transaction_id"], "balance_after"].astype(float) < 0).all()
    truth = money["truth"].set_index("event_id")["is_mistyped_recipient"]
    mistyped = money["initiated"][truth.reindex(money["initiated"]["event_id"]).fillna(False).to_numpy(bool)]
    ach_mistyped = mistyped[mistyped["type"].isin(RETURNABLE) & mistyped["transaction_id"].isin(done.index)]
    codes = back.set_index("transaction_id")["return_code"].reindex(ach_mistyped["transaction_id"])
    # at 60% each, few of this world's handful come back by chance alone; every one that does, for the number
    assert len(codes) >= 3 and codes.notna().sum() >= 1 and set(codes.dropna()) <= {"R03", "R04"}


def test_balances_rebuilt_from_the_events_match_every_completed_debit(small_dataset, money):
    """Opening balance, plus every completed credit, minus every completed debit, with each return posted the
    other way at its time: the balance_after of each completed debit, exactly (where no two postings of an
    account share a second, whose order the events cannot tell)."""
    accounts = small_dataset.graph.nodes["Account"].set_index("id")
    started = money["initiated"].set_index("transaction_id")
    done = money["completed"]
    moved = started.loc[done["transaction_id"]]
    at = moved["timestamp"].to_numpy()
    amount = moved["amount"].astype(float).to_numpy()
    back = money["returned"]
    postings = pd.concat([
        pd.DataFrame({"account": moved["account_id"].to_numpy(), "time": at, "delta": -amount,
                      "after": done["balance_after"].astype(float).to_numpy()}),
        pd.DataFrame({"account": moved["counterparty_account_id"].to_numpy(), "time": at, "delta": amount,
                      "after": np.nan}),
        pd.DataFrame({"account": back["account_id"].to_numpy(), "time": back["timestamp"].to_numpy(),
                      "delta": back["amount"].astype(float).to_numpy(), "after": np.nan}),
        pd.DataFrame({"account": back["counterparty_account_id"].to_numpy(), "time": back["timestamp"].to_numpy(),
                      "delta": -back["amount"].astype(float).to_numpy(), "after": np.nan}),
    ], ignore_index=True)
    postings = postings[postings["account"].isin(accounts.index)].sort_values(["account", "time", "delta"],
                                                                             kind="stable")
    opening = accounts.loc[postings["account"], "opening_balance"].to_numpy()
    is_card = accounts.loc[postings["account"], "account_type"].to_numpy() == "credit_card"
    start = np.where(is_card, -opening, opening)
    running = start + postings.groupby("account")["delta"].cumsum().to_numpy()
    lonely = ~postings.duplicated(["account", "time"], keep=False).to_numpy()
    check = lonely & postings["after"].notna().to_numpy()
    returned_accounts = set(back["account_id"]) | set(back["counterparty_account_id"])
    touched = check & postings["account"].isin(returned_accounts).to_numpy()
    assert touched.sum() > 50, "too few debits of accounts with returns to prove anything"
    assert np.allclose(running[check], postings["after"].to_numpy()[check], atol=0.011)
