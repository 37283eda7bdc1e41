"""JSON text built column by column with Arrow string kernels, and ISO-8601 times as text.

A payload is assembled from rendered columns (:func:`json_object`), never by
serialising Python dicts row by row. The timeline's envelope writes payloads
with these pieces, and :mod:`fraudgraph.event_tables` writes them again from
typed tables, byte for byte.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.units import DAY

#: ``HH:MM:SS`` of every second of a day, and the 20-byte layout of one timestamp.
_CLOCK = np.array([f"{h:02d}:{m:02d}:{sec:02d}" for h in range(24) for m in range(60) for sec in range(60)], dtype="S8")
_ISO_ROW = np.dtype([("date", "S11"), ("clock", "S8"), ("zone", "S1")])


def iso_seconds(seconds: np.ndarray) -> pa.Array:
    """``2025-01-31T08:15:00Z`` for int64 epoch seconds.

    Built from two lookup tables (``YYYY-MM-DDT`` per day, ``HH:MM:SS`` per
    second of the day) into fixed 20-byte rows, without a string kernel.
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    n = seconds.size
    if n == 0:
        return pa.array([], pa.large_string())
    day, second = np.divmod(seconds, DAY)
    first = int(day.min())
    dates = np.datetime_as_string(np.arange(first, int(day.max()) + 1).astype("datetime64[D]"))
    if dates.dtype.itemsize != 40:  # years outside 0000-9999: fall back to the general formatter
        text = pc.cast(pa.array(seconds.astype("datetime64[s]")), pa.large_string())
        return pc.binary_join_element_wise(pc.replace_substring(text, " ", "T", max_replacements=1), _lit("Z"), _lit(""))
    rows = np.empty(n, dtype=_ISO_ROW)
    rows["date"] = np.char.add(dates, "T").astype("S11")[day - first]
    rows["clock"] = _CLOCK[second]
    rows["zone"] = b"Z"
    offsets = np.arange(0, 20 * (n + 1), 20, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(rows))


def iso_dates(seconds: np.ndarray) -> pa.Array:
    """``2025-01-31`` for int64 epoch seconds."""
    return pc.cast(pa.array(np.asarray(seconds, dtype="datetime64[s]").astype("datetime64[D]")), pa.large_string())


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _as_arrow(values) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    return pa.array(values)


# -- JSON values --------------------------------------------------------------
class Json:
    """A column already rendered as JSON text (one value per row).

    ``raw`` holds the values of a safe string column without nulls, unquoted:
    :func:`json_object` then puts the quotes into its literal pieces instead of
    quoting the column first (one string kernel instead of two).
    """

    __slots__ = ("_text", "raw")

    def __init__(self, text: pa.Array | None = None, raw: pa.Array | None = None):
        self._text = None if text is None else text.cast(pa.large_string())
        self.raw = raw

    @property
    def text(self) -> pa.Array:
        if self._text is None:
            self._text = pc.binary_join_element_wise(_lit('"'), self.raw, _lit('"'), _lit(""))
        return self._text

    def __len__(self) -> int:
        return len(self.raw) if self._text is None else len(self._text)


def text(values, *, safe: bool = False) -> Json:
    """JSON strings; ``safe`` skips escaping for values that cannot hold ``"``, ``\\`` or control characters."""
    arr = _as_arrow(values).cast(pa.large_string())
    if safe and arr.null_count == 0:
        return Json(raw=arr)
    if not safe:
        if pc.any(pc.match_substring_regex(arr, r"[\x00-\x1f]")).as_py():
            arr = pc.replace_substring_regex(arr, r"[\x00-\x1f]", " ")
        arr = pc.replace_substring(arr, "\\", "\\\\")
        arr = pc.replace_substring(arr, '"', '\\"')
    return Json(pc.binary_join_element_wise(_lit('"'), arr, _lit('"'), _lit("")).fill_null("null"))


def number(values) -> Json:
    """JSON numbers (ints, or floats as Arrow renders them); NaN and null become ``null``."""
    arr = _as_arrow(values)
    if pa.types.is_floating(arr.type):
        arr = pc.if_else(pc.is_finite(arr), arr, pa.scalar(None, arr.type))
    return Json(pc.cast(arr, pa.large_string()).fill_null("null"))


def money(amounts) -> Json:
    """Amounts as 2-decimal JSON strings, e.g. ``"1234.50"`` (the payload convention for money)."""
    return text(money_text(amounts), safe=True)


def money_text(amounts) -> pa.Array:
    """Amounts as 2-decimal strings (no quotes)."""
    return _decimal_text(np.rint(np.asarray(amounts, dtype=np.float64) * 100).astype(np.int64), 2)


def fixed(values, decimals: int) -> Json:
    """Floats as JSON numbers rounded to ``decimals`` places (no exponent for the magnitudes used here)."""
    return Json(_decimal_text(np.rint(np.asarray(values, dtype=np.float64) * 10**decimals).astype(np.int64), decimals))


def _decimal_text(scaled: np.ndarray, decimals: int) -> pa.Array:
    """``scaled / 10**decimals`` written with exactly ``decimals`` places, the fraction from a table of digits."""
    negative = scaled < 0
    scaled = np.abs(scaled)
    units = pc.cast(pa.array(scaled // 10**decimals), pa.large_string())
    fraction = _fractions(decimals).take(pa.array(scaled % 10**decimals))
    if not negative.any():
        return pc.binary_join_element_wise(units, _lit("."), fraction, _lit(""))
    sign = pc.if_else(pa.array(negative), _lit("-"), _lit(""))
    return pc.binary_join_element_wise(sign, units, _lit("."), fraction, _lit(""))


@functools.cache
def _fractions(decimals: int) -> pa.Array:
    return pa.array([f"{i:0{decimals}d}" for i in range(10**decimals)], pa.large_string())


def boolean(values) -> Json:
    """JSON ``true``/``false``."""
    arr = np.asarray(values, dtype=bool)
    return Json(pa.array(np.where(arr, "true", "false"), pa.large_string()))


def constant(value: str, n: int) -> Json:
    """The same JSON text (already encoded) on every row."""
    return Json(pa.repeat(_lit(value), n).cast(pa.large_string()))


def json_object(fields: list[tuple[str, Json | None]], n: int | None = None) -> pa.Array:
    """Assemble JSON objects row by row from rendered columns.

    Parameters
    ----------
    fields : list of (key, Json)
        Keys in output order; a ``None`` value drops the key.
    n : int, optional
        Row count, needed only when ``fields`` is empty.

    Returns
    -------
    pyarrow.Array
        ``large_string`` array, one compact JSON object per row.

    Examples
    --------
    >>> from fraudgraph.json_text import json_object, text, number
    >>> json_object([("a", text(["x"])), ("b", number([1]))]).to_pylist()
    ['{"a":"x","b":1}']
    """
    parts: list = []
    pending = ""  # literal text not yet placed between two columns
    first = True
    for key, value in fields:
        if value is None:
            continue
        pending += ("{" if first else ",") + '"' + key + '":'
        if value.raw is not None:
            parts += [_lit(pending + '"'), value.raw]
            pending = '"'
        else:
            parts += [_lit(pending), value.text]
            pending = ""
        first = False
    if first:
        return pa.repeat(_lit("{}"), n or 0).cast(pa.large_string())
    parts.append(_lit(pending + "}"))
    return pc.binary_join_element_wise(*parts, _lit(""))


def nested(fields: list[tuple[str, Json | None]], n: int | None = None) -> Json:
    """A JSON object as a value inside another object."""
    return Json(json_object(fields, n))
