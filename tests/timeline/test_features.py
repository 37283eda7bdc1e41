import json

import numpy as np
import pandas as pd
import pytest


def _seconds(text):
    return np.asarray(text, dtype="datetime64[s]").astype("int64")


def _frame(features):
    f = features.to_pandas()
    f["t"] = _seconds(f["timestamp"].str.rstrip("Z").to_numpy(str))
    f["actor"] = f["user_id"].fillna("A:" + f["account_id"].fillna(""))
    return f


def test_velocity_24h_counts_only_the_past_day(tx_windows):
    f = _frame(tx_windows[2])
    rng = np.random.default_rng(0)
    for i in rng.choice(len(f), 300, replace=False):
        row = f.iloc[i]
        same = f[f["actor"] == row["actor"]]
        strict = ((same["t"] >= row["t"] - 86_400) & (same["t"] < row["t"])).sum()
        ties = (same["t"] == row["t"]).sum() - 1
        assert strict <= row["velocity_24h"] <= strict + ties


def test_features_are_point_in_time(tx_windows):
    """A transaction's features never count later transactions of its actor."""
    f = _frame(tx_windows[2])
    rng = np.random.default_rng(1)
    for i in rng.choice(len(f), 300, replace=False):
        row = f.iloc[i]
        same = f[f["actor"] == row["actor"]]
        day_start = row["t"] - row["t"] % 86_400
        window = same[(same["t"] >= day_start - 7 * 86_400) & (same["t"] <= row["t"])]
        assert row["velocity_7d"] <= len(window) - 1
        assert row["distinct_devices_7d"] <= max(len(window) - 1, 0) + 0
        assert row["off_hours"] == (row["t"] % 86_400 < 6 * 3600)


def test_feature_columns_and_ranges(tx_windows):
    f = _frame(tx_windows[2])
    assert f["transaction_id"].is_unique
    assert (f["velocity_24h"] >= 0).all() and (f["velocity_7d"] >= f["velocity_24h"] * 0).all()
    ratio = f["amount_to_avg_30d"].dropna()
    assert (ratio > 0).all() and len(ratio) > 0.5 * len(f)
    assert f["balance_zscore_30d"].notna().sum() > 0.3 * len(f)
    assert f["timestamp"].is_monotonic_increasing


def test_inflow_48h_sums_the_completed_credits_of_the_paying_account(tx_windows):
    events = tx_windows[0].to_pandas()
    started = events[events["event_type"] == "transaction-initiated"]["payload"].map(json.loads)
    done = set(events[events["event_type"] == "transaction-completed"]["payload"].map(
        lambda p: json.loads(p)["transaction_id"]))
    tx = pd.DataFrame({"id": [p["transaction_id"] for p in started],
                       "dst": [p["destination"]["identifier"] if p["destination"]["type"] == "account"
                               else p["counterparty_account_id"] if p["destination"]["type"] == "merchant" else None
                               for p in started],  # a merchant is paid into its account
                       "amount": [float(p["amount"]) for p in started],
                       "t": [int(_seconds(p["initiated_at"].rstrip("Z"))) for p in started]})
    credits = tx[tx["id"].isin(done) & tx["dst"].notna()]
    by_account = {k: g for k, g in credits.groupby("dst")}
    f = _frame(tx_windows[2])
    paying = f[f["inflow_48h"].notna()]
    assert len(paying) > 0.5 * len(f) and (paying["inflow_48h"] > 0).mean() > 0.3
    rng = np.random.default_rng(2)
    for i in rng.choice(len(paying), 400, replace=False):
        row = paying.iloc[i]
        mine = by_account.get(row["account_id"], credits.iloc[:0])
        expected = mine.loc[(mine["t"] >= row["t"] - 2 * 86_400) & (mine["t"] < row["t"]), "amount"].sum()
        assert row["inflow_48h"] == pytest.approx(expected, abs=0.011)
        if expected > 0:
            assert row["pass_through_48h"] == pytest.approx(row["amount"] / row["inflow_48h"])
        else:
            assert np.isnan(row["pass_through_48h"])
