"""``fraudgraph stream``: events as JSON lines on stdout at a steady rate.

For load tests and demos. The events are the same the dataset would write
(same scenario and seed give the same sequence); only their pacing is wall-clock.
Stops cleanly on SIGINT, SIGTERM or a closed pipe.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import struct
import sys
import time
from collections import deque
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.errors import ConfigError
from fraudgraph.exporters.jsonl import stream_lines

_TICK = 0.05


def event_batches(dataset, streams: list[str] | None = None) -> Iterator[pa.Array]:
    """JSON lines of the dataset's events, one Arrow array per simulated day."""
    for window in dataset.events(streams, window_days=1):
        if window.events.num_rows:
            yield stream_lines(window.events)


def stream_events(dataset, rate: float, duration: float | None, streams: list[str] | None = None,
                  out=None) -> int:
    """Write events to ``out`` (stdout's buffer) at ``rate`` events per second.

    Parameters
    ----------
    rate : float
        Events per second (> 0).
    duration : float, optional
        Seconds to run; ``None`` runs until the span's events are exhausted or a signal arrives.
    out : binary file object, optional
        Where the lines go (default: standard output).

    Returns
    -------
    int
        Events delivered: written in full and, when the reader closed a pipe,
        taken out of the pipe by the reader before it closed (what it left
        unread in the pipe is not counted; see :class:`_Delivery`).
    """
    check_pacing(rate, duration, rate_required=True)
    out = out if out is not None else sys.stdout.buffer
    delivery = _Delivery(out)
    started = time.monotonic()
    with _until_signalled() as stop:
        try:
            for lines in event_batches(dataset, streams):
                pos = 0
                while pos < len(lines):
                    if stop["flag"]:
                        return delivery.lines
                    elapsed = time.monotonic() - started
                    if duration is not None and elapsed >= duration:
                        return delivery.lines
                    horizon = elapsed + _TICK if duration is None else min(elapsed + _TICK, duration)
                    due = int(rate * horizon) - delivery.lines
                    if due <= 0:
                        time.sleep(_TICK)
                        continue
                    chunk = lines.slice(pos, due)
                    delivery.write(chunk)
                    pos += len(chunk)
            return delivery.lines
        except BrokenPipeError:
            # the reader went away: count what it took, and silence the interpreter's final flush of stdout
            delivered = delivery.taken_by_reader()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return delivered


class _Delivery:
    """Lines written to ``out`` and, for a pipe whose reader left, how many of them the reader took.

    Writes go straight to the file descriptor when there is one, so the bytes
    the kernel accepted are known exactly, even for a write cut short. When the
    reader closes the pipe, the bytes it never read are still counted by the
    kernel (``FIONREAD`` on the write end); the lines the reader took are those
    that end before them.
    """

    #: Bytes of recent line ends kept to place the reader's position (more than any pipe holds).
    KEEP_BYTES = 16 << 20

    def __init__(self, out):
        self.out = out
        try:
            out.flush()
            self.fd = out.fileno()
        except (AttributeError, OSError, ValueError):
            self.fd = None
        self.lines = 0          # lines accepted in full
        self.bytes = 0          # bytes accepted
        self._recent: deque[tuple[int, np.ndarray]] = deque()  # (first byte, line ends) of recent chunks

    def write(self, lines: pa.Array) -> None:
        """Write ``lines`` in full, or raise ``BrokenPipeError`` having counted what was accepted."""
        start, data = self.bytes, line_bytes(lines)
        if self.fd is None:
            self.out.write(data)
            self.out.flush()
            self._account(start, lines, len(data))
            return
        accepted = 0
        try:
            while accepted < len(data):
                accepted += os.write(self.fd, data[accepted:])
        finally:
            self._account(start, lines, accepted)

    def _account(self, start: int, lines: pa.Array, accepted: int) -> None:
        ends = line_ends(lines)
        self.bytes = start + int(accepted)
        self.lines += int(np.searchsorted(ends, accepted, side="right"))
        self._recent.append((start, ends))
        while len(self._recent) > 1 and self.bytes - self._recent[1][0] > self.KEEP_BYTES:
            self._recent.popleft()

    def taken_by_reader(self) -> int:
        """Complete lines the reader took out of the pipe before closing it."""
        unread = _unread_bytes(self.fd) if self.fd is not None else None
        if not unread:
            return self.lines
        taken = self.bytes - unread
        left = sum(int(np.count_nonzero((start + ends > taken) & (start + ends <= self.bytes)))
                   for start, ends in self._recent)
        return self.lines - left


