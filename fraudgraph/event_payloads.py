"""Reading event envelopes: the payload fields of one event type, and ISO-8601 times as datetimes."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson


def payload_fields(events: pa.Table, kind: str, fields: list[str]) -> pd.DataFrame:
    """The payload fields of every event of ``kind``, with its event id and timestamp."""
    rows = events.filter(pc.equal(events.column("event_type"), kind))
    if rows.num_rows == 0:
        return pd.DataFrame(columns=["event_id"] + fields)
    text = "\n".join(rows.column("payload").to_pylist()).encode()
    parsed = pajson.read_json(io.BytesIO(text))
    frame = pd.DataFrame({"event_id": rows.column("event_id").to_numpy(zero_copy_only=False)})
    for name in fields:
        top, _, inner = name.partition(".")
        if top not in parsed.column_names:
            frame[name] = None
            continue
        column = parsed.column(top)
        if inner:
            column = pc.struct_field(column, inner) if pa.types.is_struct(column.type) else pa.nulls(len(column))
        frame[name] = column.to_numpy(zero_copy_only=False)
    return frame


def iso_times(values) -> np.ndarray:
    """ISO-8601 UTC text (or missing) as datetime64[s]."""
    return pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%dT%H:%M:%SZ", utc=True).dt.tz_localize(
        None).to_numpy("datetime64[s]")
