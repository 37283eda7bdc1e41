"""The pattern stage: split the fraud budget over the typologies and run their injectors."""

from __future__ import annotations

from collections.abc import Callable

from fraudgraph import stageclock
from fraudgraph.config import Scenario
from fraudgraph.graph import PropertyGraph
from fraudgraph.patterns.base import (
    InjectionContext,
    Knobs,
    available_patterns,
    get_injector,
    resolve_config,
)
from fraudgraph.patterns.kit import release_caches
from fraudgraph.seeding import SeedTree
from fraudgraph.units import epoch_seconds


def check_patterns(scenario: Scenario) -> None:
    """Reject unknown pattern names and invalid per-pattern settings (before any work)."""
    for name, settings in scenario.fraud.patterns.items():
        resolve_config(name, settings)


def plan_counts(scenario: Scenario) -> dict[str, tuple[int, int]]:
    """``{typology: (fraud instances, decoys)}`` for the scenario's budget and knobs."""
    fraud = scenario.fraud
    if not fraud.enabled:
        return {}
    knobs = fraud.knobs()
    configs = {name: resolve_config(name, fraud.patterns.get(name)) for name in available_patterns()}
    active = {name: cfg for name, cfg in configs.items() if cfg.enabled and (cfg.weight > 0 or cfg.count)}
    budget = scenario.persons.count * fraud.person_share
    total_weight = sum(cfg.weight for cfg in active.values()) or 1.0
    plan = {}
    for name, cfg in sorted(active.items()):
        if cfg.count is not None:
            count = cfg.count
        else:
            share = budget * cfg.weight / total_weight
            count = int(round(share / get_injector(name).persons_per_instance))
            count = max(count, 1 if budget >= 1 else 0)
        decoys = int(round(count * knobs["decoy_ratio"]))
        if knobs["decoy_ratio"] > 0 and count > 0:
            decoys = max(decoys, 1)
        plan[name] = (count, decoys)
    return plan


def inject_patterns(graph: PropertyGraph, scenario: Scenario, seeds: SeedTree,
                    progress: Callable[[str], None] | None = None) -> list:
    """Run every planned injector on ``graph``; return all fraud and decoy instances."""
    plan = plan_counts(scenario)
    knobs = Knobs(**scenario.fraud.knobs())
    ctx = InjectionContext(start=epoch_seconds(scenario.start_date), end=epoch_seconds(scenario.end_date), knobs=knobs,
                           drift=scenario.drift.direction * scenario.drift.strength)
    instances = []
    for name, (count, decoys) in plan.items():
        if progress is not None:
            progress(f"pattern {name}")
        injector = get_injector(name)
        cfg = resolve_config(name, scenario.fraud.patterns.get(name))
        with stageclock.stage(f"pattern {name}"):
            if count:
                instances += injector.inject(graph, seeds.rng("patterns", name, "fraud"), cfg, count, ctx)
            if decoys:
                instances += injector.inject_decoys(graph, seeds.rng("patterns", name, "decoys"), cfg, decoys, ctx)
    release_caches(graph)
    return instances
