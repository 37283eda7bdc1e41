"""Jobs across shards: persons of one shard employed, and paid, by companies of another.

In one world some employees work far from home (``_build_employment`` places 15%
of them anywhere). A sharded run moves ``companies.cross_shard_share`` of the
jobs across shards, in three steps that keep every shard's files a function of
the seed alone:

1. **census** (:func:`census_shard`, run where the shards run): each shard's
   population is built again, without patterns or events, and its employers are
   listed: company, city, head count, business account and when each came to be;
2. **jobs** (:func:`plan_jobs`, in the process that runs the shards): each shard
   is given as many jobs at companies of other shards as it lost locally
   (``ShardPlan.scenario_of`` lowers its ``employment_rate`` by that share), the
   employers drawn by head count from the seed;
3. **hiring** (:func:`hire`, in the shard): the shard fills its jobs with persons
   it left without one, in the employer's city when it can, and books their
   salaries like any payroll, except that the paying account is in another shard.

The employee's shard writes the ``WORKS_AT`` and ``TRANSFERS_TO`` (payroll) edges
and the salary transactions (``account_id`` the employer's account). The
employer's shard neither funds nor pays those salaries: in one world it funds
each payroll run from outside minutes before paying it, so its balance is the
same either way.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import pandas as pd

from fraudgraph import schema, stageclock
from fraudgraph.config import Scenario
from fraudgraph.population import build_population
from fraudgraph.population.companies import SEGMENT_EMPLOYMENT
from fraudgraph.population.sampling import later_than, pick_weighted
from fraudgraph.seeding import SeedTree
from fraudgraph.shards.plan import ShardPlan
from fraudgraph.units import to_datetime, to_seconds

WORKS_AT = ("Person", "WORKS_AT", "Company")
TRANSFERS = ("Account", "TRANSFERS_TO", "Account")
#: Share of a shard's jobs filled in the employer's city when someone there is free (as ``_build_employment``).
LOCAL_HIRES = 0.85
#: Pay periods a month and how often each is chosen (as ``population.money``).
PAY_PERIODS = (np.array([1.0, 26 / 12, 52 / 12]), np.array([0.25, 0.6, 0.15]))
#: Columns of an employer row, as plain lists so that they travel to any worker.
EMPLOYER_COLUMNS = ("company", "city", "incorporated", "account", "opened", "headcount")


def census_shard(scenario: dict[str, Any], index: int, timings: bool = False) -> dict[str, list]:
    """The employers of shard ``index``: companies whose business account is active.

    Parameters
    ----------
    scenario : dict
        The whole run's scenario (:meth:`Scenario.to_dict`).
    index : int
        Which shard.
    timings : bool
        Also report the census's cost as one ``shards census`` stage (under ``"timings"``, for
        :meth:`~fraudgraph.stageclock.StageClock.absorb` in the process that asked).

    Returns
    -------
    dict
        :data:`EMPLOYER_COLUMNS` as lists, sorted by company id.
    """
    with stageclock.recording() as clock:  # its population stages are the census's, not the shard's
        employers = _census(scenario, index)
    if not timings:
        return employers
    report = clock.report()
    stages = [row for row in report["stages"] if row["stage"] != "other"]
    report["stages"] = [{"stage": "shards census", "wall_s": sum(r["wall_s"] for r in stages),
                         "cpu_s": sum(r["cpu_s"] for r in stages), "calls": 1,
                         "rss_mib": max((r["rss_mib"] for r in stages), default=0.0)}]
    return {**employers, "timings": report}


def _census(scenario: dict[str, Any], index: int) -> dict[str, list]:
    plan = ShardPlan(Scenario.from_dict(scenario))
    graph = build_population(plan.scenario_of(index), plan.seeds(index))
    companies = graph.nodes["Company"]
    accounts = graph.nodes["Account"].set_index("id")
    owns = graph.edges[("Company", "OWNS", "Account")].drop_duplicates("src", keep="first")
    owns = owns[accounts.loc[owns["dst"].to_numpy(), "status"].to_numpy() == "active"]
    headcount = graph.edges[WORKS_AT]["dst"].value_counts()
    table = companies.merge(owns[["src", "dst"]], left_on="id", right_on="src").sort_values("id", kind="stable")
    return {
        "company": table["id"].astype(str).tolist(),
        "city": table["city"].astype(str).tolist(),
        "incorporated": to_seconds(table["incorporated_at"]).tolist(),
        "account": table["dst"].astype(str).tolist(),
        "opened": to_seconds(accounts.loc[table["dst"].to_numpy(), "opened_at"]).tolist(),
        "headcount": table["id"].map(headcount).fillna(0).astype(int).tolist(),
    }


def plan_jobs(plan: ShardPlan, censuses: list[dict[str, list]]) -> list[dict[str, list]]:
    """Each shard's jobs at employers of other shards (:data:`EMPLOYER_COLUMNS`, one row per job).

    Parameters
    ----------
    plan : ShardPlan
        The run's shards.
    censuses : list of dict
        :func:`census_shard` of every shard, in shard order.
    """
    scenario = plan.scenario
    share = scenario.companies.cross_shard_share
    employers = pd.concat([pd.DataFrame(c, columns=list(EMPLOYER_COLUMNS)).assign(shard=k)
                           for k, c in enumerate(censuses)], ignore_index=True)
    out = []
    for k, persons in enumerate(plan.sizes):
        jobs = int(round(persons * scenario.companies.employment_rate * share))
        elsewhere = employers[employers["shard"] != k].reset_index(drop=True)
        if jobs == 0 or elsewhere.empty:
            out.append({c: [] for c in EMPLOYER_COLUMNS})
            continue
        rng = SeedTree(scenario.seed).rng("shards", "jobs", k)
        picked = elsewhere.iloc[pick_weighted(rng, elsewhere["headcount"].to_numpy(np.float64) + 1.0, jobs)]
        out.append({c: picked[c].tolist() for c in EMPLOYER_COLUMNS})
    return out


def hire(graph, jobs: dict[str, list], rng: np.random.Generator, end: int,
         residents: set[str] | None = None) -> dict:
    """Fill a shard's jobs at other shards' companies with its persons who have none.

    Parameters
    ----------
    graph : PropertyGraph
        The shard's finished graph.
    jobs : dict
        This shard's rows of :func:`plan_jobs`.
    rng : numpy.random.Generator
        The shard's own stream for hiring.
    end : int
        End of the span (epoch seconds).
    residents : set of str, optional
        The persons who may be hired: those of the population (identities the patterns make up never
        hold a job, as in one world). All persons when omitted.

    Returns
    -------
    dict
        ``{edge key: rows}`` of ``WORKS_AT`` and payroll ``TRANSFERS_TO`` to add to the shard's tables.
    The ``TRANSFERS_TO`` rows are also the salaries the shard books: their ``src`` is the employer's
    account, in another shard (see ``Timeline``'s ``incoming_payroll``).
    """
    jobs = pd.DataFrame(jobs, columns=list(EMPLOYER_COLUMNS))
    candidates = _free_persons(graph)
    if residents is not None:
        candidates = candidates[candidates["id"].isin(residents).to_numpy()].reset_index(drop=True)
    if jobs.empty or candidates.empty:
        return {}
    propensity = dict(zip(schema.SEGMENTS, SEGMENT_EMPLOYMENT))
    weight = candidates["segment"].map(propensity).to_numpy(np.float64)
    key = rng.exponential(size=len(candidates)) / weight  # the smaller, the sooner hired
    local = rng.random(len(jobs)) < LOCAL_HIRES
    chosen = _match(jobs["city"].to_numpy(object), local, candidates["city"].to_numpy(object), key)
    jobs, person = jobs[chosen >= 0].reset_index(drop=True), candidates.iloc[chosen[chosen >= 0]].reset_index(drop=True)
    works_since = later_than(rng, np.maximum(person["created"].to_numpy(), jobs["incorporated"].to_numpy()), end, 20)
    periods, weights = PAY_PERIODS
    per_month = periods[rng.choice(len(periods), len(jobs), p=weights)]
    salary = np.round(52_000 * np.exp(rng.normal(0, 0.35, len(jobs))) / 12 / per_month, 2)
    pay_since = later_than(rng, np.maximum(person["opened"].to_numpy(), jobs["opened"].to_numpy()), end, 30)
    return {
        WORKS_AT: pd.DataFrame({"src": person["id"].to_numpy(object), "dst": jobs["company"].to_numpy(object),
                                "role": np.full(len(jobs), "employee", object), "since": to_datetime(works_since)}),
        TRANSFERS: pd.DataFrame({"src": jobs["account"].to_numpy(object), "dst": person["account"].to_numpy(object),
                                 "kind": np.full(len(jobs), "payroll", object), "typical_amount": salary,
                                 "monthly_count": per_month, "since": to_datetime(pay_since)}),
    }


def _free_persons(graph) -> pd.DataFrame:
    """Persons without a job who hold an active checking account of their own, with that account."""
    persons = graph.nodes["Person"]
    employed = set(graph.edges[WORKS_AT]["src"].astype(str).tolist())
    accounts = graph.nodes["Account"][["id", "account_type", "status", "opened_at"]]
    owns = graph.edges[("Person", "OWNS", "Account")]
    owns = owns[owns["role"] == "primary"].merge(accounts, left_on="dst", right_on="id")
    owns = owns[(owns["account_type"] == "checking") & (owns["status"] == "active")]
    owns = owns.drop_duplicates("src", keep="first")
    free = persons[~persons["id"].astype(str).isin(employed)].merge(
        owns[["src", "dst", "opened_at"]], left_on="id", right_on="src")
    return pd.DataFrame({"id": free["id"].astype(str).to_numpy(object), "city": free["city"].astype(str).to_numpy(object),
                         "segment": free["segment"].astype(str).to_numpy(object),
                         "created": to_seconds(free["created_at"]), "account": free["dst"].astype(str).to_numpy(object),
                         "opened": to_seconds(free["opened_at"])})


def _match(job_city: np.ndarray, local: np.ndarray, person_city: np.ndarray, key: np.ndarray) -> np.ndarray:
    """The candidate each job hires (-1 for none): local jobs the soonest free person of their city,
    then every job still open the soonest free person anywhere."""
    chosen = np.full(len(job_city), -1, np.int64)
    taken = np.zeros(len(key), bool)
    by_key = np.argsort(key, kind="stable")
    cities = pd.Series(person_city[by_key])
    queues = {city: deque(rows) for city, rows in cities.groupby(cities, sort=True).indices.items()}
    for j in np.flatnonzero(local):
        queue = queues.get(job_city[j])
        if queue:
            chosen[j] = by_key[queue.popleft()]
            taken[chosen[j]] = True
    rest = iter(i for i in by_key if not taken[i])
    for j in np.flatnonzero(chosen < 0):
        chosen[j] = next(rest, -1)
    return chosen
