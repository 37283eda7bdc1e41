"""Everyday money routines with the shapes of layering: legitimate fan-outs, fan-ins and chains.

Each routine recruits its members with a :class:`~fraudgraph.patterns.kit.ledger.MoneyLedger`, scripts
the money and returns it as a (non-fraud) instance of the typology it is a decoy of, or ``None`` when
the world lacks what it needs:

* :func:`payroll_run`: a business receives a client payment and pays part of its staff days later;
* :func:`crew_payout`: a self-employed person is paid by a client and pays a crew of helpers;
* :func:`rent_collection`: tenants pay one landlord monthly; most of it moves on to savings or a mortgage;
* :func:`remittance_chain`: relatives forwarding a monthly remittance down a chain;
* :func:`group_collection`: friends chip in to an organiser, who pays the trip or the gift.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import PatternInstance, make_schedule
from fraudgraph.patterns.kit.keys import (
    C_OWNS,
    EVERYDAY,
    PAYS,
    PAYS_STEM,
    TRANSFERS,
    TRANSFERS_STEM,
    WORKS_AT,
)
from fraudgraph.patterns.kit.layering import mule_amount
from fraudgraph.patterns.kit.ledger import MoneyLedger, scheduled_instance
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.units import DAY, HOUR, MONTH


def _transfers(rows) -> pd.DataFrame:
    """A schedule of transfers from ``(time, src, dst, amount, detail)`` rows."""
    time, src, dst, amount, detail = (list(c) for c in zip(*rows)) if rows else ([], [], [], [], [])
    return make_schedule(time, "transfer", TRANSFERS_STEM, src, dst, amount, detail=np.array(detail, dtype=object))


def _span(sched: pd.DataFrame) -> tuple[int, int]:
    return int(sched["time"].min()), int(sched["time"].max()) + 1


# -- fan-outs ----------------------------------------------------------------------------------------

def payroll_run(kit: Toolkit, led: MoneyLedger, name: str) -> PatternInstance | None:
    """A business pays part of its staff (a team, or its commission run) soon after a client pays it."""
    found = _payroll_team(kit, led)
    if found is None:
        return None
    company, biz, team, accounts, salary = found
    transfers = kit.graph.edges[TRANSFERS]
    clients = transfers[(transfers["dst"] == biz).to_numpy() & (transfers["kind"] == "supplier").to_numpy()]
    client = clients.iloc[int(kit.rng.integers(0, len(clients)))]["src"] if len(clients) else None
    rows, paydays, step = _paydays(kit, biz, accounts, salary, client)
    sched = led.after_existing(TRANSFERS, _transfers(rows))
    if sched.empty:
        return None
    members = [("Company", company, "employer"), ("Account", biz, "payroll_account")]
    members += [("Person", p, "employee") for p in team] + [("Account", a, "salary_account") for a in accounts]
    if client is not None:
        members.append(("Account", client, "client_account"))
    return scheduled_instance(led, name, sched, members, *_span(sched),
                              {"employees": int(team.size), "paydays": paydays, "every_days": int(step // DAY),
                               "client": client is not None},
                              kind=np.where(sched["detail"] == "client_payment", "supplier", "payroll"))


def _payroll_team(kit: Toolkit, led: MoneyLedger):
    """An employer not used yet, its business account, and three to six of its staff (free ones first)
    with the account and amount of their existing payroll edges; ``None`` if no employer has three."""
    rng, ctx, g = kit.rng, kit.ctx, kit.graph
    works, owns = g.edges[WORKS_AT], g.edges[C_OWNS]
    if not len(works) or not len(owns):
        return None
    biz_of = owns.drop_duplicates("src").set_index("src")["dst"]
    staff = works.groupby("dst")["src"].agg(list)
    ok = [c for c in staff.index if c in biz_of.index and c not in ctx.used_companies and len(staff[c]) >= 3]
    if not ok:
        return None
    company = ok[int(rng.integers(0, len(ok)))]
    biz = biz_of[company]
    transfers = g.edges[TRANSFERS]
    out_rows = transfers[(transfers["src"] == biz).to_numpy()]
    payroll = out_rows[out_rows["kind"] == "payroll"]
    paid_acc = {led.owner(a): (a, amt) for a, amt in zip(payroll["dst"], payroll["typical_amount"])}
    employees = [e for e in staff[company] if e in paid_acc]  # salaries flow on existing payroll edges only
    employees = [employees[i] for i in rng.permutation(len(employees))]
    free = [e for e in employees if e not in ctx.used_persons]
    k = int(rng.integers(3, 7))
    team = np.array((free + [e for e in employees if e in ctx.used_persons])[:k], dtype=object)
    if team.size < 3:
        return None
    ctx.used_companies.add(company)
    ctx.used_persons.update(team.tolist())
    return company, biz, team, [paid_acc[e][0] for e in team], np.array([float(paid_acc[e][1]) for e in team])


def _paydays(kit: Toolkit, biz: str, accounts: list, salary: np.ndarray, client):
    """Fortnightly or monthly paydays over the span: a client payment hours to days before each (when
    the business has a client), then the salaries. Returns the rows, the number of paydays and the step."""
    rng, ctx = kit.rng, kit.ctx
    step = 14 * DAY if rng.random() < 0.7 else MONTH
    first = ctx.start + int(rng.uniform(2, 14) * DAY)
    paydays = np.arange(first, ctx.end - DAY, step)
    rows = []
    for day in paydays:
        t = day + int(rng.uniform(13, 17) * HOUR)
        pay = np.round(salary * rng.uniform(0.98, 1.02, salary.size), 2)
        if client is not None:
            rows.append((t - int(rng.uniform(6, 60) * HOUR), client, biz,
                         round(float(pay.sum()) / rng.uniform(0.80, 0.99), 2), "client_payment"))
        late = rng.integers(0, 2 * HOUR, salary.size)
        rows += [(t + int(x), biz, a, amount, "salary") for x, a, amount in zip(late, accounts, pay.tolist())]
    return rows, int(paydays.size), step


def crew_payout(kit: Toolkit, led: MoneyLedger, name: str) -> PatternInstance | None:
    """A self-employed person (contractor, caterer, mover) is paid by a client and pays a crew days later."""
    rng, ctx = kit.rng, kit.ctx
    k = int(rng.integers(3, 7))
    people, accounts = led.circle(k + 2, EVERYDAY)
    if len(people) < k + 2:
        return None
    boss, crew, client = 0, list(range(1, k + 1)), k + 1
    jobs = int(rng.integers(1, 4))
    rows = []
    t = ctx.start + int(rng.uniform(0, 20) * DAY)
    for _ in range(jobs):
        if t > ctx.end - 5 * DAY:
            break
        fee = float(np.round(mule_amount(kit, led, kit.ctx.knobs.amount_blending) * k * rng.uniform(0.8, 1.3), 2))
        rows.append((t, accounts[client], accounts[boss], fee, "client_payment"))
        wages = np.round(fee * rng.uniform(0.6, 0.95) * rng.dirichlet(np.full(k, 4.0)), 2)
        paid = (t + (rng.uniform(3, 60, k) * HOUR).astype(np.int64)).tolist()
        rows += [(p, accounts[boss], accounts[c], w, "wage") for p, c, w in zip(paid, crew, wages.tolist())]
        t += int(rng.uniform(10, 40) * DAY)
    if not rows:
        return None
    sched = led.after_existing(TRANSFERS, _transfers(rows))
    if sched.empty:
        return None
    members = [("Person", people[boss], "contractor"), ("Account", accounts[boss], "business_takings")]
    members += [("Person", people[c], "crew") for c in crew] + [("Account", accounts[c], "wage_account") for c in crew]
    members += [("Person", people[client], "client"), ("Account", accounts[client], "client_account")]
    return scheduled_instance(led, name, sched, members, *_span(sched), {"crew": k, "jobs": jobs})


# -- fan-ins -----------------------------------------------------------------------------------------

def rent_collection(kit: Toolkit, led: MoneyLedger, name: str) -> PatternInstance | None:
    """Tenants pay a landlord monthly; the landlord moves most of it to savings or pays the mortgage."""
    rng = kit.rng
    k = int(rng.integers(3, 7))
    people, accounts = led.circle(k + 1, EVERYDAY, centre_types=("checking",))
    if len(people) < k + 1:
        return None
    landlord, tenants = people[0], people[1:]
    home_acc = accounts[0]
    savings = kit.account_of([landlord], ("savings",))[0]
    mortgage = None if savings is not None else led.merchants(("real_estate", "finance"), led.city(landlord), 1)
    if savings is None and not mortgage:
        return None
    rent = np.maximum(np.round(1_300 * np.exp(rng.normal(0, 0.35, k)) / 25) * 25, 400.0)
    rows, mortgage_rows = _rent_roll(kit, accounts[1:], home_acc, rent, savings)
    if not rows:
        return None
    sched = led.after_existing(TRANSFERS, _transfers(rows))
    if sched.empty:
        return None
    start, end = _span(sched)
    members = [("Person", landlord, "landlord"), ("Account", home_acc, "rent_account")]
    members += [("Person", p, "tenant") for p in tenants] + [("Account", a, "tenant_account") for a in accounts[1:]]
    if savings is not None:
        members.append(("Account", savings, "savings_account"))
    elif mortgage_rows:
        when, amounts = zip(*mortgage_rows)
        pays = led.after_existing(PAYS, make_schedule(list(when), "bill_payment", PAYS_STEM, home_acc, mortgage[0],
                                                      list(amounts), detail="mortgage"))
        sched = pd.concat([sched, pays], ignore_index=True)
        end = int(sched["time"].max()) + 1
    kinds = np.where(sched["detail"].to_numpy() == "to_savings", "own_accounts", "")
    return scheduled_instance(led, name, sched, members, start, end,
                              {"tenants": k, "to": "savings" if savings else "mortgage"}, kind=kinds)


def _rent_roll(kit: Toolkit, tenant_accounts: list, home_acc: str, rent: np.ndarray, savings):
    """Each month the tenants pay around the due day, and a few days later the landlord moves most of it
    on: as a transfer to ``savings``, or (when that is None) as a mortgage payment.

    Returns the transfer rows and the ``(time, amount)`` of the mortgage payments."""
    rng, ctx = kit.rng, kit.ctx
    k = rent.size
    rows, mortgage_rows = [], []
    month0 = ctx.start - (ctx.start % MONTH)
    due = int(rng.integers(0, 5))
    for m0 in range(month0, ctx.end, MONTH):
        paid = m0 + (due + rng.uniform(-1, 3, k)) * DAY + rng.uniform(8, 20, k) * HOUR
        ok = (paid >= ctx.start) & (paid < ctx.end - 4 * DAY)
        if not ok.any():
            continue
        payers = [a for a, o in zip(tenant_accounts, ok) if o]
        due_at = paid[ok].astype(np.int64).tolist()
        rows += [(t, a, home_acc, r, "rent") for t, a, r in zip(due_at, payers, rent[ok].tolist())]
        moved = round(float(rent[ok].sum()) * rng.uniform(0.85, 0.98), 2)
        when = int(paid[ok].max() + rng.uniform(6, 72) * HOUR)
        if savings is not None:
            rows.append((when, home_acc, savings, moved, "to_savings"))
        else:
            mortgage_rows.append((when, moved))
    return rows, mortgage_rows


def group_collection(kit: Toolkit, led: MoneyLedger, name: str) -> PatternInstance | None:
    """Friends chip in to an organiser, who pays a trip, a venue or a gift soon after."""
    rng, ctx = kit.rng, kit.ctx
    k = int(rng.integers(3, 7))
    people, accounts = led.circle(k + 1, ("checking", "wallet"), centre_types=("checking", "wallet"))
    if len(people) < k + 1:
        return None
    shops = led.merchants(("travel", "entertainment", "restaurants", "retail"), led.city(people[0]), 1)
    if not shops:
        return None
    room = max(ctx.end - ctx.start - 10 * DAY, DAY)
    t0 = ctx.start + int(kit.fraction(ctx.start, ctx.start + room, length=4 * DAY) * room)
    share = float(np.round(np.exp(rng.normal(np.log(250), 0.6)), 2))
    arr = kit.times(k, t0, t0 + 4 * DAY)
    amts = np.round(share * rng.uniform(0.95, 1.05, k), 2)
    sched = make_schedule(arr, "transfer", TRANSFERS_STEM, accounts[1:], accounts[0], amts, detail="contribution")
    sched = led.after_existing(TRANSFERS, sched)
    if sched.empty:
        return None
    paid = int(sched["time"].max() + rng.uniform(2, 48) * HOUR)
    pays = make_schedule([paid], "card_payment", PAYS_STEM, accounts[0], shops[0],
                         [round(float(sched["amount"].sum()) * rng.uniform(0.95, 1.0), 2)], detail="group_purchase")
    start, end = int(sched["time"].min()), paid + 1
    pays = led.after_existing(PAYS, pays)
    members = [("Person", people[0], "organiser"), ("Account", accounts[0], "collecting_account")]
    members += [("Person", p, "contributor") for p in people[1:]]
    members += [("Account", a, "contributor_account") for a in accounts[1:]]
    return scheduled_instance(led, name, pd.concat([sched, pays], ignore_index=True), members, start, end,
                              {"contributors": k})


# -- chains ------------------------------------------------------------------------------------------

def remittance_chain(kit: Toolkit, led: MoneyLedger, name: str) -> PatternInstance | None:
    """A monthly remittance forwarded down a chain of relatives and friends."""
    rng, ctx = kit.rng, kit.ctx
    k = int(rng.integers(3, 5))
    people, accounts = led.chain(k, EVERYDAY)
    if len(people) < k:
        return None
    base = float(np.round(np.exp(rng.normal(np.log(600), 0.5)), 2))
    rows = []
    t = ctx.start + int(rng.uniform(0, 25) * DAY)
    while t < ctx.end - 5 * DAY:
        amount = round(base * rng.uniform(0.9, 1.1), 2)
        tt = t
        for i in range(k - 1):
            rows.append((tt, accounts[i], accounts[i + 1], amount, "remittance" if i == 0 else "forward"))
            amount = round(amount * rng.uniform(0.85, 1.0), 2)
            tt += int(rng.uniform(2, 60) * HOUR)
        t += MONTH + int(rng.uniform(-3, 3) * DAY)
    sched = led.after_existing(TRANSFERS, _transfers(rows))
    if sched.empty:
        return None
    roles = ["sender"] + ["relay"] * (k - 2) + ["recipient"]
    members = [("Person", p, role) for p, role in zip(people, roles)]
    members += [("Account", a, "remittance_account") for a in accounts]
    return scheduled_instance(led, name, sched, members, *_span(sched), {"chain": k, "monthly": base})
