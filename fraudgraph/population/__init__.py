"""The legitimate world, built stage by stage into a PropertyGraph.

Each module owns one concern and reads what earlier ones left in the
:class:`~fraudgraph.population.world.World`:
persons -> companies (and employment) -> devices -> networks (IPs) ->
travel (trips and the addresses at their destinations) -> accounts -> social ties -> circles -> money relationships.
"""

from __future__ import annotations

from collections.abc import Callable

from fraudgraph import stageclock
from fraudgraph.config import Scenario
from fraudgraph.graph import PropertyGraph
from fraudgraph.population.accounts import build_accounts
from fraudgraph.population.circles import build_circles
from fraudgraph.population.companies import build_companies
from fraudgraph.population.devices import build_devices
from fraudgraph.population.money import build_money
from fraudgraph.population.networks import build_networks
from fraudgraph.population.persons import build_persons
from fraudgraph.population.social import build_social
from fraudgraph.population.travel import build_travel
from fraudgraph.population.world import World
from fraudgraph.seeding import SeedTree

STAGES: tuple[tuple[str, Callable[[World, PropertyGraph], None]], ...] = (
    ("persons", build_persons),
    ("companies", build_companies),
    ("devices", build_devices),
    ("networks", build_networks),
    ("travel", build_travel),
    ("accounts", build_accounts),
    ("social", build_social),
    ("circles", build_circles),
    ("money", build_money),
)


def build_population(scenario: Scenario, seeds: SeedTree, progress: Callable[[str], None] | None = None) -> PropertyGraph:
    """Build the legitimate world of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        Validated parameters.
    seeds : SeedTree
        Seed tree of the run; each stage draws from its own named child.
    progress : callable, optional
        Called with each stage's name before it runs.

    Returns
    -------
    PropertyGraph
        Every node and edge type of the schema (not yet sorted; see
        :meth:`PropertyGraph.finalize`).
    """
    world = World.create(scenario, seeds)
    graph = PropertyGraph(id_space=seeds.shard)
    for name, stage in STAGES:
        if progress is not None:
            progress(name)
        with stageclock.stage(f"population {name}"):
            stage(world, graph)
    return graph
