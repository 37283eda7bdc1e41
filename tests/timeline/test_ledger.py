import numpy as np
import pytest

from fraudgraph.timeline.frames import payments
from fraudgraph.timeline.ledger import Ledger


def _reference(balance, floor, blocked, pay):
    """Plain sequential ledger: process payments by time (ties in row order)."""
    balance = balance.copy()
    ok = np.zeros(len(pay), bool)
    for i in np.argsort(pay["time"].to_numpy(), kind="stable"):
        s, d, a = pay["src"].iat[i], pay["dst"].iat[i], pay["amount"].iat[i]
        if (s >= 0 and blocked[s]) or (d >= 0 and blocked[d]):
            continue
        if s >= 0 and balance[s] - a < floor[s] - 1e-9:
            continue
        ok[i] = True
        if s >= 0:
            balance[s] -= a
        if d >= 0:
            balance[d] += a
    return ok, balance


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
    status = np.where(rng.random(n_acc) < 0.1, "frozen", "active")
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
    ok, _ = _reference(start, ledger.floor, ledger.blocked, pay)
    assert np.array_equal(outcome.ok, ok)
    assert set(outcome.reason[~outcome.ok]) <= {"insufficient_funds", "account_frozen", "account_closed"}


def test_balances_carry_over_days():
    ledger = Ledger(np.array([100.0, 0.0]), np.zeros(2), np.zeros(2, bool), np.array(["active", "active"]))
    day1 = payments(1, time=[10], src=[0], dst=[1], amount=[80.0])
    day2 = payments(2, time=[90_000, 90_001], src=[0, 1], dst=[1, 0], amount=[30.0, 50.0])
    assert ledger.apply(day1).ok.tolist() == [True]
    out = ledger.apply(day2)
    assert out.ok.tolist() == [False, True]
    assert ledger.balance.tolist() == [70.0, 30.0]
