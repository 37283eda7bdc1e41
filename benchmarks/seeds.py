"""Run many small worlds to the end and print any that fail: every demo seed, and random worlds of every preset.

The unit tests run a fixed grid (``tests/test_every_world.py``); this sweep is wider:

    python benchmarks/seeds.py                    # demo seeds 0-99, then 100 random worlds
    python benchmarks/seeds.py --random 500 --first 0 --last 0
"""

from __future__ import annotations

import argparse
import time
import traceback

import numpy as np

from fraudgraph.config import Scenario, preset_names
from fraudgraph.pipeline import generate

#: Overrides that remove one ingredient of a family or a typology.
EDGES = [{}, {"circles.participation": 0.0}, {"fraud.enabled": False}, {"companies.listed_share": 0.0},
         {"fraud.person_share": 0.5}, {"circles.participation": 0.5}, {"drift.strength": 1.0, "drift.direction": -1}]


def run(preset: str, changes: dict) -> int:
    """Events of one world, simulated to the end (nothing is written)."""
    dataset = generate(Scenario.from_preset(preset).override(changes))
    return sum(window.events.num_rows for window in dataset.timeline().windows())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", type=int, default=0, help="first demo seed")
    parser.add_argument("--last", type=int, default=99, help="last demo seed (below --first: none)")
    parser.add_argument("--random", type=int, default=100, help="random worlds of every preset")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random choice of worlds")
    args = parser.parse_args()
    cases = [("demo", {"seed": seed}) for seed in range(args.first, args.last + 1)]
    rng = np.random.default_rng(args.seed)
    presets = preset_names()
    for i in range(args.random):
        cases.append((presets[i % len(presets)], {
            "seed": int(rng.integers(0, 1_000_000)), "persons.count": int(rng.choice([1, 2, 5, 30, 120, 500, 900])),
            "days": int(rng.choice([1, 2, 7, 31, 60, 120])),
            "start_date": str(rng.choice(["2025-01-01", "2024-02-29", "2025-12-31"])), **EDGES[i % len(EDGES)]}))
    failed = 0
    started = time.perf_counter()
    for preset, changes in cases:
        try:
            run(preset, changes)
        except Exception:  # noqa: BLE001 - the sweep reports every failure and goes on
            failed += 1
            print(f"FAILED {preset} {changes}\n{traceback.format_exc(limit=-3)}", flush=True)
    print(f"{len(cases) - failed} of {len(cases)} worlds ran to the end ({failed} failed) "
          f"in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
