"""Every preset at small sizes, over many seeds, sizes and spans, runs to the end with sound streams.

An edge case of one family (a circle with no completed cycle, a world with no
circles, no fraud or no listed company, a one-day span, one person) must not
take a run down. ``benchmarks/seeds.py`` runs the wider sweep (every demo seed
from 0 to 99, and random worlds).
"""

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fraudgraph.config import Scenario, preset_names
from fraudgraph.loading import validate_folder
from fraudgraph.pipeline import generate

#: Worlds that share no typology's or family's usual ingredients.
EDGE_WORLDS = {
    "plain": {},
    "no_circles": {"circles.participation": 0.0},
    "no_fraud": {"fraud.enabled": False},
    "no_listed": {"companies.listed_share": 0.0},
    "fraud_everywhere": {"fraud.person_share": 0.5, "fraud.hardness": "high"},
    "drift": {"drift.strength": 1.0, "drift.direction": -1, "start_date": "2024-02-29"},
}
SIZES = (1, 7, 60, 250)
SPANS = (1, 2, 31)


def _grid():
    cases = []
    worlds = list(EDGE_WORLDS)
    for p, preset in enumerate(preset_names()):
        for s, persons in enumerate(SIZES):
            for d, days in enumerate(SPANS):
                k = (p * len(SIZES) + s) * len(SPANS) + d
                cases.append((preset, 1000 + 37 * k, persons, days, worlds[k % len(worlds)]))
    return cases


#: The runs that crashed before (circles' payouts of a circle without a completed cycle).
CRASHED = [("demo", 3, 500, 30, "plain"), ("demo", 4, 500, 30, "plain"), ("demo", 30, 500, 30, "plain"),
           ("demo", 44, 500, 30, "plain"), ("default", 3, 500, 90, "plain")]


def _scenario(preset, seed, persons, days, world):
    return Scenario.from_preset(preset).override({"seed": seed, "persons.count": persons, "days": days,
                                                   **EDGE_WORLDS[world]})


def _check_streams(dataset, scenario, world):
    """Global time order, unique event ids, truth rows of real events; the edge world's own promise."""
    last_time, ids, truth_ids, types = None, [], [], set()
    for window in dataset.timeline().windows():
        events = window.events
        if events.num_rows:
            times = events["timestamp"].combine_chunks()
            assert pc.all(pc.greater_equal(times[1:], times[:-1])).as_py() is not False
            assert last_time is None or times[0].as_py() >= last_time
            last_time = times[-1].as_py()
            ids.append(events["event_id"].combine_chunks())
            types |= set(pc.unique(events["event_type"]).to_pylist())
        if window.truth.num_rows:
            truth_ids.append(window.truth["event_id"].combine_chunks())
    ids = pa.chunked_array(ids) if ids else pa.chunked_array([], pa.string())
    assert pc.count_distinct(ids).as_py() == len(ids)
    if truth_ids:
        assert pc.all(pc.is_in(pa.chunked_array(truth_ids), value_set=ids.combine_chunks())).as_py()
    if world == "no_circles":
        assert not any(t.startswith("circle-") for t in types)
    if world == "no_fraud":
        assert dataset.truth.patterns.empty
    assert dataset.graph.num_nodes("Person") >= scenario.persons.count
    return len(ids)


@pytest.mark.parametrize("preset, seed, persons, days, world", CRASHED + _grid(),
                         ids=lambda v: str(v))
def test_world_runs_to_the_end(preset, seed, persons, days, world):
    scenario = _scenario(preset, seed, persons, days, world)
    dataset = generate(scenario)
    events = _check_streams(dataset, scenario, world)
    if persons >= 60 and days >= 2:
        assert events > 0


@pytest.mark.parametrize("preset, seed, persons, days, world", [
    ("demo", 5, 1, 1, "plain"),
    ("default", 6, 40, 1, "no_circles"),
    ("fraud_heavy", 7, 40, 3, "no_fraud"),
    ("stress", 8, 80, 2, "no_listed"),
    ("demo", 3, 500, 30, "plain"),
], ids=lambda v: str(v))
def test_edge_worlds_write_and_validate_in_every_format(tmp_path, preset, seed, persons, days, world):
    dataset = generate(_scenario(preset, seed, persons, days, world))
    dataset.write(tmp_path / "out", formats=["csv", "jsonl", "parquet"])
    problems, summary = validate_folder(tmp_path / "out")
    assert problems == []
    assert summary["formats"] == ["csv", "cypher-pack", "jsonl", "parquet"]  # with the investigation pack
