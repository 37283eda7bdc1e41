import json

import numpy as np
import pandas as pd
import pytest

from fraudgraph.timeline.families.transactions import ERROR_MESSAGES, RETRY_ELIGIBLE
from fraudgraph.timeline.frames import payments
from fraudgraph.timeline.ledger import FORCED, NORMAL, PROVISIONAL, SWEEP, Ledger

REFUSED_BY = {"frozen": "account_frozen", "closed": "account_closed"}


def _reference(balance, floor, status, pay, amounts=None):
    """Plain sequential ledger: process payments by time (ties in row order); verdicts and reasons (and, given
    ``amounts``, each sweep's amount written there)."""
    balance, status = balance.copy(), status.copy()
    ok = np.zeros(len(pay), bool)
    reason = np.full(len(pay), None, dtype=object)
    for i in np.argsort(pay["time"].to_numpy(), kind="stable"):
        s, d, a = pay["src"].iat[i], pay["dst"].iat[i], pay["amount"].iat[i]
        posting = pay["posting"].iat[i]
        refusing = [status[x] for x in (s, d) if x >= 0 and status[x] in REFUSED_BY]  # the source first
        sweep = posting == SWEEP and s >= 0
        if sweep:
            a = np.floor(max(balance[s], 0.0) * 100 + 1e-6) / 100 if not refusing else 0.0
            amounts[i] = a
            if status[s] not in REFUSED_BY:
                status[s] = "closed"  # from right after its sweep
        if refusing and posting != FORCED:
            reason[i] = REFUSED_BY[refusing[0]]
            continue
        if s >= 0 and posting == NORMAL and balance[s] - a < floor[s] - 1e-9:
            reason[i] = "insufficient_funds"
            continue
        ok[i] = True
        if s >= 0:
            balance[s] -= a
        if d >= 0:
            balance[d] += a
    return ok, reason, balance


def _replay(balance, floor, pay, ok):
    """Balance before each payment when only the ``ok`` payments move money, in processing order."""
    balance = balance.copy()
    before = np.zeros(len(pay))
    for i in np.argsort(pay["time"].to_numpy(), kind="stable"):
        s, d, a = pay["src"].iat[i], pay["dst"].iat[i], pay["amount"].iat[i]
        before[i] = balance[s] if s >= 0 else np.inf
        if ok[i]:
            if s >= 0:
                balance[s] -= a
                assert balance[s] >= floor[s] - 1e-6, "a completed debit overdrew its account"
            if d >= 0:
                balance[d] += a
    return before, balance


@pytest.mark.parametrize("seed", range(6))
def test_ledger_never_overdraws_and_every_refusal_is_justified(seed):
    rng = np.random.default_rng(seed)
    n_acc, n = 12, 400
    opening = rng.uniform(0, 300, n_acc)
    limit = np.where(rng.random(n_acc) < 0.3, rng.uniform(100, 500, n_acc), 0.0)
    is_credit = limit > 0
    status = rng.choice(np.array(["active", "dormant", "frozen", "closed"], dtype=object), n_acc, p=[0.7, 0.1, 0.1, 0.1])
    pay = payments(n, time=rng.integers(0, 86_400, n), src=rng.integers(-1, n_acc, n), dst=rng.integers(-1, n_acc, n),
                   amount=np.round(rng.uniform(1, 150, n), 2))
    ledger = Ledger(opening, limit, is_credit, status)
    start = ledger.balance.copy()
    outcome = ledger.apply(pay)
    before, final = _replay(start, ledger.floor, pay, outcome.ok)
    assert np.allclose(ledger.balance, final)
    short = outcome.reason == "insufficient_funds"
    amount = pay["amount"].to_numpy()
    assert (before[short] - amount[short] < ledger.floor[pay["src"].to_numpy()[short]] + 1e-9).all()
    ok, reason, _ = _reference(start, ledger.floor, status, pay)
    assert np.array_equal(outcome.ok, ok)
    assert np.array_equal(outcome.reason, reason)
    assert set(outcome.reason[~outcome.ok]) <= {"insufficient_funds", "account_frozen", "account_closed"}
    assert pd.isna(outcome.reason[outcome.ok]).all()


