"""Sharded generation: a world built as communities, each from (seed, shard) alone, run anywhere.

A shard is a community of about ``persons.per_shard`` persons with their
devices, IPs, accounts, companies, circles, fraud patterns and event streams,
built by the ordinary pipeline from its own branch of the seed tree and its own
id range (ids of shard *k* of *n* are congruent to *k* modulo *n*, so shards
never clash and need not talk). A sharded run writes partitioned Parquet
(:mod:`fraudgraph.shards.layout`) and a manifest listing every part; the files
are the same whether the shards run in one process, in ``--workers N`` local
processes or on a Dask cluster (``--engine dask --scheduler tcp://HOST:PORT``).
Some jobs are at other shards' companies (:mod:`fraudgraph.shards.employment`,
planned from a census of the shards' employers before they run), and once the
shards are written, friendships between them are drawn from their Person and
KNOWS parts (:mod:`fraudgraph.shards.bridges`).
"""

from fraudgraph.shards.plan import DEFAULT_PER_SHARD, ShardPlan
from fraudgraph.shards.run import write_sharded

__all__ = ["DEFAULT_PER_SHARD", "ShardPlan", "write_sharded"]
