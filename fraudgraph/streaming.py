"""``fraudgraph stream``: events as JSON lines on stdout at a steady rate.

For load tests and demos. The events are the same the dataset would write
(same scenario and seed give the same sequence); only their pacing is wall-clock.
Stops cleanly on SIGINT, SIGTERM or a closed pipe.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator

import pyarrow as pa

from fraudgraph.errors import ConfigError
from fraudgraph.exporters.jsonl import stream_lines, write_lines

_TICK = 0.05


def event_batches(dataset, streams: list[str] | None = None) -> Iterator[pa.Array]:
    """JSON lines of the dataset's events, one Arrow array per simulated day."""
    for window in dataset.timeline(streams=streams).windows(window_days=1):
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

    Returns
    -------
    int
        Events written.
    """
    if not rate > 0:
        raise ConfigError(f"The 'rate' option must be > 0 events per second. Got {rate!r} instead.")
    if duration is not None and not duration > 0:
        raise ConfigError(f"The 'duration' option must be > 0 seconds. Got {duration!r} instead.")
    out = out if out is not None else sys.stdout.buffer
    stop = {"flag": False}

    def _stop(signum, frame):
        stop["flag"] = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    written = 0
    started = time.monotonic()
    try:
        for lines in event_batches(dataset, streams):
            pos = 0
            while pos < len(lines):
                if stop["flag"]:
                    return written
                elapsed = time.monotonic() - started
                if duration is not None and elapsed >= duration:
                    return written
                due = int(rate * min(elapsed + _TICK, duration if duration is not None else elapsed + _TICK)) - written
                if due <= 0:
                    time.sleep(_TICK)
                    continue
                chunk = lines.slice(pos, due)
                write_lines(chunk, out)
                out.flush()
                pos += len(chunk)
                written += len(chunk)
        return written
    except BrokenPipeError:
        # the reader went away: silence the interpreter's final flush of stdout
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return written
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