@pytest.mark.parametrize("seed", range(4))
def test_provisional_debits_may_overdraw_and_forced_reversals_always_post(seed):
    """Pulled ACH debits are posted whatever the balance (a frozen or closed account still refuses them); returns
    are posted whatever the balance and status; ordinary debits after an overdraft are refused until money comes."""
    rng = np.random.default_rng(200 + seed)
    n_acc, n = 15, 800
    opening = rng.uniform(0, 200, n_acc)
    limit = np.where(rng.random(n_acc) < 0.2, rng.uniform(100, 300, n_acc), 0.0)
    status = rng.choice(np.array(["active", "dormant", "frozen", "closed"], dtype=object), n_acc, p=[0.7, 0.1, 0.1, 0.1])
    posting = rng.choice([NORMAL, PROVISIONAL, FORCED], n, p=[0.6, 0.3, 0.1]).astype(np.int8)
    pay = payments(n, time=rng.integers(0, 86_400, n), src=rng.integers(-1, n_acc, n), dst=rng.integers(-1, n_acc, n),
                   amount=np.round(rng.uniform(1, 250, n), 2), posting=posting)
    ledger = Ledger(opening, limit, limit > 0, status)
    start = ledger.balance.copy()
    outcome = ledger.apply(pay)
    ok, reason, final = _reference(start, ledger.floor, status, pay)
    assert np.array_equal(outcome.ok, ok) and np.array_equal(outcome.reason, reason)
    assert np.allclose(ledger.balance, final)
    assert outcome.ok[posting == FORCED].all()
    assert "insufficient_funds" not in set(outcome.reason[posting != NORMAL])
    assert (outcome.balance_after[(posting == PROVISIONAL) & outcome.ok] < ledger.floor[pay["src"].to_numpy()[
        (posting == PROVISIONAL) & outcome.ok]] - 1e-9).any(), "no provisional debit overdrew: the test proves nothing"


@pytest.mark.parametrize("seed", range(4))
def test_a_sweep_pays_out_the_balance_at_its_time_and_the_account_refuses_everything_after(seed):
    rng = np.random.default_rng(300 + seed)
    n_acc, n = 10, 500
    opening = rng.uniform(0, 400, n_acc)
    status = rng.choice(np.array(["active", "dormant", "frozen"], dtype=object), n_acc, p=[0.8, 0.1, 0.1])
    posting = rng.choice([NORMAL, PROVISIONAL, FORCED], n, p=[0.8, 0.15, 0.05]).astype(np.int8)
    src, dst = rng.integers(-1, n_acc, n), rng.integers(-1, n_acc, n)
    swept = rng.choice(n, 6, replace=False)
    posting[swept], dst[swept] = SWEEP, -1
    src[swept] = rng.choice(n_acc, 6, replace=False)
    pay = payments(n, time=rng.integers(0, 86_400, n), src=src, dst=dst, amount=np.round(rng.uniform(1, 120, n), 2),
                   posting=posting)
    ledger = Ledger(opening, np.zeros(n_acc), np.zeros(n_acc, bool), status)
    start = ledger.balance.copy()
    outcome = ledger.apply(pay)
    expected = pay["amount"].to_numpy(dtype=float, copy=True)
    ok, reason, final = _reference(start, ledger.floor, status, pay, expected)
    assert np.array_equal(outcome.ok, ok) and np.array_equal(outcome.reason, reason)
    assert np.allclose(outcome.amount, expected) and np.allclose(ledger.balance, final)
    done = swept[outcome.ok[swept]]
    assert len(done) and (outcome.amount[done] > 0).any()
    left = outcome.balance_after[done]
    assert (left < 0.01).all() and (np.abs(left[outcome.amount[done] > 0]) < 0.01).all()  # nothing is left behind
    assert np.allclose(outcome.amount[done][left < 0], 0)                 # an overdrawn account keeps its debt
    later = pay["time"].to_numpy()[:, None] > pay["time"].to_numpy()[done][None, :]
    touches = (src[:, None] == src[done][None, :]) | (dst[:, None] == src[done][None, :])
    after = (later & touches).any(axis=1) & (posting != FORCED)
    assert after.any() and not outcome.ok[after].any()


def test_a_reversal_restores_both_balances_exactly():
    ledger = Ledger(np.array([100.0, 50.0]), np.zeros(2), np.zeros(2, bool), np.array(["active", "active"]))
    ledger.apply(payments(1, time=[10], src=[0], dst=[1], amount=[180.25], posting=PROVISIONAL))
    assert ledger.balance.tolist() == [-80.25, 230.25]
    assert ledger.apply(payments(1, time=[20], src=[0], dst=[1], amount=[5.0])).reason.tolist() == ["insufficient_funds"]
    ledger.apply(payments(1, time=[200_000], src=[1], dst=[0], amount=[180.25], posting=FORCED))
    assert ledger.balance.tolist() == [100.0, 50.0]


