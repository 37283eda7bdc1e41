"""How a world is cut into shards: their sizes, scenarios and seed trees, from the scenario alone.

Nothing here depends on how many workers will run the shards, so a plan, and
the files its shards write, are the same on one process, many, or a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudgraph.config import Scenario
from fraudgraph.seeding import SeedTree

#: Persons per shard when a sharded run does not say (``persons.per_shard``).
DEFAULT_PER_SHARD = 100_000


@dataclass(frozen=True)
class ShardPlan:
    """The shards of one scenario.

    Parameters
    ----------
    scenario : Scenario
        The whole run; ``persons.per_shard`` (or :data:`DEFAULT_PER_SHARD`) sets the shard size.

    Examples
    --------
    >>> from fraudgraph import Scenario
    >>> plan = ShardPlan(Scenario().override({"persons.count": 2500, "persons.per_shard": 1000}))
    >>> plan.sizes
    (834, 833, 833)
    """

    scenario: Scenario

    @property
    def per_shard(self) -> int:
        return self.scenario.persons.per_shard or DEFAULT_PER_SHARD

    @property
    def count(self) -> int:
        """How many shards: the fewest of at most ``per_shard`` persons each."""
        return max(1, -(-self.scenario.persons.count // self.per_shard))

    @property
    def sizes(self) -> tuple[int, ...]:
        """Persons of each shard: as equal as whole persons allow, the larger first."""
        return _apportion(self.scenario.persons.count, np.ones(self.count))

    def seeds(self, index: int) -> SeedTree:
        """The seed tree of shard ``index``: its own branch of the user's seed, and its own id range."""
        return SeedTree(self.scenario.seed, shard=(index, self.count))

    def scenario_of(self, index: int) -> Scenario:
        """The scenario shard ``index`` builds: its persons, its share of every fixed pattern count, and
        (with several shards) the jobs of its employment rate that stay inside it."""
        sizes = np.array(self.sizes, dtype=float)
        patterns = {}
        for name, settings in self.scenario.fraud.patterns.items():
            settings = dict(settings)
            if settings.get("count") is not None:
                settings["count"] = _apportion(int(settings["count"]), sizes)[index]
            patterns[name] = settings
        values = {"persons.count": self.sizes[index], "fraud.patterns": patterns}
        if self.count > 1:  # the jobs it gives up are filled at other shards' companies (shards.employment)
            companies = self.scenario.companies
            values["companies.employment_rate"] = companies.employment_rate * (1 - companies.cross_shard_share)
        return self.scenario.override(values)

    def layout(self) -> dict:
        """What the manifest records of the cut (never the workers that ran it)."""
        return {"kind": "sharded", "shards": self.count, "per_shard": self.per_shard, "persons": list(self.sizes)}


def _apportion(total: int, weights: np.ndarray) -> tuple[int, ...]:
    """Split ``total`` into whole parts proportional to ``weights`` (largest remainders, earlier parts first)."""
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(np.int64)
    short = int(total - parts.sum())
    order = np.lexsort((np.arange(len(exact)), -(exact - parts)))
    parts[order[:short]] += 1
    return tuple(int(p) for p in parts)
