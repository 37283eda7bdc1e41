"""The small sharded scenario the tests share: three shards of 1,000 persons, four days, every stream."""

from fraudgraph.config import resolve_scenario


def sharded_scenario(**overrides):
    values = {"persons.count": 3000, "persons.per_shard": 1000, "days": 4, "seed": 11,
              "output.formats": ["parquet"], "output.typed_events": True, **overrides}  # events typed by family
    return resolve_scenario("default").override(values)