def test_refusals_name_the_status_of_the_refusing_account():
    # 0 active, 1 frozen, 2 closed, 3 dormant (pays), all with money
    ledger = Ledger(np.full(4, 500.0), np.zeros(4), np.zeros(4, bool), np.array(["active", "frozen", "closed", "dormant"]))
    src = [2, 1, 0, 0, 1, 2, 3, 2, -1]
    dst = [0, 0, 2, 1, 2, 1, 0, -1, 2]
    out = ledger.apply(payments(len(src), time=np.arange(len(src)), src=src, dst=dst, amount=np.full(len(src), 10.0)))
    assert out.reason.tolist() == [
        "account_closed",   # from a closed account
        "account_frozen",   # from a frozen account
        "account_closed",   # to a closed account
        "account_frozen",   # to a frozen account
        "account_frozen",   # frozen to closed: the source refuses first
        "account_closed",   # closed to frozen
        None,               # a dormant account still pays
        "account_closed",   # a closed account pays nothing out of the world either
        "account_closed",   # nor receives from outside it
    ]
    assert out.ok.tolist() == [False] * 6 + [True] + [False] * 2
    assert ledger.balance.tolist() == [510.0, 500.0, 500.0, 490.0]


def test_every_refusal_has_a_transaction_failed_error_and_only_a_shortfall_is_retried():
    reasons = ["insufficient_funds", "account_frozen", "account_closed"]
    assert set(reasons) <= set(ERROR_MESSAGES)
    assert [r in RETRY_ELIGIBLE for r in reasons] == [True, False, False]


def test_balances_carry_over_days():
    ledger = Ledger(np.array([100.0, 0.0]), np.zeros(2), np.zeros(2, bool), np.array(["active", "active"]))
    day1 = payments(1, time=[10], src=[0], dst=[1], amount=[80.0])
    day2 = payments(2, time=[90_000, 90_001], src=[0, 1], dst=[1, 0], amount=[30.0, 50.0])
    assert ledger.apply(day1).ok.tolist() == [True]
    out = ledger.apply(day2)
    assert out.ok.tolist() == [False, True]
    assert ledger.balance.tolist() == [70.0, 30.0]


@pytest.mark.parametrize("seed", range(4))
def test_ledger_is_exact_on_busy_days_with_long_refusal_chains(seed):
    """Thousands of payments among few, mostly short accounts: refusals cascade through transfers."""
    rng = np.random.default_rng(100 + seed)
    n_acc, n = 30, 3000
    opening = rng.uniform(0, 200, n_acc)
    limit = np.where(rng.random(n_acc) < 0.2, rng.uniform(100, 300, n_acc), 0.0)
    status = np.array(["active"] * n_acc, dtype=object)
    pay = payments(n, time=rng.integers(0, 86_400, n), src=rng.integers(0, n_acc, n), dst=rng.integers(-1, n_acc, n),
                   amount=np.round(rng.uniform(1, 250, n), 2))
    ledger = Ledger(opening, limit, limit > 0, status)
    start = ledger.balance.copy()
    outcome = ledger.apply(pay)
    ok, reason, final = _reference(start, ledger.floor, status, pay)
    assert (~ok).sum() > 300
    assert np.array_equal(outcome.ok, ok)
    assert np.allclose(ledger.balance, final)


def test_criminals_fund_their_own_accounts_from_outside_never_a_takeover_victim(small_dataset, tx_windows):
    events, truth = tx_windows[0].to_pandas(), tx_windows[1].to_pandas()
    labelled = events.merge(truth[["event_id", "pattern_id"]], on="event_id")
    started = labelled[(labelled["event_type"] == "transaction-initiated") & labelled["pattern_id"].notna()]
    payload = started["payload"].map(json.loads)
    cash = started[payload.map(lambda p: p["type"] == "cash_deposit").to_numpy()]
    funded = set(zip(payload[cash.index].map(lambda p: p["counterparty_account_id"]), cash["pattern_id"]))
    labels = small_dataset.truth.node_labels
    victims = set(zip(*labels.loc[labels["role"] == "victim_account", ["id", "pattern_id"]].T.to_numpy()))
    assert len(victims) >= 5 and not funded & victims
    schedule = small_dataset.truth.schedule
    placed = {pid for _, pid in funded} - set(schedule.loc[schedule["kind"] == "cash_deposit", "pattern_id"])
    assert len(placed) >= 5  # mules and rings still get their criminal money from outside
