"""Standing money relationships: TRANSFERS_TO between accounts and PAYS to merchants.

These edges carry a typical amount and a monthly rate; the timeline walks
them to produce transactions. Their legitimate shapes (payroll fan-out,
marketplace fan-in, roommates paying each other in loops, supplier chains)
are the look-alikes that make injected fraud hard to tell apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import (
    group_index,
    later_than,
    pick_in_groups,
    pick_weighted,
)
from fraudgraph.population.world import World
from fraudgraph.units import to_datetime
from fraudgraph.vocab.industries import INDUSTRY_DATA, INDUSTRY_SPEND

T = schema.ACCOUNT_TYPES
#: Which account a person uses first for everyday money (lower is preferred), by account type.
SPEND_PRIORITY = np.array([0, 2, 1, 3, 9, 4])  # checking, savings, wallet, credit_card, business, brokerage
SPENDING_TYPES = np.array([T.index("checking"), T.index("credit_card"), T.index("wallet")])
TRANSFER_KINDS = ("own_accounts", "household", "p2p", "payroll", "supplier")


def _lognormal(rng, median, sigma, size):
    return np.round(median * np.exp(rng.normal(0.0, sigma, size)), 2)


def primary_accounts(world: World) -> np.ndarray:
    """Each person's everyday account (checking, else wallet, else another), or -1."""
    n = world["person_id"].size
    owner = world["account_person"]
    mine = np.flatnonzero(owner >= 0)
    order = np.lexsort((mine, SPEND_PRIORITY[world["account_type"][mine]], owner[mine]))
    acc = mine[order]
    first = np.r_[True, owner[acc][1:] != owner[acc][:-1]]
    out = np.full(n, -1, dtype=np.int64)
    out[owner[acc][first]] = acc[first]
    return out


def build_money(world: World, graph: PropertyGraph) -> None:
    """Add ``TRANSFERS_TO``, ``SUPPLIES``, ``PAYS`` and ``TRADES`` edges."""
    rng = world.rng("money")
    _transfers(world, graph, rng)
    _payments(world, graph, world.rng("money", "pays"))
    _trades(world, graph, world.rng("money", "trades"))


