"""Fraud-rate drift: injected activity follows the scenario's linear trend (patterns/kit/timing.py ``drifted``)."""

import numpy as np
import pandas as pd
import pytest
from fraudgraph.patterns.base import InjectionContext, Knobs
from fraudgraph.patterns.kit import Toolkit, drifted, trend

import fraudgraph

DAY = 86_400
SPAN = 120 * DAY
KNOBS = Knobs(amount_blending=0.5, timing_spread=1.0, member_overlap=0.0, decoy_ratio=0.0, camouflage=0.0)


def _ctx(drift: float) -> InjectionContext:
    return InjectionContext(start=0, end=SPAN, knobs=KNOBS, drift=drift)


def _density(t: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``t`` per bin, divided by the bin width (so a uniform sample gives ones times 1/span)."""
    counts, _ = np.histogram(t, bins=edges)
    return counts / t.size / np.diff(edges)


# -- the helper ------------------------------------------------------------------------------------------------

def test_without_drift_the_draws_are_returned_untouched():
    u = np.random.default_rng(0).random(1000)
    assert drifted(u, 0, SPAN, _ctx(0.0)) is u
    assert drifted(0.25, 5 * DAY, 9 * DAY, _ctx(0.0), length=DAY) == 0.25
    assert isinstance(drifted(0.25, 0, SPAN, _ctx(0.7)), float)


@pytest.mark.parametrize("drift", [1.0, -1.0, 0.4])
def test_density_over_the_span_is_the_linear_trend(drift):
    u = np.random.default_rng(1).random(400_000)
    t = drifted(u, 0, SPAN, _ctx(drift)) * SPAN
    edges = np.linspace(0, SPAN, 9)
    mids = (edges[:-1] + edges[1:]) / 2
    expected = trend(mids, _ctx(drift)) / (1 + drift / 2) / SPAN  # normalised 1 + drift * x
    np.testing.assert_allclose(_density(t, edges), expected, rtol=0.03, atol=0.01 / SPAN)


def test_draws_stay_in_range_and_keep_their_order():
    u = np.sort(np.r_[0.0, np.random.default_rng(2).random(50_000), 1 - 2**-53])
    for drift in (1.0, -1.0, 1e-9):
        y = drifted(u, 0, SPAN, _ctx(drift))
        assert y.min() >= 0.0 and y.max() < 1.0
        assert np.all(np.diff(y) >= 0)
    # near-zero drift changes nothing that matters (no cancellation in the formula)
    np.testing.assert_allclose(drifted(u, 0, SPAN, _ctx(1e-12)), u, atol=1e-11)


def test_a_sub_range_follows_the_trend_of_the_whole_span():
    ctx = _ctx(1.0)
    lo, hi = 80 * DAY, 110 * DAY
    t = lo + drifted(np.random.default_rng(3).random(300_000), lo, hi, ctx) * (hi - lo)
    edges = np.linspace(lo, hi, 7)
    ratio = _density(t, edges)[-1] / _density(t, edges)[0]
    expected = trend((edges[-2] + edges[-1]) / 2, ctx) / trend((edges[0] + edges[1]) / 2, ctx)
    assert ratio == pytest.approx(expected, rel=0.03)
    # a range that ends where the falling trend reaches zero gets no times at its very end
    t = drifted(np.random.default_rng(4).random(100_000), 60 * DAY, SPAN, _ctx(-1.0))
    assert np.mean(t > 0.9) < 0.02


def test_windows_and_times_inside_them_compose_to_the_trend():
    """Windows are placed by their midpoint and times inside them again along the trend (what
    ``Toolkit.window`` and ``Toolkit.times`` do), so the activity of many windows rises with the
    trend wherever windows fit fully."""
    ctx, length, rng = _ctx(1.0), 30 * DAY, np.random.default_rng(5)
    room = SPAN - length
    start = (drifted(rng.random(100_000), 0, room, ctx, length=length) * room).astype(np.int64)
    lo = np.repeat(start, 4)
    t = lo + (drifted(rng.random(lo.size), lo, lo + length, ctx) * length).astype(np.int64)
    edges = np.arange(30, 91, 15) * DAY  # interior: every time here may come from a window on either side
    density = _density(t, edges)
    mids = (edges[:-1] + edges[1:]) / 2
    np.testing.assert_allclose(density / density[0], trend(mids, ctx) / trend(mids[0], ctx), rtol=0.03)


def test_windows_drift_both_ways():
    starts = {}
    for drift in (1.0, 0.0, -1.0):
        kit = Toolkit(None, np.random.default_rng(6), _ctx(drift))
        starts[drift] = np.array([kit.window(10)[0] for _ in range(2000)])
    # the same draws, bent: every window moves later with a rising trend and earlier with a falling one
    assert np.all(starts[1.0] >= starts[0.0]) and np.all(starts[-1.0] <= starts[0.0])
    assert np.mean(starts[1.0]) > np.mean(starts[0.0]) + 5 * DAY > np.mean(starts[-1.0]) + 10 * DAY


def test_pick_day_keeps_the_stream_without_drift_and_drifts_with_it():
    plain = Toolkit(None, np.random.default_rng(7), _ctx(0.0))
    reference = np.random.default_rng(7)
    assert [plain.pick_day(100, 50) for _ in range(20)] == [100 + int(reference.integers(0, 50)) for _ in range(20)]
    rising = Toolkit(None, np.random.default_rng(8), _ctx(1.0))
    days = np.array([rising.pick_day(0, 120) for _ in range(4_000)])
    assert days.min() >= 0 and days.max() <= 119
    assert np.mean(days >= 80) > 1.4 * np.mean(days < 40)  # 11/27 against 7/27


# -- generated worlds ----------------------------------------------------------------------------------------

DAYS = 120
#: Six worlds pooled: the shares of one world's forty-odd instances move by about 0.1 from seed to seed, and
#: their last-third-minus-first-third gap without drift ranges from -0.09 to 0.17 over seeds 11 to 16 (two
#: worlds left the rising test 0.006 above its margin, and a new typology's recruits moved it below).
SEEDS = (11, 12, 13, 14, 15, 16)


def _world(drift: dict | None = None, seed: int = SEEDS[0]):
    """A seeded fraud_heavy world over 120 days with about 40 fraud instances; ``drift`` overrides."""
    scenario = fraudgraph.Scenario.from_preset("fraud_heavy").override({
        "persons.count": 1500, "days": DAYS, "fraud.person_share": 0.1,
        **{f"drift.{k}": v for k, v in (drift or {}).items()}})
    return fraudgraph.generate(scenario, seed=seed)


def _worlds(drift: dict | None = None) -> list:
    return [_world(drift, seed) for seed in SEEDS]


def _fraud_thirds(worlds, per_instance: bool = True) -> tuple[float, float]:
    """Shares of the fraud instances' schedule rows (inside the span) in its first and its last third.

    ``per_instance`` weighs every row by one over its instance's row count, so that each fraud
    instance counts once: in a world this size a couple of instances with a hundred logins each
    would otherwise decide the shares by where they happen to fall. The rows of ``worlds`` are pooled.
    """
    xs, keys = [], []
    for k, ds in enumerate(worlds):
        p, s = ds.truth.patterns, ds.truth.schedule
        rows = s[s["pattern_id"].isin(p.loc[p["is_fraud"], "pattern_id"])]
        x = ((rows["time"] - pd.Timestamp(ds.scenario.start_date)) / pd.Timedelta(days=DAYS)).to_numpy()
        inside = (x >= 0) & (x < 1)
        xs.append(x[inside])
        keys.append(f"{k}:" + rows["pattern_id"].astype(str).to_numpy()[inside].astype(object))
    x, ids = np.concatenate(xs), np.concatenate(keys)
    assert x.size > 500 * len(worlds) and np.unique(ids).size > 30 * len(worlds)
    w = 1.0 / pd.Series(ids).map(pd.Series(ids).value_counts()).to_numpy() if per_instance else np.ones(x.size)
    return float(w[x < 1 / 3].sum() / w.sum()), float(w[x >= 2 / 3].sum() / w.sum())


@pytest.fixture(scope="module")
def plain():
    return _worlds()


@pytest.fixture(scope="module")
def drifting():
    return {direction: _worlds({"strength": 1.0, "direction": direction}) for direction in (1, -1)}


@pytest.fixture(scope="module")
def thirds(plain, drifting):
    """(first, last) shares without drift (0) and with strength 1 rising (+1) and falling (-1)."""
    return {0: _fraud_thirds(plain), **{d: _fraud_thirds(ds) for d, ds in drifting.items()}}


def test_rising_drift_puts_more_fraud_at_the_end(thirds):
    first, last = thirds[1]
    assert last > first + 0.03
    assert last - first > thirds[0][1] - thirds[0][0] + 0.04  # more so than without drift (not flat by itself)


def test_falling_drift_puts_more_fraud_at_the_start(thirds):
    first, last = thirds[-1]
    assert first > last + 0.1
    assert first - last > thirds[0][0] - thirds[0][1] + 0.1


def test_the_two_directions_pull_fraud_apart(thirds, drifting):
    (rise_first, rise_last), (fall_first, fall_last) = thirds[1], thirds[-1]
    assert (rise_last - rise_first) - (fall_last - fall_first) > 0.3
    # counting every row alike too
    (rise_first, rise_last), (fall_first, fall_last) = (_fraud_thirds(drifting[d], per_instance=False) for d in (1, -1))
    assert (rise_last - rise_first) - (fall_last - fall_first) > 0.15


def test_no_strength_leaves_the_world_as_it_was(plain):
    """Strength 0 draws the same random numbers as a scenario without drift: the same dataset."""
    off, plain = _world({"strength": 0.0, "direction": -1}), plain[0]
    for name in ("patterns", "schedule", "node_labels", "edge_labels"):
        pd.testing.assert_frame_equal(getattr(off.truth, name), getattr(plain.truth, name))
    for key, edges in plain.graph.edges.items():
        pd.testing.assert_frame_equal(off.graph.edges[key], edges)
