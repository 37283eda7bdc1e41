"""Customer lifecycle: each person's churn-risk tier and when their engagement phases begin.

A person is ``new`` for the first 30 days after joining, then ``engaged``; some
cool off (``cooling``), become ``at_risk`` and finally leave (``churned``). Each
person has a churn-risk tier (low, medium, high) with a monthly churn hazard,
scaled by segment (students and gig workers leave more, retirees less) and, with
``lifecycle.churn_drift``, growing linearly over the span; the churn time is drawn
from that hazard (from the end of onboarding or the span's start, whichever is
later) and the phases before it are laid back from it: at risk 14-45 days before,
cooling 20-60 days before that. Persons whose churn falls after the span keep the
phases that begin inside it. The timeline scales each person's sessions and
spending by their phase and stops everything they do from their churn on
(:class:`fraudgraph.timeline.context.TimelineContext`); a share of the leavers
close their accounts, the rest leave them dormant.

Members of pattern instances may cool off but never churn within the span, since
their scripted activity must happen. The result is the truth table ``lifecycle``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph.config import Scenario
from fraudgraph.graph import PropertyGraph, conform, empty_table
from fraudgraph.truth import LIFECYCLE, PHASES, RISK_TIERS, Truth
from fraudgraph.units import DAY, epoch_seconds, to_seconds

#: Days a new customer is onboarding.
NEW_DAYS = 30
#: Churn hazard multiplier of each segment.
SEGMENT_CHURN = {"student": 1.5, "gig_worker": 1.4, "young_professional": 1.1, "family": 0.9, "affluent": 0.8,
                 "retiree": 0.6}
_NEVER = np.iinfo(np.int64).max


def draw_lifecycle(graph: PropertyGraph, truth: Truth, scenario: Scenario, rng: np.random.Generator) -> pd.DataFrame:
    """The ``lifecycle`` truth table of ``graph``'s persons (empty when ``scenario.lifecycle.enabled`` is off).

    Parameters
    ----------
    graph : PropertyGraph
        The world after the patterns (persons and who owns which account).
    truth : Truth
        The pattern instances, whose members never churn within the span.
    scenario : Scenario
    rng : numpy.random.Generator

    Returns
    -------
    DataFrame
        One row per person, columns of :data:`fraudgraph.truth.LIFECYCLE`.
    """
    cfg = scenario.lifecycle
    persons = graph.nodes["Person"]
    n = len(persons)
    if not cfg.enabled or n == 0:
        return empty_table(LIFECYCLE)
    start, end = epoch_seconds(scenario.start_date), epoch_seconds(scenario.end_date)
    joined = to_seconds(persons["created_at"])
    engaged = joined + NEW_DAYS * DAY
    p_high = cfg.high_share
    p_low = min(cfg.low_share, 1.0 - p_high)
    tier = rng.choice(3, n, p=[p_low, 1.0 - p_low - p_high, p_high])
    monthly = np.array([cfg.low_monthly_churn, cfg.medium_monthly_churn, cfg.high_monthly_churn])[tier]
    segment = persons["segment"].astype(str).map(SEGMENT_CHURN).fillna(1.0).to_numpy(float)
    daily = np.maximum(monthly * segment / 30.44, 1e-12)
    # hazard x (1 + churn_drift * progress) over the span, constant after it: invert its running integral
    days = scenario.days
    slope = cfg.churn_drift / max(days - 1, 1)
    grid = np.arange(days + 1, dtype=float)
    area = grid + slope * grid**2 / 2              # integral of the multiplier from the span's start, in days
    late = 1.0 + cfg.churn_drift
    t0 = np.maximum(engaged, start)
    from_start = (t0 - start) / DAY
    at_t0 = np.where(from_start <= days, np.interp(from_start, grid, area), area[-1] + (from_start - days) * late)
    target = at_t0 + rng.exponential(1.0, n) / daily
    churn_days = np.where(target <= area[-1], np.interp(target, area, grid), days + (target - area[-1]) / late)
    churn = start + (churn_days * DAY).astype(np.int64)
    at_risk = churn - (rng.uniform(cfg.min_at_risk_days, cfg.max_at_risk_days, n) * DAY).astype(np.int64)
    cooling = at_risk - (rng.uniform(cfg.min_cooling_days, cfg.max_cooling_days, n) * DAY).astype(np.int64)
    at_risk, cooling = np.maximum(at_risk, engaged), np.maximum(cooling, engaged)
    members = _members(graph, truth)
    ids = persons["id"].astype(str).to_numpy(object)
    churn = np.where(np.isin(ids, list(members)), _NEVER, churn)
    left = churn < end
    closes = left & (rng.random(n) < cfg.close_share)
    phase_end = end - 1
    phase = np.select([churn <= phase_end, at_risk <= phase_end, cooling <= phase_end, engaged <= phase_end],
                      ["churned", "at_risk", "cooling", "engaged"], "new")
    frame = pd.DataFrame({
        "person_id": ids,
        "risk_tier": np.asarray(RISK_TIERS, dtype=object)[tier],
        "new_from": _when(joined, _NEVER),
        "engaged_from": _when(engaged, _NEVER),
        "cooling_from": _when(cooling, end),
        "at_risk_from": _when(at_risk, end),
        "churned_at": _when(churn, end),
        "closes_accounts": closes,
        "phase_at_end": phase.astype(object),
    })
    assert set(frame["phase_at_end"]) <= set(PHASES)
    return conform(LIFECYCLE, frame)


def _when(seconds: np.ndarray, limit: int) -> pd.Series:
    """Times as datetimes, missing from ``limit`` on."""
    stamps = pd.Series(np.minimum(seconds, 2**40).astype("datetime64[s]"))
    return stamps.where(seconds < limit, pd.NaT)


def _members(graph: PropertyGraph, truth: Truth) -> set[str]:
    """Persons in a pattern instance, directly or through an account they hold."""
    labels = truth.node_labels
    persons = set(labels.loc[labels["label"] == "Person", "id"].astype(str))
    accounts = set(labels.loc[labels["label"] == "Account", "id"].astype(str))
    owns = graph.edges[("Person", "OWNS", "Account")]
    return persons | set(owns.loc[owns["dst"].astype(str).isin(accounts), "src"].astype(str))
