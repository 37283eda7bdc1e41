"""Checks of a written dataset's event streams, reading one part file at a time.

A dataset's ``events/``, ``truth/events/`` and ``features/transactions/`` hold
part files ``part-NNNNN.<ext>`` in every written format. :func:`stream_problems`
reads each part in batches of about :data:`~fraudgraph.checks.readers.BATCH_ROWS`
rows (CSV and JSON Lines in blocks of :data:`~fraudgraph.checks.readers.BLOCK_BYTES`),
so memory is one batch of rows plus:

* **8 bytes per event** for the uniqueness and truth checks. An event id is a
  canonical UUID, i.e. 128 bits; its two 64-bit halves are folded into one
  ``uint64`` (a mixed high half XOR the low half). The keys of one format (the
  first of Parquet, CSV, JSON Lines present for each part) are gathered in one
  array and sorted in place. Equal neighbours are only *candidate* duplicates:
  the parts are read again for those keys and the id strings compared, so a
  hash collision is never reported as a duplicate. A truth row's event id is
  looked up by binary search among the sorted keys; a missing event goes
  unnoticed only if its key collides with another event's, which for ``n``
  events and ``m`` truth rows has probability below ``n * m / 2**64``.
* **8 bytes per transaction event** for the transaction ids of the
  ``transactions`` family payloads (kept sorted and unique), against which
  every feature row's ``transaction_id`` is looked up the same way.

The formats are compared part by part through a SHA-256 digest of the key
column (event ids, truth event ids, feature transaction ids); only when two
digests differ are the two key columns read again to name the first differing
row. Event order is checked on ``(timestamp, event_id)`` with the last row of
the previous part carried over, per format.

Every problem is one line that starts with the file it was found in (or a
``part-*`` pattern for checks over a whole stream). Row numbers count data rows
from 1 within the part file (a CSV header is not a row).

The modules, from the bottom up:

* :mod:`~fraudgraph.checks.problems`: the problem lines, one per (file, check);
* :mod:`~fraudgraph.checks.arrays`: Arrow columns and string buffers without copies;
* :mod:`~fraudgraph.checks.readers`: part files of each format in bounded batches;
* :mod:`~fraudgraph.checks.keys`: 64-bit UUID keys, sorted key sets, duplicates;
* :mod:`~fraudgraph.checks.events`: the checks of one batch of events, and their order;
* :mod:`~fraudgraph.checks.agreement`: digests that compare the formats of one part;
* :mod:`~fraudgraph.checks.streams`: :func:`stream_problems`, the whole check.
"""

from fraudgraph.checks.streams import stream_problems

__all__ = ["stream_problems"]
