import numpy as np
import pandas as pd


def _frame(features):
    f = features.to_pandas()
    f["t"] = pd.to_datetime(f["timestamp"]).to_numpy().astype("datetime64[s]").astype("int64")
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
