"""Card spending: a card's ordinary history at the merchants it pays, and purchases spread over merchants."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import make_schedule
from fraudgraph.patterns.kit.keys import PAYS_STEM
from fraudgraph.patterns.kit.ledger import MoneyLedger
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.units import MONTH, to_seconds
from fraudgraph.vocab.industries import INDUSTRY_SPEND

#: Merchants a brand-new card starts paying.
EVERYDAY_SHOPS = ("grocery", "restaurants", "transport", "retail", "telecom", "entertainment")
#: Highest monthly spend of an ordinary history, as a share of the credit limit (bust-out
#: fraudsters keep utilisation low to earn trust; so do many honest holders).
HISTORY_CAP = 0.15


def spread_over(rng: np.random.Generator, new: list[str], shops: list[str], n: int) -> np.ndarray:
    """``n`` merchants for ``n`` payments: new ones three times as likely, and at least two (or three)
    distinct merchants when there are that many payments."""
    where = np.array(new + [m for m in shops if m not in new], dtype=object)
    weight = np.array([3.0] * len(new) + [1.0] * (where.size - len(new)))
    at = where[rng.choice(where.size, n, p=weight / weight.sum())]
    k = min(n, where.size, 2 + int(rng.random() < 0.5))
    firsts = list(dict.fromkeys(new + [where[i] for i in rng.permutation(where.size)]))[:k]
    at[:k] = firsts
    return at[rng.permutation(n)]


def card_history(kit: Toolkit, led: MoneyLedger, card: str, holder: str, h0: int, h1: int, limit: float) -> tuple[pd.DataFrame, list[str]]:
    """Ordinary card payments in ``[h0, h1)`` at the merchants the card pays (a few local everyday
    merchants added when it pays fewer than two), at their usual amounts and rates, with the
    monthly spend kept under :data:`HISTORY_CAP` of the limit. Returns the schedule and the merchants."""
    rng = kit.rng
    pays = led.payments_of(card)
    shops = pays["dst"].astype(str).tolist()
    typical = pays["typical_amount"].to_numpy(float).tolist()
    monthly = pays["monthly_count"].to_numpy(float).tolist()
    since = to_seconds(pays["since"]).tolist() if len(pays) else []
    if len(shops) < 2:
        comp = kit.snapshot("Company").set_index("id")["industry"]
        target = 2  # a brand-new card pays a couple of everyday merchants
        for m in led.merchants(EVERYDAY_SHOPS, led.city(holder), 4):
            if m in shops or len(shops) >= target:
                continue
            median, rate = INDUSTRY_SPEND.get(str(comp.get(m, "retail")), (60, 1.5))
            shops.append(m)
            typical.append(float(np.round(median * np.exp(rng.normal(0, 0.5)), 2)))
            monthly.append(float(max(rate * np.exp(rng.normal(0, 0.5)), 0.5)))
            since.append(h0)
    times, where, amounts = [], [], []
    for m, amt, rate, s in zip(shops, typical, monthly, since):
        lo = max(h0, int(s))
        if lo >= h1:
            continue
        n = int(rng.poisson(rate * (h1 - lo) / MONTH))
        times += (lo + (kit.fraction(lo, h1, n) * (h1 - lo)).astype(np.int64)).tolist()
        where += [m] * n
        amounts += np.maximum(np.round(amt * np.exp(rng.normal(0, 0.3, n)), 2), 1.0).tolist()
    open_shops = [(m, amt, int(s)) for m, amt, s in zip(shops, typical, since) if max(h0, int(s)) < h1]
    while len(times) < 3 and open_shops:
        m, amt, s = open_shops[int(rng.integers(0, len(open_shops)))]
        lo = max(h0, s)
        times.append(int(lo + kit.fraction(lo, h1) * (h1 - lo)))
        where.append(m)
        amounts.append(float(max(round(amt * float(np.exp(rng.normal(0, 0.3))), 2), 1.0)))
    if not times:
        return pd.DataFrame(), shops
    amounts = np.array(amounts)
    months = max((h1 - h0) / MONTH, 0.5)
    cap = HISTORY_CAP * limit * months
    if amounts.sum() > cap:
        amounts = np.maximum(np.round(amounts * cap / amounts.sum(), 2), 1.0)
    sched = make_schedule(times, "card_payment", PAYS_STEM, card, np.array(where, dtype=object), amounts, detail="history")
    return sched, shops
