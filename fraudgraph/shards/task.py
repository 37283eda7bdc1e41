"""One shard, start to end: build its world from (seed, shard) and write its parts.

:func:`run_shard` is the unit of work every engine runs: a plain function of
plain arguments, so it pickles to a process pool or a Dask worker, and its
files depend on nothing but those arguments.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from fraudgraph import schema, stageclock
from fraudgraph.config import Scenario
from fraudgraph.pipeline import build
from fraudgraph.shards.employment import TRANSFERS, hire
from fraudgraph.shards.layout import StreamParts, write_tables
from fraudgraph.shards.plan import ShardPlan
from fraudgraph.units import epoch_seconds


def run_shard(scenario: dict[str, Any], index: int, root: str, timings: bool = False,
              jobs: dict[str, list] | None = None) -> dict[str, Any]:
    """Build shard ``index`` of ``scenario`` and write its part files under ``root``.

    Parameters
    ----------
    scenario : dict
        The whole run's scenario (:meth:`Scenario.to_dict`); the shard takes its part.
    index : int
        Which shard.
    root : str
        The dataset's staging folder, shared by every shard.
    timings : bool
        Also time the shard's stages (for a clock in the process that asked, see
        :meth:`fraudgraph.stageclock.StageClock.absorb`).
    jobs : dict, optional
        The shard's jobs at other shards' companies (:func:`~fraudgraph.shards.employment.plan_jobs`).

    Returns
    -------
    dict
        ``files`` (manifest entries), ``counts`` (nodes, edges, truth rows and events per type), and with
        ``timings`` the shard's stage report.
    """
    if not timings:
        return _run(scenario, index, root, jobs)
    with stageclock.recording() as clock:
        result = _run(scenario, index, root, jobs)
    return {**result, "timings": clock.report()}


def _run(scenario: dict[str, Any], index: int, root: str, jobs: dict[str, list] | None) -> dict[str, Any]:
    from fraudgraph.timeline import Timeline
    from fraudgraph.timeline.engine import stream_schemas

    plan = ShardPlan(Scenario.from_dict(scenario))
    shard_scenario = plan.scenario_of(index)
    seeds = plan.seeds(index)
    residents: list[set] = []  # the population's persons: those the patterns make up hold no job (as in one world)
    dataset = build(shard_scenario, seeds,
                    on_population=lambda graph: residents.append(set(graph.nodes["Person"]["id"].tolist())))
    extra_edges = {}
    if jobs:
        with stageclock.stage("shards hiring"):
            extra_edges = hire(dataset.graph, jobs, seeds.rng("shards", "hiring"),
                               epoch_seconds(shard_scenario.end_date), residents[0])
    out = Path(root)
    files = write_tables(dataset, out, index, extra_edges)
    counts = dataset.graph.counts()
    for key, rows in extra_edges.items():
        stem = schema.edge_type(key).file_stem
        counts["edges"][stem] += len(rows)
    counts["truth"] = {name: len(t) for name, (_, t) in dataset.truth.tables().items()}
    events = {}
    streams = shard_scenario.events.streams
    if streams:
        parts = StreamParts(out, index, stream_schemas(), typed=shard_scenario.output.typed_events)
        timeline = Timeline(dataset.graph, dataset.truth, shard_scenario, seeds, streams=streams,
                            incoming_payroll=extra_edges.get(TRANSFERS))
        for window in timeline.windows():
            parts.write(window)
        stream_files, events = parts.close()
        files += stream_files
    del dataset
    gc.collect()
    return {"files": [f.manifest_entry("parquet") for f in files], "counts": {**counts, "events": events}}