def _transfers(world: World, graph: PropertyGraph, rng: np.random.Generator) -> None:
    cfg = world.scenario.money
    n = world["person_id"].size
    acc_type, owner = world["account_type"], world["account_person"]
    primary = primary_accounts(world)
    wealth = np.array([0.3, 0.8, 1.0, 5.0, 2.0, 0.5])[world["person_segment"]]
    parts = []  # (src accounts, dst accounts, kind, median amount, monthly count)

    # own accounts: checking -> savings
    checking = np.full(n, -1, np.int64)
    savings = np.full(n, -1, np.int64)
    is_c = (acc_type == T.index("checking")) & (owner >= 0)
    is_s = (acc_type == T.index("savings")) & (owner >= 0)
    checking[owner[is_c]] = np.flatnonzero(is_c)
    savings[owner[is_s]] = np.flatnonzero(is_s)
    who = np.flatnonzero((checking >= 0) & (savings >= 0) & (rng.random(n) < cfg.own_transfer_prob))
    parts.append((checking[who], savings[who], 0, _lognormal(rng, 200 * wealth[who], 0.6, who.size),
                  rng.uniform(0.5, 4.0, who.size)))

    # household: members send money to another member
    sizes = world["household_size"]
    hh = world["person_household"]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.arange(n) - starts[hh]
    who = np.flatnonzero((sizes[hh] >= 2) & (rng.random(n) < cfg.household_transfer_prob))
    offset = 1 + (rng.random(who.size) * (sizes[hh[who]] - 1)).astype(np.int64)
    to = starts[hh[who]] + (rank[who] + offset) % sizes[hh[who]]
    parts.append((primary[who], primary[to], 1, _lognormal(rng, 150 * wealth[who], 0.7, who.size),
                  rng.uniform(0.3, 3.0, who.size)))

    # p2p: a few friends per person (roommates, shared bills), in both directions
    a, b = world["knows_a"], world["knows_b"]
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    degree = np.bincount(src, minlength=n)
    pick = rng.random(src.size) < np.minimum(1.0, cfg.p2p_per_person_mean / np.maximum(degree[src], 1))
    src, dst = src[pick], dst[pick]
    parts.append((primary[src], primary[dst], 2, _lognormal(rng, 45 * np.sqrt(wealth[src]), 0.8, src.size),
                  rng.uniform(0.2, 4.0, src.size)))

    # payroll: employer's business account -> employee's everyday account
    company_acc = np.full(world["company_id"].size, -1, np.int64)
    is_b = world["account_company"] >= 0
    company_acc[world["account_company"][is_b][::-1]] = np.flatnonzero(is_b)[::-1]  # first account wins
    if cfg.payroll:
        emp, comp = world["employee_person"], world["employee_company"]
        per_month = np.array([1.0, 26 / 12, 52 / 12])[rng.choice(3, emp.size, p=[0.25, 0.6, 0.15])]
        salary = 52_000 * np.sqrt(wealth[emp]) * np.exp(rng.normal(0, 0.35, emp.size)) / 12 / per_month
        parts.append((company_acc[comp], primary[emp], 3, np.round(salary, 2), per_month))

    # suppliers: companies pay other companies, bigger ones more often
    n_comp = company_acc.size
    k = rng.poisson(cfg.suppliers_per_company_mean, n_comp)
    buyer = np.repeat(np.arange(n_comp), k)
    seller = pick_weighted(rng, world["company_size"], buyer.size)
    parts.append((company_acc[buyer], company_acc[seller], 4, _lognormal(rng, 4000, 1.0, buyer.size),
                  rng.uniform(0.3, 3.0, buyer.size)))

    frames = [pd.DataFrame({"src": s, "dst": d, "kind": np.full(s.size, kind, np.int8), "amount": amt, "rate": rate})
              for s, d, kind, amt, rate in parts]
    edges = pd.concat(frames, ignore_index=True)
    edges = edges[(edges["src"] >= 0) & (edges["dst"] >= 0) & (edges["src"] != edges["dst"])]
    edges = edges.drop_duplicates(["src", "dst"], keep="first")
    s, d = edges["src"].to_numpy(), edges["dst"].to_numpy()
    opened = world["account_opened"]
    since = later_than(rng, np.maximum(opened[s], opened[d]), world.end, 30)
    ids = world["account_id"]
    supply = edges["kind"].to_numpy() == TRANSFER_KINDS.index("supplier")
    _supplies(world, graph, rng, s[supply], d[supply], edges["amount"].to_numpy()[supply],
              edges["rate"].to_numpy()[supply], since[supply])
    graph.add_edges(("Account", "TRANSFERS_TO", "Account"), pd.DataFrame({
        "src": ids[s],
        "dst": ids[d],
        "kind": np.array(TRANSFER_KINDS)[edges["kind"].to_numpy()],
        "typical_amount": np.maximum(edges["amount"].to_numpy(), 1.0),
        "monthly_count": np.round(edges["rate"].to_numpy(), 3),
        "since": to_datetime(since),
    }))


def _supplies(world: World, graph: PropertyGraph, rng: np.random.Generator, buyer_acc, seller_acc, amount, rate, since) -> None:
    """Each supplier payment is for goods: the seller SUPPLIES the buyer, invoiced at the paid amount.

    Declared goods values follow the invoice with the spread real unit prices have (margins,
    freight, discounts; sigma 0.22 in log terms) and an 8% tail of specialty goods and
    clearance sales that are priced far from the reference. Over- and under-invoicing
    schemes go further, but their mildest cases overlap this tail, as they do in practice.
    """
    company = world["account_company"]
    seller, buyer = company[seller_acc], company[buyer_acc]
    goods = rng.integers(0, len(schema.GOODS), seller.size)
    invoice = np.round(amount, 2)
    log_ratio = np.where(rng.random(seller.size) < 0.08, rng.normal(0.0, 0.5, seller.size),
                         rng.normal(0.02, 0.22, seller.size))  # log(invoice / goods value)
    value = np.round(invoice / np.exp(log_ratio), 2)
    graph.add_edges(("Company", "SUPPLIES", "Company"), pd.DataFrame({
        "src": world["company_id"][seller],
        "dst": world["company_id"][buyer],
        "goods": np.array(schema.GOODS)[goods],
        "invoice_amount": invoice,
        "goods_value": value,
        "monthly_count": np.round(rate, 3),
        "since": to_datetime(since),
    }))


