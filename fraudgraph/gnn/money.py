"""``gnn/money.parquet``: the account-to-account transfers as a temporal edge list, and their model features.

One row per transfer in initiation order: ``transaction_id``, ``src`` and ``dst``
(indices of ``nodes/Account.npz``), ``time`` (seconds since the epoch), ``amount``,
``currency``, ``type``, ``split`` (0, 1, 2: the period of ``time``), the
initiator's point-in-time features (:data:`POINT_IN_TIME`, from ``features/``:
activity before the transfer, never after; ``amount_to_avg_30d`` and
``balance_zscore_30d`` are NaN without history, ``pass_through_48h`` without money
received in the 48 hours before, ``bank_connections_24h``/``_7d`` when the identity stream was not
produced), ``y_fraud``, ``y_typology`` (0 none, ``k`` the
k-th of ``metadata.json``'s ``typologies``) and ``y_fraud_visible`` (fraud confirmed before the training cut-off).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: The point-in-time feature columns, as named in ``features/``.
POINT_IN_TIME = ("velocity_24h", "velocity_7d", "amount_to_avg_30d", "balance_zscore_30d",
                 "distinct_devices_7d", "distinct_ips_7d", "off_hours", "inflow_48h", "pass_through_48h",
                 "bank_connections_24h", "bank_connections_7d")
SCHEMA = pa.schema([("transaction_id", pa.large_string()), ("src", pa.int64()), ("dst", pa.int64()),
                    ("time", pa.int64()), ("amount", pa.float64()), ("currency", pa.large_string()),
                    ("type", pa.large_string()), ("split", pa.int8()),
                    ("velocity_24h", pa.int64()), ("velocity_7d", pa.int64()),
                    ("amount_to_avg_30d", pa.float64()), ("balance_zscore_30d", pa.float64()),
                    ("distinct_devices_7d", pa.int64()), ("distinct_ips_7d", pa.int64()),
                    ("off_hours", pa.int8()), ("inflow_48h", pa.float64()), ("pass_through_48h", pa.float64()),
                    ("bank_connections_24h", pa.float64()), ("bank_connections_7d", pa.float64()),
                    ("y_fraud", pa.int8()), ("y_typology", pa.int8()),
                    ("y_fraud_visible", pa.int8())])
#: The columns of a money edge's ``edge_attr`` (and a temporal event's ``msg``): log amount, then the
#: initiator's point-in-time features (counts and the inflow as ``log1p``, the ratios with NaN for "no history"
#: as 0 and a flag), standardised with the statistics of the training period's transfers.
MONEY_FEATURES = ("log_amount", "log_velocity_24h", "log_velocity_7d", "amount_to_avg_30d",
                  "amount_to_avg_30d_missing", "balance_zscore_30d", "balance_zscore_30d_missing",
                  "log_distinct_devices_7d", "log_distinct_ips_7d", "off_hours", "log_inflow_48h",
                  "pass_through_48h", "pass_through_48h_missing", "log_bank_connections_24h",
                  "log_bank_connections_7d")


def money_features(flows: dict[str, np.ndarray]) -> np.ndarray:
    """The :data:`MONEY_FEATURES` matrix (float32), standardised with the training period's transfers."""
    columns = [np.log1p(flows["amount"]), np.log1p(flows["velocity_24h"]), np.log1p(flows["velocity_7d"])]
    for name in ("amount_to_avg_30d", "balance_zscore_30d"):
        values = flows[name].astype(np.float64)
        missing = np.isnan(values)
        columns += [np.where(missing, 0.0, np.clip(values, -50, 50)), missing.astype(np.float64)]
    columns += [np.log1p(flows["distinct_devices_7d"]), np.log1p(flows["distinct_ips_7d"]),
                flows["off_hours"].astype(np.float64), np.log1p(np.nan_to_num(flows["inflow_48h"], nan=0.0))]
    passed = flows["pass_through_48h"].astype(np.float64)
    columns += [np.where(np.isnan(passed), 0.0, np.clip(passed, 0, 50)), np.isnan(passed).astype(np.float64)]
    columns += [np.log1p(np.nan_to_num(flows[name].astype(np.float64), nan=0.0))
                for name in ("bank_connections_24h", "bank_connections_7d")]
    matrix = np.column_stack(columns)
    train = matrix[flows["split"] == 0]
    mean = train.mean(axis=0) if len(train) else np.zeros(matrix.shape[1])
    std = train.std(axis=0) if len(train) else np.ones(matrix.shape[1])
    return ((matrix - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)


def read_money(folder: Path, limit: int) -> dict[str, np.ndarray]:
    """The columns of ``money.parquet`` that models read, for the transfers initiated before ``limit``."""
    columns = ["src", "dst", "time", "amount", "y_fraud", "y_typology", "y_fraud_visible", "split", *POINT_IN_TIME]
    table = pq.read_table(folder / "money.parquet", columns=columns)
    table = table.filter(pc.less(table.column("time"), limit))
    return {name: np.array(table.column(name).to_numpy(), copy=True) for name in table.column_names}  # writable
