"""Jobs across shards: who is hired, by whom, since when, and the salaries that cross."""

from collections import defaultdict

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fraudgraph.errors import ConfigError
from fraudgraph.population import build_population
from fraudgraph.shards import ShardPlan
from fraudgraph.shards.employment import census_shard, plan_jobs

from .world import sharded_scenario

SHARDS = range(3)


def _part(out, folder, k, **kw):
    return pq.read_table(out / folder / f"part-{k:05d}.parquet", **kw).to_pandas()


@pytest.fixture(scope="module")
def world(sharded):
    """Each node's shard and creation time, and the WORKS_AT and TRANSFERS_TO rows of each shard."""
    out, _ = sharded
    shard_of, created = {}, {}
    for label, when in (("Person", "created_at"), ("Company", "incorporated_at"), ("Account", "opened_at")):
        for k in SHARDS:
            t = _part(out, f"nodes/{label}", k, columns=["id", when])
            for i, c in zip(t["id"], t[when]):
                shard_of[i], created[i] = k, c
    works = {k: _part(out, "edges/Person_WORKS_AT_Company", k) for k in SHARDS}
    transfers = {k: _part(out, "edges/Account_TRANSFERS_TO_Account", k) for k in SHARDS}
    return out, shard_of, created, works, transfers


def test_each_shard_fills_its_share_of_jobs_at_other_shards_companies(world):
    _, shard_of, created, works, _ = world
    scenario = sharded_scenario()
    wanted = round(1000 * scenario.companies.employment_rate * scenario.companies.cross_shard_share)
    for k in SHARDS:
        w = works[k]
        assert all(shard_of[p] == k for p in w["src"])  # a shard writes its own persons' jobs
        cross = w[[shard_of[c] != k for c in w["dst"]]]
        assert len(cross) == wanted
        assert set(cross["role"]) == {"employee"}
        assert all(s >= max(created[p], created[c]) for p, c, s in zip(cross["src"], cross["dst"], cross["since"]))


def test_nobody_holds_two_jobs_and_the_employment_rate_is_the_scenarios(world):
    _, _, _, works, _ = world
    every = pd.concat(works.values())
    assert not every["src"].duplicated().any()
    rate = sharded_scenario().companies.employment_rate
    assert abs(len(every) / 3000 - rate) < 0.05


def test_salaries_come_from_the_employers_account_into_the_employees_own(world):
    out, shard_of, created, works, transfers = world
    company_account = {}
    for k in SHARDS:
        owns = _part(out, "edges/Company_OWNS_Account", k)
        for c, a in zip(owns["src"], owns["dst"]):
            company_account.setdefault(c, set()).add(a)
    for k in SHARDS:
        t = transfers[k]
        cross = t[[shard_of[s] != k for s in t["src"]]]
        assert set(cross["kind"]) == {"payroll"} and len(cross) == len(works[k][[shard_of[c] != k for c in works[k]["dst"]]])
        owns = _part(out, "edges/Person_OWNS_Account", k)
        owns = owns[owns["role"] == "primary"]
        holder = dict(zip(owns["dst"], owns["src"]))
        employer = dict(zip(works[k]["src"], works[k]["dst"]))
        for src, dst, since in zip(cross["src"], cross["dst"], cross["since"]):
            assert shard_of[dst] == k
            assert src in company_account[employer[holder[dst]]]
            assert since >= max(created[src], created[dst])
        assert (cross["typical_amount"] > 0).all() and (cross["monthly_count"] >= 1).all()


def test_the_employees_shard_books_the_salaries_and_the_employers_shard_does_not(world):
    out, shard_of, _, _, transfers = world
    payroll = defaultdict(list)  # (shard, paying account, receiving account) -> amounts
    funding = defaultdict(float)  # (shard, company account) -> funded
    paid_out = defaultdict(float)  # (shard, paying account) -> salaries it booked
    completed = set()
    for path in ds.dataset(out / "events" / "transactions", format="parquet").files:
        k = int(path.rsplit("part-", 1)[1][:5])
        part = pq.read_table(path, columns=["event_type", "transaction_id", "type", "account_id",
                                            "counterparty_account_id", "amount"]).to_pylist()  # typed: no JSON
        for p in part:
            if p["event_type"] == "transaction-completed":
                completed.add(p["transaction_id"])
            elif p["event_type"] != "transaction-initiated":
                continue
            elif p["type"] == "payroll":
                payroll[(k, p["account_id"], p["counterparty_account_id"])].append(p["transaction_id"])
                paid_out[(k, p["account_id"])] += float(p["amount"])
            elif p["type"] == "payroll_funding":
                funding[(k, p["counterparty_account_id"])] += float(p["amount"])
    crossing = {(k, s, d) for k in SHARDS for s, d in zip(transfers[k]["src"], transfers[k]["dst"]) if shard_of[s] != k}
    paid = {key for key in payroll if shard_of[key[1]] != key[0]}
    assert paid and paid <= crossing  # salaries across shards run only along those edges, booked by the payee's shard
    assert all(tx in completed for key in paid for tx in payroll[key])  # a salary from elsewhere is never refused
    # the employer's shard neither pays those salaries nor funds them: its funding covers its own payrolls exactly
    assert not any((shard_of[s], s, d) in payroll for (_, s, d) in paid)
    assert funding and all(abs(funding[key] - paid_out[key]) < 0.05 for key in funding)


def test_identities_the_patterns_make_up_are_never_hired(world):
    _, shard_of, _, works, _ = world
    plan = ShardPlan(sharded_scenario())
    for k in SHARDS:
        residents = set(build_population(plan.scenario_of(k), plan.seeds(k)).nodes["Person"]["id"].astype(str))
        made_up = {p for p, s in shard_of.items() if s == k and p.startswith("per_") and p not in residents}
        assert made_up  # synthetic identities, ring members and the like exist in every shard
        hired = {p for p, c in zip(works[k]["src"], works[k]["dst"]) if shard_of[c] != k}
        assert hired and not hired & made_up


def test_the_census_lists_employers_the_shards_then_hold(sharded):
    out, _ = sharded
    scenario = sharded_scenario()
    census = census_shard(scenario.to_dict(), 1)
    companies = set(_part(out, "nodes/Company", 1, columns=["id"])["id"])
    accounts = set(_part(out, "nodes/Account", 1, columns=["id"])["id"])
    assert census["company"] and set(census["company"]) <= companies and set(census["account"]) <= accounts
    jobs = plan_jobs(ShardPlan(scenario), [census_shard(scenario.to_dict(), k) for k in SHARDS])
    assert [len(j["company"]) for j in jobs] == [62, 62, 62]
    assert not set(jobs[1]["company"]) & companies  # never at one's own shard


def test_with_one_shard_or_no_share_nothing_crosses(tmp_path):
    scenario = sharded_scenario(**{"companies.cross_shard_share": 0.0})
    assert ShardPlan(scenario).scenario_of(0).companies.employment_rate == scenario.companies.employment_rate
    alone = sharded_scenario(**{"persons.per_shard": 3000})
    assert ShardPlan(alone).scenario_of(0).companies.employment_rate == alone.companies.employment_rate


@pytest.mark.parametrize("value", [1.0, -0.5])
def test_a_share_out_of_range_is_refused(value):
    with pytest.raises(ConfigError, match="cross_shard_share"):
        sharded_scenario(**{"companies.cross_shard_share": value})
