"""The pipeline: scenario -> population -> patterns -> truth -> Dataset.

It owns the seed tree (one :class:`~fraudgraph.seeding.SeedTree` per run, kept
in the Dataset so that the event streams derive from the same tree). Writing
a dataset is :mod:`fraudgraph.writing`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from fraudgraph import stageclock
from fraudgraph.config import Scenario, resolve_scenario
from fraudgraph.dataset import Dataset
from fraudgraph.exporters import check_formats
from fraudgraph.graph import PropertyGraph
from fraudgraph.injection import check_patterns, inject_patterns, plan_counts
from fraudgraph.population import STAGES, build_population
from fraudgraph.population.lifecycle import draw_lifecycle
from fraudgraph.seeding import SeedTree
from fraudgraph.truth import build_truth
from fraudgraph.units import epoch_seconds

Progress = Callable[[str], None] | None


def plan(formats: list[str], scenario: Scenario | None = None) -> list[str]:
    """Names of the steps a full run reports to a progress callback, in order.

    The event phase, usually the longest, reports once per simulated day
    (``events <date>``; the callback's text also says how many events are
    written so far), so a progress bar moves through it.
    """
    patterns = [f"pattern {name}" for name in plan_counts(scenario)] if scenario is not None else []
    days = []
    if scenario is not None and scenario.events.streams:
        days = [f"events {scenario.start_date + dt.timedelta(days=i)}" for i in range(scenario.days)]
    return ([name for name, _ in STAGES] + patterns + ["truth", "validate"]
            + [f"write {f}" for f in formats] + days + ["manifest"])


def prepare(scenario: Scenario | str | Path | dict | None = None, *, seed: int | None = None,
            persons: int | None = None, days: int | None = None, formats: list[str] | str | None = None,
            streams: list[str] | str | None = None) -> Scenario:
    """Resolve a scenario and apply overrides; every value is validated, format and stream names included."""
    scenario = resolve_scenario(scenario)
    scenario = scenario.override({"seed": seed, "persons.count": persons, "days": days, "output.formats": formats,
                                  "events.streams": streams})
    check_formats(scenario.output.formats)
    check_patterns(scenario)
    return scenario


def generate(scenario: Scenario | str | Path | dict | None = None, seed: int | None = None, *,
             persons: int | None = None, days: int | None = None, progress: Progress = None) -> Dataset:
    """Generate a dataset.

    Parameters
    ----------
    scenario : Scenario, str, Path or dict, optional
        A Scenario, a preset name (``"default"``, ``"demo"``, ``"fraud_heavy"``,
        ``"stress"``), a YAML file, or a mapping. Defaults to ``"default"``.
    seed : int, optional
        Overrides the scenario's seed. The same seed and scenario always give
        the same dataset, byte for byte once written.
    persons, days : int, optional
        Override ``persons.count`` and ``days``.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import fraudgraph
    >>> ds = fraudgraph.generate("demo", seed=7, persons=200)
    >>> ds.scenario.persons.count, ds.graph.num_nodes("Person")  # fraud patterns' synthetic identities on top
    (200, 217)
    """
    scenario = prepare(scenario, seed=seed, persons=persons, days=days)
    return build(scenario, SeedTree(scenario.seed), progress)


def build(scenario: Scenario, seeds: SeedTree, progress: Progress = None,
          on_population: Callable[[PropertyGraph], None] | None = None) -> Dataset:
    """Build the world of a validated ``scenario`` from ``seeds`` (a shard's tree builds that shard's world).

    ``on_population`` is called with the legitimate world before any pattern touches it.
    """
    graph = build_population(scenario, seeds, progress=progress)
    if on_population is not None:
        on_population(graph)
    instances = inject_patterns(graph, scenario, seeds, progress=progress)
    if progress is not None:
        progress("truth")
    with stageclock.stage("truth"):
        truth = build_truth(instances, seeds.rng("truth"), epoch_seconds(scenario.end_date),
                            scenario.fraud.unlabeled_share, scenario.fraud.label_delay_days_mean, seeds.shard,
                            trips=graph.records.pop("trips", None))
        truth.lifecycle = draw_lifecycle(graph, truth, scenario, seeds.rng("lifecycle"))
    if progress is not None:
        progress("validate")
    with stageclock.stage("finalize and validate graph"):
        graph.finalize()
        graph.validate()
    return Dataset(graph, truth, scenario, seeds)