def line_ends(lines: pa.Array) -> np.ndarray:
    """Byte offset just past each line, from the start of ``lines``."""
    lines = lines.cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset: lines.offset + len(lines) + 1]
    return offsets[1:] - offsets[0]


def line_bytes(lines: pa.Array) -> memoryview:
    """The bytes of ``lines`` back to back."""
    lines = lines.cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset: lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    if data is None or not len(lines):
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]): int(offsets[-1])]


def _unread_bytes(fd: int) -> int | None:
    """Bytes written to the pipe ``fd`` that no reader has taken (None where the system cannot tell)."""
    try:
        import fcntl
        import termios

        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except (ImportError, OSError):
        return None


def envelope_json(events: pa.Table) -> pa.Array:
    """Each event's envelope as one JSON object (payload embedded), without a line end."""
    return pc.utf8_slice_codeunits(stream_lines(events), 0, -1)


def send_to_kafka(batches, sink, rate: float | None = None, duration: float | None = None, progress=None) -> int:
    """Produce envelope tables to Kafka through ``sink``, paced at ``rate`` events per second (or as fast as
    the broker takes them), until the batches run out, ``duration`` seconds pass, or SIGINT/SIGTERM.

    Parameters
    ----------
    batches : iterable of pyarrow.Table
        Envelope rows in time order (the timeline's windows, or a written dataset's parts).
    sink : fraudgraph.exporters.kafka.KafkaSink
    rate : float, optional
        Events per second (> 0); held per 50 ms tick, so over a minute it is within a fraction of a percent.
    duration : float, optional
        Seconds to run.
    progress : callable, optional
        Called with a line (events sent, achieved rate) about every five seconds.

    Returns
    -------
    int
        Events the broker acknowledged (every queued one: the producer is flushed before returning).
    """
    check_pacing(rate, duration, rate_required=False)
    started = last_report = time.monotonic()
    with _until_signalled() as stop:
        for events in batches:
            messages = sink.messages(events, envelope_json(events))
            pos = 0
            while pos < len(messages) and not stop["flag"]:
                elapsed = time.monotonic() - started
                if duration is not None and elapsed >= duration:
                    stop["flag"] = True
                    break
                if rate is None:
                    due = min(len(messages) - pos, 65_536)
                else:
                    horizon = elapsed + _TICK if duration is None else min(elapsed + _TICK, duration)
                    due = int(rate * horizon) - sink.queued
                    if due <= 0:  # ahead of the rate: wait a tick (serving delivery reports), then send a tick's worth
                        time.sleep(_TICK)
                        sink.producer.poll(0)
                        continue
                take = min(due, len(messages) - pos)
                sink.produce(messages[pos: pos + take])
                pos += take
                now = time.monotonic()
                if progress is not None and now - last_report >= 5.0:
                    progress(f"kafka: {sink.queued:,} events sent, {sink.queued / (now - started):,.0f}/s")
                    last_report = now
            if stop["flag"]:
                break
        return sink.flush()


def check_pacing(rate: float | None, duration: float | None, rate_required: bool) -> None:
    """Refuse a rate or duration that is not positive (a missing rate too, when ``rate_required``)."""
    if (rate is None and rate_required) or (rate is not None and not rate > 0):
        raise ConfigError(f"The 'rate' option must be > 0 events per second. Got {rate!r} instead.")
    if duration is not None and not duration > 0:
        raise ConfigError(f"The 'duration' option must be > 0 seconds. Got {duration!r} instead.")


@contextlib.contextmanager
def _until_signalled():
    """A flag (``stop["flag"]``) that SIGINT or SIGTERM raises while the block runs; the handlers as they were after."""
    stop = {"flag": False}

    def _stop(signum, frame):
        stop["flag"] = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
