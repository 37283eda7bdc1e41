"""World: the integer-indexed arrays the population builders hand to each other.

Builders work on row positions (numpy integer arrays) and only turn them into
string ids when they add a table to the graph. Times are int64 seconds since
the Unix epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fraudgraph.config import Scenario
from fraudgraph.seeding import SeedTree
from fraudgraph.units import epoch_seconds
from fraudgraph.vocab.geography import Geography


@dataclass
class World:
    """Shared state of one population build."""

    scenario: Scenario
    seeds: SeedTree
    geo: Geography
    start: int
    end: int
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def create(cls, scenario: Scenario, seeds: SeedTree) -> "World":
        return cls(
            scenario=scenario,
            seeds=seeds,
            geo=Geography(scenario.persons.countries),
            start=epoch_seconds(scenario.start_date),
            end=epoch_seconds(scenario.end_date),
        )

    def rng(self, *path: str) -> np.random.Generator:
        return self.seeds.rng("population", *path)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.arrays[name] = value
