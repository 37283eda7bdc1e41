"""Pieces under a reporting threshold: their amounts, the days of the window they are spread over, the desk."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import make_schedule
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.units import DAY, HOUR


def lowest_piece(threshold: float, blending: float) -> float:
    """Lowest structured amount: 90 % of the threshold unblended, 70 % fully blended."""
    return threshold * (0.90 - 0.20 * blending)


def pieces_under(rng: np.random.Generator, threshold: float, n: int, blending: float, cash: bool) -> np.ndarray:
    """``n`` amounts in [low, threshold): hugging the threshold (and round) when unblended, spread when blended."""
    low = lowest_piece(threshold, blending)
    top = threshold - 0.01
    u = rng.random(n) ** (1.0 + 2.0 * (1.0 - blending))
    x = top - (top - low) * u
    if cash:
        unit = 100.0 if rng.random() < 1.0 - blending else (20.0 if rng.random() < 0.5 else 1.0)
        x = np.maximum(np.floor(x / unit) * unit, np.ceil(low / unit) * unit)
        x = np.where(x >= threshold, np.floor(top), x)
    else:
        round_them = rng.random(n) < (1.0 - blending) ** 2
        x = np.where(round_them, np.maximum(np.floor(x / 50) * 50, np.ceil(low / 50) * 50), np.round(x, 2))
        x = np.minimum(x, top)
    return x


def piece_window(kit: Toolkit, min_days: float, max_days: float, need_days: int) -> tuple[int, int] | None:
    """The first day (days since the epoch) and the length in days of a window of ``min_days`` to
    ``max_days`` (stretched by the timing knob) with room for ``need_days`` distinct days, placed
    along the scenario's drift; ``None`` when the span is too short."""
    rng, ctx = kit.rng, kit.ctx
    days = rng.uniform(min_days, max_days) * (0.5 + ctx.knobs.timing_spread)
    days = int(max(days, need_days + 1))
    span_days = int((ctx.end - ctx.start) // DAY) - 1
    if span_days < need_days + 1:
        return None
    days = min(days, span_days)
    first = kit.pick_day(ctx.start // DAY, span_days - days + 1, length=days * DAY)
    return int(first), days


def branch_times(rng: np.random.Generator, first_day: int, days: int, n: int, hours=(13, 22)) -> np.ndarray:
    """``n`` times on distinct days of the window, in branch opening hours (UTC)."""
    day = first_day + np.sort(rng.choice(days, size=min(n, days), replace=False))
    return (day * DAY + (rng.uniform(*hours, day.size) * HOUR).astype(np.int64)).astype(np.int64)


def cash_desk(rng: np.random.Generator, cash: np.ndarray) -> np.ndarray:
    """Where cash was paid in: large amounts at a branch counter, some smaller ones at a deposit ATM."""
    return np.where((cash < 3_000) & (rng.random(cash.size) < 0.5), "atm", "branch").astype(object)


def cash_deposits(rng: np.random.Generator, account: str, threshold: float, first_day: int, days: int, n: int,
                  blending: float) -> pd.DataFrame:
    """Schedule of ``n`` cash deposits into ``account``, each under ``threshold``, on distinct days of the
    window, in branch opening hours, at the counter or a deposit ATM."""
    t = branch_times(rng, first_day, days, n)
    cash = pieces_under(rng, threshold, n, blending, cash=True)
    return make_schedule(t, "cash_deposit", "", account, "", cash, detail=cash_desk(rng, cash))
