"""Trades placed shortly before the company's price-moving news: what market surveillance counts.

A trade is well timed when the same company's next announcement came within
:data:`WINDOW_DAYS` after it, moved the price by :data:`MATERIAL` or more, and moved it the
way the trade profits from (a buy before good news, a sale before bad). Surveillance looks
back once the news is out, so a trade counts in a snapshot only if that announcement was
public before the snapshot's cut-off. Per account and per person: how many such trades
(``trades_before_news``) and their notional (``notional_before_news``). Ordinary clients
who happen to buy before good news count as well: the count says where to look, not who knew.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.event_payloads import iso_times, payload_fields

#: Days after a trade within which the announcement must come.
WINDOW_DAYS = 10
#: Smallest absolute expected price impact of a material announcement.
MATERIAL = 0.05
#: The columns, for Account and for Person.
NAMES = ("trades_before_news", "notional_before_news")
TRADE, NEWS = "trade-executed", "company-announcement"
#: The payload field naming the trading node of each type.
WHO = {"Account": "account_id", "Person": "person_id"}


class NewsTiming:
    """Collects trades and announcements window by window; counts the well-timed trades per snapshot.

    Parameters
    ----------
    limits : list of numpy.datetime64
        The snapshots' cut-offs (train, valid, end).
    """

    def __init__(self, limits):
        self.limits = [np.datetime64(limit, "s").astype(np.int64) for limit in limits]
        self.trades: list[pd.DataFrame] = []
        self.news: list[pd.DataFrame] = []

    def add(self, events: pa.Table) -> None:
        """Keep one window's trades and announcements."""
        for kind, fields, into in ((TRADE, ["account_id", "person_id", "company_id", "side", "notional"], self.trades),
                                   (NEWS, ["company_id", "expected_price_impact"], self.news)):
            rows = payload_fields(events, kind, fields)
            if not len(rows):
                continue
            stamps = events.filter(pc.equal(events.column("event_type"), kind)).column("timestamp")
            seconds = iso_times(stamps.to_numpy(zero_copy_only=False)).astype("datetime64[s]").astype(np.int64)
            into.append(rows.assign(t=seconds))

    def counts(self, label: str, index: pd.Index) -> np.ndarray:
        """``(3, len(index), 2)``: the well-timed trades of each node of ``label`` and their notional, per snapshot."""
        out = np.zeros((len(self.limits), len(index), len(NAMES)))
        timed = self._timed()
        if timed is None:
            return out
        node = index.get_indexer(timed[WHO[label]].to_numpy(object))
        known = node >= 0
        notional = pd.to_numeric(timed["notional"]).to_numpy(float)
        for s, limit in enumerate(self.limits):
            keep = known & (timed["t_news"].to_numpy() < limit)
            out[s, :, 0] = np.bincount(node[keep], minlength=len(index))
            out[s, :, 1] = np.bincount(node[keep], weights=notional[keep], minlength=len(index))
        return out

    def _timed(self) -> pd.DataFrame | None:
        """The well-timed trades with the time their announcement came out (``t_news``), or None."""
        if not self.trades or not self.news:
            return None
        trades = pd.concat(self.trades, ignore_index=True).sort_values("t", kind="stable")
        news = pd.concat(self.news, ignore_index=True).sort_values("t", kind="stable")
        news = news.assign(impact=pd.to_numeric(news["expected_price_impact"]), t_news=news["t"])
        nxt = pd.merge_asof(trades, news[["t", "company_id", "impact", "t_news"]], on="t", by="company_id",
                            direction="forward", allow_exact_matches=False)
        sign = np.where(nxt["side"].to_numpy(object) == "buy", 1.0, -1.0)
        impact = nxt["impact"].to_numpy(float)
        timed = ((nxt["t_news"] - nxt["t"]).to_numpy(float) <= WINDOW_DAYS * 86_400) \
            & (np.abs(impact) >= MATERIAL) & (sign * impact > 0)
        return nxt[timed]
