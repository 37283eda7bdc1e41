"""Business accounts as corporate fraud and its look-alikes use them: companies and their books, new payees
(new companies, persons paid for their trade, existing companies) at chosen institutions, invoice amounts and
the supplier relationships that pay them."""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.kit.amounts import typical_transfers
from fraudgraph.patterns.kit.identities import Identities
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import C_OWNS, OWNS, TRANSFERS, TRANSFERS_STEM, stem
from fraudgraph.patterns.kit.timing import monthly_rate
from fraudgraph.patterns.kit.toolkit import Toolkit
from fraudgraph.patterns.kit.trade_partners import TradePartners

from fraudgraph.units import DAY, to_datetime


def pick_companies(kit: Toolkit, trade: TradePartners, count: int, *, officer: bool) -> list[dict]:
    """Up to ``count`` free companies with a business account (and, with ``officer``, a free officer).

    Returns
    -------
    list of dict
        One plan per company: ``company``, its account ``acc`` and ``officer`` (None without ``officer``).
    """
    out = []
    for _ in range(3 * count + 3):
        if len(out) == count:
            break
        picked = trade.pick(kit.rng, 1)
        if not picked:
            break
        company = picked[0]
        boss = trade.controller(company) if officer else None
        if officer and boss is None:
            continue
        if boss is not None:
            kit.ctx.used_persons.add(boss)
        out.append({"company": company, "acc": trade.account(company), "officer": boss})
    return out


def company_books(kit: Toolkit, plans: list[dict]) -> None:
    """Add to each plan what the company's books say.

    Parameters
    ----------
    kit : Toolkit
        The call's toolkit.
    plans : list of dict
        Plans of :func:`pick_companies`; each gains ``suppliers`` (payee account, typical amount),
        ``payee_company`` (payee account -> company), ``payroll`` (typical amount, monthly count),
        ``invoices`` (its supplier invoices; three of the world's without any), ``used_institutions``
        (of its own account and its suppliers') and ``partners`` (itself and every company it pays).
    """
    tr = kit.graph.edges[TRANSFERS]
    inst = kit.lookup("Account", "institution")
    pool = typical_transfers(kit.graph, "supplier")
    pool = pool if pool.size else np.array([4_000.0])
    owner = kit.graph.edges[C_OWNS].drop_duplicates("dst").set_index("dst")["src"]
    for plan in plans:
        acc = plan["acc"]
        out = tr[(tr["src"] == acc).to_numpy()]
        sup = out[(out["kind"] == "supplier").to_numpy()].sort_values("dst")
        invoices = sup["typical_amount"].to_numpy(dtype=float)
        plan["suppliers"] = sup[["dst", "typical_amount"]].to_numpy(dtype=object)
        plan["payee_company"] = dict(zip(sup["dst"].tolist(), owner.reindex(sup["dst"]).tolist()))
        plan["payroll"] = out.loc[(out["kind"] == "payroll").to_numpy(), ["typical_amount", "monthly_count"]].to_numpy(float)
        plan["invoices"] = invoices if invoices.size else pool[kit.rng.integers(0, pool.size, 3)]
        # payroll reaches every bank in town; the banks its suppliers use are what a payee's bank is new to
        plan["used_institutions"] = {inst.get(a) for a in [acc, *sup["dst"].tolist()]}
        plan["partners"] = {plan["company"], *owner.reindex(out["dst"]).dropna().tolist()}


def new_institution(kit: Toolkit, used: set) -> str:
    """An institution none of ``used`` (drawn by its share of accounts; any, if every one is used)."""
    inst = kit.snapshot("Account")["institution"].to_numpy(dtype=object)
    fresh = inst[~np.isin(inst, np.array(sorted(x for x in used if x is not None), dtype=object))]
    fresh = fresh if fresh.size else inst
    return str(fresh[kit.rng.integers(0, fresh.size)])


def invoice_amounts(rng, invoices: np.ndarray, n: int, *, high_end: float, round_prob: float) -> np.ndarray:
    """Invoice-like amounts in the range of a company's invoices.

    Parameters
    ----------
    rng : numpy.random.Generator
        The call's generator.
    invoices : numpy.ndarray
        The company's invoice amounts; the draws span 0.8 times the smallest to 1.2 times the largest.
    n : int
        How many.
    high_end : float
        0 draws log-uniformly; larger values lean toward the top of the range.
    round_prob : float
        Chance each amount is round (to the hundred from 2,000, else to the ten); the rest keep cents.

    Returns
    -------
    numpy.ndarray
    """
    lo, hi = np.log(max(float(invoices.min()) * 0.8, 50.0)), np.log(max(float(invoices.max()) * 1.2, 100.0))
    x = np.exp(lo + (hi - lo) * rng.random(n) ** (1.0 / (1.0 + high_end)))
    step = np.where(x >= 2_000, 100.0, 10.0)
    return np.where(rng.random(n) < round_prob, np.maximum(np.round(x / step) * step, step), np.round(x, 2))


def new_payee(kit: Toolkit, trade: TradePartners, world: Identities, draft: Draft, kind: str, opened: int,
              institution, roles: tuple[str, str, str], *, industries: tuple[str, ...],
              exclude=frozenset()) -> tuple[str, str, str]:
    """A payee of ``kind`` whose account (new unless the company exists) is ready by ``opened``:
    (label, holder, account). ``roles`` names a company holder, a person holder and the account in
    the draft; an existing company in ``exclude`` is not taken (a sole trader comes instead)."""
    rng = kit.rng
    if kind == "new_company":
        company = trade.new_shells(rng, 1, industries=industries, institution=institution)[0]
        draft.member("Company", company, roles[0])
        draft.member("Account", trade.account(company), roles[2])
        return "Company", company, trade.account(company)
    if kind == "existing_company":
        picked = trade.pick(rng, 1)
        if picked and picked[0] not in exclude:
            draft.member("Company", picked[0], roles[0])
            draft.member("Account", trade.account(picked[0]), roles[2])
            return "Company", picked[0], trade.account(picked[0])
    person = kit.recruit_persons(1, before=opened - DAY)
    if not person.size:
        return new_payee(kit, trade, world, draft, "new_company", opened, institution, roles, industries=industries)
    when = int(max(opened, int(world.created("Person", person)[0]) + DAY))
    acc = kit.new_accounts(person, "checking", [when], institution=institution)[0]
    draft.member("Person", person[0], roles[1])
    draft.member("Account", acc, roles[2])
    draft.edge(OWNS, person[0], acc, "account_opening")
    if when >= kit.ctx.start:
        draft.schedule([when], "account_open", stem(OWNS), person[0], acc, detail="checking")
    return "Person", str(person[0]), acc


def pay_supplier(world: Identities, draft: Draft, acc: str, payee: str, t_link: int, t_pay, amounts, role: str) -> None:
    """The new supplier relationship (link row, TRANSFERS_TO of kind supplier) and its invoice payments."""
    t_pay = world.clamp(np.sort(np.asarray(t_pay, dtype=np.int64)))
    amounts = np.asarray(amounts, dtype=float)
    world.links.add(TRANSFERS, acc, payee, draft=draft, role=role, kind="supplier",
                    typical_amount=round(float(np.median(amounts)), 2),
                    monthly_count=monthly_rate(amounts.size, world.kit.ctx), since=to_datetime([t_link]))
    draft.schedule([t_link], "bank_link", TRANSFERS_STEM, acc, payee)
    draft.schedule(t_pay, "transfer", TRANSFERS_STEM, acc, payee, amounts, detail="invoice_payment")