def _trades(world: World, graph: PropertyGraph, rng: np.random.Generator) -> None:
    """Brokerage accounts trade a few listed companies, popular (large) ones more often."""
    listed = np.flatnonzero(world["company_listed"])
    brokerage = np.flatnonzero(world["account_type"] == T.index("brokerage"))
    if listed.size == 0 or brokerage.size == 0:
        account, company = np.empty(0, np.int64), np.empty(0, np.int64)
    else:
        k = 1 + rng.poisson(2.0, brokerage.size)
        account = np.repeat(brokerage, k)
        company = listed[pick_weighted(rng, world["company_size"][listed], account.size)]
        pairs = pd.DataFrame({"a": account, "c": company}).drop_duplicates()
        account, company = pairs["a"].to_numpy(), pairs["c"].to_numpy()
    earliest = np.maximum(world["account_opened"][account], world["company_created"][company])
    graph.add_edges(("Account", "TRADES", "Company"), pd.DataFrame({
        "src": world["account_id"][account],
        "dst": world["company_id"][company],
        "monthly_count": np.round(np.exp(rng.normal(np.log(1.5), 0.8, account.size)), 3),
        "typical_quantity": np.maximum(1, np.round(np.exp(rng.normal(np.log(40), 1.0, account.size)))).astype(np.int64),
        "since": to_datetime(later_than(rng, earliest, world.end, 90)),
    }))


def _payments(world: World, graph: PropertyGraph, rng: np.random.Generator) -> None:
    cfg = world.scenario.money
    merchants = np.flatnonzero(world["company_is_merchant"])
    n = world["person_id"].size
    if merchants.size == 0:
        graph.add_edges(("Account", "PAYS", "Company"), pd.DataFrame(
            {c: [] for c in ("src", "dst", "channel", "typical_amount", "monthly_count", "since")}))
        return
    popularity = (1.0 + rng.pareto(cfg.merchant_popularity_tail - 1.0, merchants.size)) * np.sqrt(world["company_size"][merchants])

    k = rng.poisson(cfg.merchants_per_person_mean, n)
    payer = np.repeat(np.arange(n), k)
    m_city = world["company_city"][merchants]
    order, starts, sizes = group_index(m_city, len(world.geo))
    local = rng.random(payer.size) < cfg.local_merchant_prob
    pick = np.where(local, pick_in_groups(rng, world["person_city"][payer], order, starts, sizes, popularity), -1)
    far = pick < 0
    pick[far] = pick_weighted(rng, popularity, int(far.sum()))
    merchant = merchants[pick]

    owner, acc_type = world["account_person"], world["account_type"]
    spend = np.flatnonzero((owner >= 0) & np.isin(acc_type, SPENDING_TYPES))
    a_order, a_starts, a_sizes = group_index(owner[spend], n)
    account = pick_in_groups(rng, payer, a_order, a_starts, a_sizes)
    ok = account >= 0
    account, merchant = spend[account[ok]], merchant[ok]
    pairs = pd.DataFrame({"a": account, "m": merchant}).drop_duplicates(keep="first")
    account, merchant = pairs["a"].to_numpy(), pairs["m"].to_numpy()

    industries = tuple(INDUSTRY_DATA)
    industry = world["company_industry"][merchant]
    median = np.array([INDUSTRY_SPEND[i][0] for i in industries], dtype=float)[industry]
    per_month = np.array([INDUSTRY_SPEND[i][1] for i in industries], dtype=float)[industry]
    bills = np.isin(industry, [industries.index("utilities"), industries.index("telecom")])
    channel = np.where(acc_type[account] == T.index("wallet"), "wallet",
                       np.where(bills & (rng.random(account.size) < 0.6), "bank_transfer", "card"))
    earliest = np.maximum(world["account_opened"][account], world["company_created"][merchant])
    since = later_than(rng, earliest, world.end, 60)
    graph.add_edges(("Account", "PAYS", "Company"), pd.DataFrame({
        "src": world["account_id"][account],
        "dst": world["company_id"][merchant],
        "channel": channel,
        "typical_amount": np.maximum(_lognormal(rng, median, 0.5, account.size), 1.0),
        "monthly_count": np.round(per_month * np.exp(rng.normal(0, 0.5, account.size)), 3),
        "since": to_datetime(since),
    }))
