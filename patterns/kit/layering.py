"""Layering money: what a mule is sent, how much of it it passes on, and how long it holds it first."""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.kit.amounts import blend
from fraudgraph.patterns.kit.ledger import MoneyLedger
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.units import HOUR


def mule_amount(kit: Toolkit, led: MoneyLedger, blending: float) -> float:
    """One placement unit: thousands when unblended, a legitimate transfer's size when fully blended
    (blended geometrically, as amounts vary by factors rather than by sums)."""
    rng = kit.rng
    loud = float(np.clip(2_500 * np.exp(rng.normal(0, 0.5)), 800, 9_500))
    pool = led.quiet_amounts()
    quiet = float(pool[rng.integers(0, pool.size)]) if pool.size else loud
    return max(50.0, float(blend(loud, quiet, blending)))


def placement(rng: np.random.Generator, amount: float, blending: float) -> float:
    """Placements are often round when amounts are unblended."""
    if rng.random() < (1 - blending) ** 2 and amount >= 100:
        return float(np.floor(amount / 50) * 50)
    return round(float(amount), 2)


class LayeringRound:
    """One round of a layering scheme starting at relative time ``t0``.

    Parameters
    ----------
    kit, led : Toolkit, MoneyLedger
        The call's toolkit and money ledger.
    pass_through : tuple of float
        Lowest and highest share of what a mule receives that it forwards.
    holding_hours : tuple of float
        Shortest and longest time a mule holds the money.
    t0 : int
        When the round starts (relative to the scheme).

    Notes
    -----
    Making a round draws its placement unit (:attr:`unit`, see :func:`mule_amount`); every
    pass-through ratio drawn afterwards is kept, rounded, in :attr:`ratios`.
    """

    def __init__(self, kit: Toolkit, led: MoneyLedger, pass_through: tuple[float, float],
                 holding_hours: tuple[float, float], t0: int):
        self.kit, self.rng, self.t0 = kit, kit.rng, t0
        self.knobs = kit.ctx.knobs
        self.pass_through, self.holding_hours = pass_through, holding_hours
        self.ratios: list[float] = []
        self.unit = mule_amount(kit, led, self.knobs.amount_blending)

    def placement(self, amount: float) -> float:
        """``amount`` as placed (see :func:`placement`)."""
        return placement(self.rng, amount, self.knobs.amount_blending)

    def ratio(self) -> float:
        """The share a mule forwards, kept off the bounds by a small margin."""
        lo, hi = self.pass_through
        margin = min(0.002, (hi - lo) / 4)
        r = float(self.rng.uniform(lo + margin, hi - margin)) if hi - lo > 2 * margin else (lo + hi) / 2
        self.ratios.append(round(r, 4))
        return r

    def hold(self, k: int = 1) -> np.ndarray:
        """``k`` holding times in seconds, longer as the timing knob spreads them."""
        h_lo, h_hi = self.holding_hours
        top = h_lo + (h_hi - h_lo) * (0.3 + 0.7 * self.knobs.timing_spread)
        return (self.rng.uniform(h_lo, top, k) * HOUR).astype(np.int64)

    def arrivals(self, k: int) -> np.ndarray:
        """When ``k`` placements arrive: within a day of ``t0`` (at ``t0`` when there is one)."""
        t0 = self.t0
        return self.kit.times(k, t0, t0 + 24 * HOUR) if k > 1 else np.array([t0], dtype=np.int64)

    def split(self, total: float, k: int) -> np.ndarray:
        """``total`` split into ``k`` uneven parts that add up to it to the cent."""
        w = self.rng.dirichlet(np.full(k, 4.0))
        parts = np.round(total * w, 2)
        parts[-1] = round(total - parts[:-1].sum(), 2)
        return parts
