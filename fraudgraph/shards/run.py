"""A sharded run: plan the shards, run them on an engine, and publish the parts with their manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fraudgraph._version import __version__
from fraudgraph.config import Scenario
from fraudgraph.errors import ConfigError
from fraudgraph.output import MANIFEST, atomic_folder
from fraudgraph.shards.bridges import write_bridges
from fraudgraph.shards.employment import plan_jobs
from fraudgraph.shards.engines import Progress, census_shards, run_shards
from fraudgraph.shards.plan import ShardPlan
from fraudgraph.stageclock import stage
from fraudgraph.writing import MANIFEST_VERSION, Manifest, manifest_text

#: What a sharded run writes.
FORMATS = ["parquet"]


def write_sharded(scenario: Scenario, out: str | Path, *, engine: str = "local", workers: int = 1,
                  scheduler: str | None = None, force: bool = False, progress: Progress = None) -> Manifest:
    """Generate ``scenario`` shard by shard and write it to ``out`` as partitioned Parquet, all or nothing.

    Parameters
    ----------
    scenario : Scenario
        The run; ``persons.per_shard`` sets the shard size.
    out : str or Path
        The dataset folder (absent or empty, or replaced with ``force``).
    engine, workers, scheduler
        Where the shards run (see :func:`~fraudgraph.shards.engines.run_shards`);
        the files do not depend on them.

    Returns
    -------
    Manifest
        Every part file with its rows and sha256, the counts summed over the shards.
    """
    if scenario.output.formats != FORMATS:
        raise ConfigError(f"--format: a sharded run writes partitioned Parquet only, got "
                          f"{','.join(scenario.output.formats)}")
    plan = ShardPlan(scenario)
    with atomic_folder(out, force=force) as tmp:
        jobs = None
        if plan.count > 1 and scenario.companies.cross_shard_share > 0:
            with stage("shards census"):
                censuses = census_shards(scenario.to_dict(), plan.count, engine=engine, workers=workers,
                                         scheduler=scheduler)
                jobs = plan_jobs(plan, censuses)
        results = run_shards(scenario.to_dict(), plan.count, str(tmp), engine=engine, workers=workers,
                             scheduler=scheduler, progress=progress, jobs=jobs)
        bridges, bridge_counts = write_bridges(plan, tmp)
        files = sorted([*(f for r in results for f in r["files"]), *(f.manifest_entry("parquet") for f in bridges)],
                       key=lambda f: f["path"])
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "fraudgraph_version": __version__,
            "seed": scenario.seed,
            "scenario": scenario.to_dict(),
            "layout": plan.layout(),
            "counts": _summed([r["counts"] for r in results] + [bridge_counts]),
            "labels_on_graph": False,
            "labels_on_events": False,
            "files": files,
        }
        (tmp / MANIFEST).write_text(manifest_text(manifest), encoding="utf-8")
    return Manifest(manifest, Path(out))


def _summed(counts: list[dict[str, Any]]) -> dict[str, Any]:
    """Nested counts added key by key, keys sorted where the shards may differ (event types)."""
    total: dict[str, Any] = {}
    for shard in counts:
        for section, values in shard.items():
            into = total.setdefault(section, {})
            for key, n in values.items():
                into[key] = into.get(key, 0) + n
    total["events"] = dict(sorted(total.get("events", {}).items()))
    return total
