"""Feature matrices of node and edge tables, standardised from the training rows only.

A table's features are its quantities and its enumerated categories, as the
schema declares them: numeric and boolean columns in one float matrix
(standardised with the training rows' mean and standard deviation, a missing
value of a nullable column set to the training mean and flagged in a
``<name>_missing`` column),
and each enumerated string column as an integer index for an embedding (0 for
a missing value, ``i + 1`` for the ``i``-th declared value). Never an id, a
time (creation order), free text, or anything from the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Integer columns that name things rather than measure them.
IDENTIFIERS = frozenset({"asn"})


@dataclass(frozen=True)
class Features:
    """The features of one table's rows.

    Attributes
    ----------
    numeric : numpy.ndarray
        ``float32``, one row per table row, one column per name in :attr:`numeric_names`.
    numeric_names : list of str
    categorical : numpy.ndarray
        ``int32`` indices, one column per name in :attr:`categorical_names`.
    categorical_names : list of str
    vocabularies : dict
        The values of each categorical column, in index order from 1.
    statistics : dict
        ``{"mean": ..., "std": ...}`` of each numeric column, over the training rows.
    """

    numeric: np.ndarray
    numeric_names: list[str]
    categorical: np.ndarray
    categorical_names: list[str]
    vocabularies: dict[str, list[str]] = field(default_factory=dict)
    statistics: dict[str, dict[str, float]] = field(default_factory=dict)


def table_features(table_type, frame: pd.DataFrame, train: np.ndarray) -> Features:
    """The features of ``frame`` (a node or edge table of ``table_type``).

    Parameters
    ----------
    table_type : NodeType or EdgeType
        Declares the columns, their dtypes and enumerated values.
    frame : pandas.DataFrame
        The table.
    train : numpy.ndarray of bool
        The training rows: the only rows the statistics come from.

    Returns
    -------
    Features
    """
    train = np.asarray(train, dtype=bool)
    if len(train) != len(frame):
        raise ValueError(f"train mask has {len(train)} rows, the table {len(frame)}")
    columns, names, stats = [], [], {}
    categorical, cat_names, vocab = [], [], {}
    for prop in table_type.properties:
        if prop.name not in frame.columns:
            continue
        values = frame[prop.name]
        if prop.values:
            codes = pd.Categorical(values.astype(object), categories=list(prop.values)).codes.astype(np.int32) + 1
            categorical.append(codes)
            cat_names.append(prop.name)
            vocab[prop.name] = list(prop.values)
        elif prop.dtype in ("int", "float", "bool") and prop.name not in IDENTIFIERS:
            raw = pd.to_numeric(values.astype(object), errors="coerce").to_numpy(dtype=np.float64)
            missing = np.isnan(raw)
            seen = raw[train & ~missing]
            mean = float(seen.mean()) if len(seen) else 0.0
            std = float(seen.std()) if len(seen) > 1 else 0.0
            scaled = (np.where(missing, mean, raw) - mean) / (std if std > 0 else 1.0)
            columns.append(scaled)
            names.append(prop.name)
            stats[prop.name] = {"mean": mean, "std": std}
            if prop.nullable:
                columns.append(missing.astype(np.float64))
                names.append(f"{prop.name}_missing")
    n = len(frame)
    numeric = np.column_stack(columns).astype(np.float32) if columns else np.zeros((n, 0), np.float32)
    cats = np.column_stack(categorical).astype(np.int32) if categorical else np.zeros((n, 0), np.int32)
    return Features(numeric, names, cats, cat_names, vocab, stats)
