"""Accounts at several institutions, held by persons (some jointly) and by companies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import (
    choice_from_weights,
    later_than,
    pick_weighted,
)
from fraudgraph.population.world import World
from fraudgraph.units import to_datetime
from fraudgraph.vocab.draw import unique_integers
from fraudgraph.vocab.geography import COUNTRY_CURRENCY

INSTITUTIONS = (
    "Harborview Bank", "Lakeside Federal Credit Union", "Pinecrest Savings Bank", "Northwind National Bank",
    "Bluewater Trust", "Redwood Community Bank", "Granite State Bank", "Silver Birch Bank",
    "Keystone Federal", "Meridian Savings", "Copper Canyon Bank", "Evergreen Mutual",
    "Prairie Heritage Bank", "Coastal Commerce Bank", "Blue Heron Wallet", "Payfern",
    "Kestrel Pay", "Orchard Street Bank", "Union Harbor Credit Union", "Beacon Hill Bank",
    "Tidewater Bank", "Aspen Ridge Bank", "Foxglove Financial", "Ironbridge Bank",
    "Sunflower State Bank", "Mariner Savings", "Hollow Oak Credit Union", "Cobalt Digital Bank",
    "Starling Point Bank", "Westgate Trust", "Driftwood Bank", "Golden Prairie Credit Union",
    "Lantern Pay", "Cardinal Federal", "Heron Bay Bank", "Quarry Hill Bank",
    "Bramble Savings", "Summit Peak Bank", "Willowmere Bank", "Crescent City Credit Union",
)
PERSON_PRODUCTS = ("checking", "savings", "credit_card", "wallet", "brokerage")
#: Product-rate multipliers per segment (rows: schema.SEGMENTS; columns: PERSON_PRODUCTS).
SEGMENT_PRODUCT = np.array([
    [0.9, 0.5, 0.5, 1.6, 0.2],   # student
    [1.0, 1.0, 1.1, 1.3, 0.8],   # young_professional
    [1.0, 1.2, 1.1, 0.9, 1.0],   # family
    [1.0, 1.4, 1.3, 0.8, 4.0],   # affluent
    [1.0, 1.2, 0.9, 0.3, 1.5],   # retiree
    [0.9, 0.6, 0.8, 1.8, 0.5],   # gig_worker
])
SEGMENT_WEALTH = np.array([0.3, 0.8, 1.0, 5.0, 2.0, 0.5])
#: Balance multiplier per account type (schema.ACCOUNT_TYPES order).
TYPE_BALANCE = np.array([1.0, 2.5, 0.15, 0.35, 25.0, 8.0])


def build_accounts(world: World, graph: PropertyGraph) -> None:
    """Add ``Account`` nodes and ``OWNS`` edges from persons and companies."""
    cfg = world.scenario.accounts
    rng = world.rng("accounts")
    n = world["person_id"].size
    segment = world["person_segment"]
    created = world["person_created"]
    n_inst = cfg.institutions
    share = 1.0 / (np.arange(n_inst) + 1.0) ** 0.8  # a few big banks, a long tail of small ones

    rates = np.array([cfg.product_rates.get(p, 0.0) for p in PERSON_PRODUCTS])
    holds = rng.random((n, len(PERSON_PRODUCTS))) < np.clip(rates * SEGMENT_PRODUCT[segment], 0.0, 1.0)
    holds[~holds.any(axis=1), 0] = True  # everyone has at least a checking account
    person, product = np.nonzero(holds)
    account_type = np.array([schema.ACCOUNT_TYPES.index(p) for p in PERSON_PRODUCTS])[product]
    first_of_person = np.r_[True, person[1:] != person[:-1]]

    home_bank = pick_weighted(rng, share, n)
    elsewhere = (~first_of_person) & (rng.random(person.size) < cfg.second_institution_prob)
    institution = np.where(elsewhere, pick_weighted(rng, share, person.size), home_bank[person])
    opened = np.where(first_of_person, later_than(rng, created[person], world.end, 3),
                      later_than(rng, created[person], world.end, 240))

    # companies: one business account, some a second one elsewhere
    n_comp = world["company_id"].size
    extra = rng.random(n_comp) < 0.3
    company = np.concatenate([np.arange(n_comp), np.flatnonzero(extra)])
    c_opened = later_than(rng, world["company_created"][company], world.end, 200)

    n_person_acc, n_company_acc = person.size, company.size
    n_acc = n_person_acc + n_company_acc
    types = np.concatenate([account_type, np.full(n_company_acc, schema.ACCOUNT_TYPES.index("business"))])
    inst = np.concatenate([institution, pick_weighted(rng, share, n_company_acc)])
    country = np.concatenate([world["person_country"][person], world.geo.country[world["company_city"][company]]])
    wealth = np.concatenate([SEGMENT_WEALTH[segment[person]], np.ones(n_company_acc)])
    balance = cfg.balance_median * wealth * TYPE_BALANCE[types] * np.exp(rng.normal(0.0, cfg.balance_sigma, n_acc))
    is_credit = types == schema.ACCOUNT_TYPES.index("credit_card")
    lo, hi = np.log(max(cfg.credit_limit_min, 1.0)), np.log(max(cfg.credit_limit_max, 1.0))
    step = 100.0 if cfg.credit_limit_min >= 100 else 1.0  # round to hundreds unless limits are tiny
    raw_limit = np.round(np.exp(lo + rng.random(n_acc) * (hi - lo)) / step) * step
    limit = np.where(is_credit, np.clip(raw_limit, max(cfg.credit_limit_min, 1.0), max(cfg.credit_limit_max, 1.0)), 0.0)
    balance = np.where(is_credit, np.minimum(balance, 0.9 * limit), balance)
    status = choice_from_weights(rng, cfg.status_weights, schema.ACCOUNT_STATUSES, n_acc)
    number = pd.Series(unique_integers(rng, 0, 10**12, n_acc)).astype(str).str.zfill(12)

    ids = graph.new_ids("Account", n_acc, rng)
    graph.add_nodes("Account", pd.DataFrame({
        "id": ids,
        "account_number": number.to_numpy(dtype=object),
        "institution": np.array(INSTITUTIONS[:n_inst], dtype=object)[inst],
        "account_type": np.array(schema.ACCOUNT_TYPES)[types],
        "currency": pd.Series(country).map(COUNTRY_CURRENCY).to_numpy(dtype=object),
        "opened_at": to_datetime(np.concatenate([opened, c_opened])),
        "status": np.array(schema.ACCOUNT_STATUSES)[status],
        "opening_balance": np.round(balance, 2),
        "credit_limit": limit,
    }))

    # joint checking accounts: the second adult of a household co-owns the first one's checking
    sizes = world["household_size"]
    hh_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    joint_hh = np.flatnonzero((sizes >= 2) & (rng.random(sizes.size) < cfg.joint_account_prob))
    checking_of = np.full(n, -1, dtype=np.int64)
    is_checking = account_type == schema.ACCOUNT_TYPES.index("checking")
    checking_of[person[is_checking]] = np.flatnonzero(is_checking)
    joint_acc = checking_of[hh_start[joint_hh]]
    co_owner = hh_start[joint_hh] + 1
    ok = joint_acc >= 0
    joint_acc, co_owner = joint_acc[ok], co_owner[ok]
    joint_since = later_than(rng, np.maximum(opened[joint_acc], created[co_owner]), world.end, 30)

    graph.add_edges(("Person", "OWNS", "Account"), pd.DataFrame({
        "src": world["person_id"][np.concatenate([person, co_owner])],
        "dst": ids[np.concatenate([np.arange(n_person_acc), joint_acc])],
        "role": np.concatenate([np.full(n_person_acc, "primary"), np.full(joint_acc.size, "joint")]),
        "since": to_datetime(np.concatenate([opened, joint_since])),
    }))
    graph.add_edges(("Company", "OWNS", "Account"), pd.DataFrame({
        "src": world["company_id"][company],
        "dst": ids[n_person_acc:],
        "since": to_datetime(c_opened),
    }))
    world["account_id"] = ids
    world["account_type"] = types
    world["account_opened"] = np.concatenate([opened, c_opened])
    world["account_person"] = np.concatenate([person, np.full(n_company_acc, -1)])
    world["account_company"] = np.concatenate([np.full(n_person_acc, -1), company])
    world["account_status"] = status
