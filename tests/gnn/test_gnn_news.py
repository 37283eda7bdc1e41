"""Trades placed shortly before the company's news, counted once the news is out (fraudgraph.gnn.news)."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from fraudgraph.gnn.news import NewsTiming

DAY = 86_400
START = np.datetime64("2025-01-01T00:00:00", "s")


def _events(rows):
    """An event window from (day, event type, payload) rows."""
    return pa.table({
        "event_id": [f"e{i}" for i in range(len(rows))],
        "event_type": [kind for _, kind, _ in rows],
        "timestamp": [str(START + np.timedelta64(int(day * DAY), "s")) + "Z" for day, _, _ in rows],
        "payload": [json.dumps(payload) for _, _, payload in rows],
    })


def _trade(account, company, side, notional):
    return {"account_id": account, "person_id": "p_" + account, "company_id": company, "side": side,
            "notional": f"{notional:.2f}"}


def _news(company, impact):
    return {"company_id": company, "expected_price_impact": impact}


def test_only_trades_that_profit_from_material_news_within_days_count_once_it_is_out():
    limits = [START + np.timedelta64(d * DAY, "s") for d in (20, 40, 60)]
    timing = NewsTiming(limits)
    timing.add(_events([
        (2.0, "trade-executed", _trade("a", "X", "buy", 100)),    # 3 days before good news: counts
        (3.0, "trade-executed", _trade("b", "X", "sell", 50)),    # a sale before good news: no
        (4.0, "trade-executed", _trade("c", "Y", "buy", 70)),     # good news 12 days later: too early
        (5.0, "company-announcement", _news("X", 0.12)),
        (16.0, "company-announcement", _news("Y", 0.20)),
    ]))
    timing.add(_events([  # the next window: news after the first cut-off
        (30.0, "trade-executed", _trade("a", "Y", "buy", 30)),
        (31.0, "trade-executed", _trade("d", "Z", "sell", 40)),   # a sale before bad news: counts
        (32.0, "trade-executed", _trade("e", "Z", "buy", 10)),    # the next news is immaterial
        (33.0, "company-announcement", _news("Y", 0.03)),
        (35.0, "company-announcement", _news("Z", -0.09)),
        (36.0, "company-announcement", _news("Z", 0.02)),
        (37.5, "trade-executed", _trade("zz", "X", "buy", 5)),    # no later news at all
    ]))
    index = pd.Index(["a", "b", "c", "d", "e"])
    counts = timing.counts("Account", index)
    assert counts.shape == (3, 5, 2)
    assert counts[0, :, 0].tolist() == [1, 0, 0, 0, 0] and counts[0, 0, 1] == 100
    assert counts[1, :, 0].tolist() == [1, 0, 0, 1, 0] and counts[1, 3, 1] == 40
    assert (counts[2] == counts[1]).all()
    persons = timing.counts("Person", pd.Index(["p_d", "p_a"]))
    assert persons[2, :, 0].tolist() == [1, 1]


def test_nothing_to_count_without_trades_or_news():
    timing = NewsTiming([START + np.timedelta64(DAY, "s")] * 3)
    assert not timing.counts("Account", pd.Index(["a"])).any()
    timing.add(_events([(0.1, "trade-executed", _trade("a", "X", "buy", 1))]))
    assert not timing.counts("Account", pd.Index(["a"])).any()


def test_tippees_and_the_lucky_clients_beside_them_trade_before_the_news(tmp_path):
    import fraudgraph

    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 2000, "days": 60, "companies.listed_share": 0.2, "fraud.person_share": 0.0,
        "fraud.patterns": {"insider_trading": {"count": 4}}})
    ds = fraudgraph.generate(scenario, seed=5)
    ds.write(tmp_path / "ds", formats=["gnn"], streams=["transactions", "markets"])
    with np.load(tmp_path / "ds" / "gnn" / "activity" / "Account.npz", allow_pickle=False) as activity, \
            np.load(tmp_path / "ds" / "gnn" / "nodes" / "Account.npz", allow_pickle=False) as nodes:
        names = activity["names"].tolist()
        column = names.index("trades_before_news")
        raw = np.expm1(activity["test"][:, column] * (activity["std"][column] or 1.0) + activity["mean"][column])
        timed = pd.Series(np.round(raw), index=nodes["ids"])
    labels = ds.truth.node_labels
    fraud = labels.loc[labels["role"] == "tippee_account", "id"]
    lucky = labels.loc[labels["role"] == "trader_account", "id"]  # decoys: ordinary clients and steady investors
    assert len(fraud) >= 3 and (timed[fraud] >= 1).mean() >= 0.75
    assert (timed[lucky] >= 1).any()
    assert 0 < (timed >= 1).mean() < 0.05  # where to look, not everyone
