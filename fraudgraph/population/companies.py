"""Companies (employers, merchants, some listed) and who works where."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import (
    group_index,
    later_than,
    pick_in_groups,
    pick_weighted,
    rank_in_groups,
)
from fraudgraph.population.world import World
from fraudgraph.units import YEAR, to_datetime
from fraudgraph.vocab.draw import unique_integers
from fraudgraph.vocab.industries import INDUSTRY_DATA, SUFFIXES, SURNAMES

#: Employment propensity per segment, in schema.SEGMENTS order.
SEGMENT_EMPLOYMENT = np.array([0.35, 0.92, 0.85, 0.75, 0.08, 0.45])


def build_companies(world: World, graph: PropertyGraph) -> None:
    """Add ``Company`` nodes with heavy-tailed sizes, and ``WORKS_AT`` edges with roles."""
    cfg = world.scenario.companies
    rng = world.rng("companies")
    n_persons = world.scenario.persons.count
    n = max(1, int(round(n_persons * cfg.per_1000_persons / 1000)))

    city = world.geo.sample(rng, n)
    industries = tuple(INDUSTRY_DATA)
    weights = np.array([INDUSTRY_DATA[i][0] for i in industries], dtype=float)
    industry = rng.choice(len(industries), size=n, p=weights / weights.sum())
    propensity = np.array([INDUSTRY_DATA[i][1] for i in industries])[industry]
    p_merchant = np.clip(cfg.merchant_share * propensity / propensity.mean(), 0.0, 1.0)
    is_merchant = rng.random(n) < p_merchant
    size = 1.0 + rng.pareto(1.2, size=n)
    p_listed = np.clip(cfg.listed_share * size / size.mean(), 0.0, 1.0)
    is_listed = rng.random(n) < p_listed
    if cfg.listed_share > 0 and not is_listed.any():
        is_listed[np.argmax(size)] = True  # a small world still has a market: its largest company is listed
    ticker = np.full(n, None, dtype=object)
    if is_listed.any():
        ticker[is_listed] = _tickers(rng, int(is_listed.sum()))
    incorporated = world.start - (60 * YEAR * rng.random(n) ** 2).astype(np.int64) - YEAR // 2

    noun_lists = [INDUSTRY_DATA[i][2] for i in industries]
    noun = np.array([noun_lists[i][j % len(noun_lists[i])] for i, j in zip(industry, rng.integers(0, 12, n))], dtype=object)
    surname = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    suffix = np.array(SUFFIXES, dtype=object)[rng.integers(0, len(SUFFIXES), n)]
    name = (pd.Series(surname, dtype=str) + " " + pd.Series(noun, dtype=str) + " " + pd.Series(suffix, dtype=str)).str.strip()

    ids = graph.new_ids("Company", n, rng)
    graph.add_nodes("Company", pd.DataFrame({
        "id": ids,
        "name": name.to_numpy(dtype=object),
        "industry": np.array(industries)[industry],
        "country": world.geo.country[city],
        "city": world.geo.city[city],
        "is_listed": is_listed,
        "ticker": ticker,
        "is_merchant": is_merchant,
        "incorporated_at": to_datetime(incorporated),
    }))
    world["company_id"] = ids
    world["company_city"] = city
    world["company_size"] = size
    world["company_industry"] = industry
    world["company_is_merchant"] = is_merchant
    world["company_listed"] = is_listed
    world["company_created"] = incorporated
    _build_employment(world, graph, rng)


def _tickers(rng: np.random.Generator, k: int) -> np.ndarray:
    codes = unique_integers(rng, 0, 26**4, k)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    length = np.where(rng.random(k) < 0.4, 3, 4)
    digits = np.stack([(codes // 26**p) % 26 for p in range(4)], axis=1)
    chars = letters[digits]
    out = np.array(["".join(row[:m]) for row, m in zip(chars, length)], dtype=object)
    # 3-letter truncation can collide; fall back to the full 4 letters for later duplicates
    dup = pd.Series(out).duplicated().to_numpy()
    out[dup] = np.array(["".join(row) for row in chars[dup]], dtype=object)
    return out


def _build_employment(world: World, graph: PropertyGraph, rng: np.random.Generator) -> None:
    cfg = world.scenario.companies
    n_persons = world["person_id"].size
    segment = world["person_segment"]
    p = SEGMENT_EMPLOYMENT[segment]
    p = np.clip(p * cfg.employment_rate / p.mean(), 0.0, 1.0)
    person = np.flatnonzero(rng.random(n_persons) < p)

    size = world["company_size"]
    n_comp = size.size
    order, starts, sizes = group_index(world["company_city"], len(world.geo))
    local = rng.random(person.size) < 0.85
    company = np.where(local, pick_in_groups(rng, world["person_city"][person], order, starts, sizes, size), -1)
    missing = company < 0
    company[missing] = pick_weighted(rng, size, int(missing.sum()))

    rank = rank_in_groups(rng, company)
    listed = world["company_listed"][company]
    head_count = np.bincount(company, minlength=n_comp)[company]
    draw = rng.random(person.size)
    role = np.where(draw < cfg.director_share, 2, np.where(draw < cfg.director_share + cfg.officer_share, 1, 0))
    role = np.where(listed & (head_count >= 2) & (rank == 0), 1, role)
    role = np.where(listed & (head_count >= 3) & (rank == 1), 2, role)

    earliest = np.maximum(world["person_created"][person], world["company_created"][company])
    since = later_than(rng, earliest, world.end, mean_days=20)
    roles = np.array(["employee", "officer", "director"])
    graph.add_edges(("Person", "WORKS_AT", "Company"), pd.DataFrame({
        "src": world["person_id"][person],
        "dst": world["company_id"][company],
        "role": roles[role],
        "since": to_datetime(since),
    }))
    world["employee_person"] = person
    world["employee_company"] = company
    world["employee_since"] = since
