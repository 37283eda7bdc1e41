"""The event envelope and the vectorised pieces that build it.

Every event is ``event_id, event_type, event_version, timestamp (ISO-8601 UTC),
source_service, correlation_id, payload``. Event ids are seeded UUIDs (here);
payloads are JSON objects built column by column (:mod:`fraudgraph.json_text`,
whose pieces are re-exported here for the families).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fraudgraph.json_text import (  # noqa: F401 - the families' JSON pieces, as env.text and so on
    Json,
    boolean,
    constant,
    fixed,
    iso_dates,
    iso_seconds,
    json_object,
    money,
    money_text,
    nested,
    number,
    text,
)

EVENT_VERSION = "1.0"

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
#: Two lower-case hex digits per byte value, as the two bytes of one uint16.
_HEX_PAIRS = np.ascontiguousarray(np.stack([np.repeat(_HEX, 16), np.tile(_HEX, 16)], axis=1)).view(np.uint16).ravel()
_UUID_DASHES = [8, 13, 18, 23]
#: The 32 hex digits' positions in the text, and each digit's value by byte.
_UUID_HEX = np.array([i for i in range(36) if i not in _UUID_DASHES])
_NIBBLE = np.zeros(256, np.uint8)
_NIBBLE[_HEX] = np.arange(16, dtype=np.uint8)
#: For each of the 36 characters, the hex digit it shows (dash positions repeat a neighbour, then are overwritten).
_UUID_COLUMNS = np.array([i - sum(d < i for d in _UUID_DASHES) for i in range(36)]).clip(0, 31)


def uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random (version 4) UUID strings drawn from ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The seeded source; the same generator state gives the same ids.
    n : int
        How many.

    Returns
    -------
    pyarrow.Array
        ``large_string`` array of canonical 36-character UUIDs.
    """
    return uuid_text(*uuid_keys(rng, n))


def keyed_uuids(rng: np.random.Generator, n: int) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """:func:`uuids` with their two uint64 keys (see :func:`uuid_keys`)."""
    hi, lo = uuid_keys(rng, n)
    return uuid_text(hi, lo), hi, lo


def uuid_keys(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random version-4 UUIDs as two uint64 keys each (the 16 bytes read big-endian).

    Lower-case hex keeps byte order, so sorting by ``(hi, lo)`` is sorting by
    the ids' text: ids can travel (and be sorted) as keys and become text only
    when written (:func:`uuid_text`).
    """
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    keys = raw.view(">u8").astype(np.uint64)
    return keys[:, 0].copy(), keys[:, 1].copy()


def uuid_text(hi, lo) -> pa.Array:
    """Canonical 36-character UUID strings of uint64 key pairs (inverse of :func:`uuid_sort_keys`)."""
    hi = np.asarray(hi, dtype=np.uint64)
    lo = np.asarray(lo, dtype=np.uint64)
    n = hi.size
    raw = np.empty((n, 2), dtype=">u8")
    raw[:, 0], raw[:, 1] = hi, lo
    pairs = _HEX_PAIRS[raw.view(np.uint8).reshape(n, 16)].view(np.uint8).reshape(n, 32)
    hexed = pairs[:, _UUID_COLUMNS]
    hexed[:, _UUID_DASHES] = ord("-")
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(hexed)))


def uuid_sort_keys(ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The uint64 keys of canonical UUID strings (inverse of :func:`uuid_text`).

    Every value must be a 36-character lower-case UUID; their order by
    ``(hi, lo)`` is their string order.
    """
    n = len(ids)
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    ids = ids.cast(pa.large_string())
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64)[ids.offset: ids.offset + n + 1]
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)
    start = int(offsets[0])
    nibbles = _NIBBLE[data[start: start + 36 * n].reshape(n, 36)[:, _UUID_HEX]]
    packed = np.ascontiguousarray((nibbles[:, 0::2] << 4) | nibbles[:, 1::2])  # the UUID's 16 bytes
    keys = packed.view(">u8").astype(np.uint64)
    return keys[:, 0].copy(), keys[:, 1].copy()
