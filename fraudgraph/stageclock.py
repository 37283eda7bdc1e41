"""Wall and CPU seconds per stage of a run (``fraudgraph generate --timings FILE``, the benchmarks).

A stage is timed where it runs: ``with stage("events ledger"): ...``. Outside
:func:`recording` that is a no-op costing one global lookup, so the stages stay
in the code for good. CPU time is the calling thread's own (the writer threads
and the day planner run beside the main thread, so process CPU could not be
split between them); what no stage claims, the thread pools of Arrow and numpy
among it, is the report's ``other`` row.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time
from collections.abc import Iterator

_active: StageClock | None = None


class StageClock:
    """Accumulated wall and thread-CPU seconds and calls per stage name, in order of first use."""

    def __init__(self):
        self._lock = threading.Lock()
        self._totals: dict[str, list[float]] = {}
        self.counts: dict[str, int] = {}
        self._wall0 = time.perf_counter()
        self._cpu0 = time.process_time()
        self._elsewhere = {"cpu": 0.0, "peak": 0.0}

    def add(self, name: str, wall: float, cpu: float) -> None:
        rss = _resident_mib()
        with self._lock:
            totals = self._totals.setdefault(name, [0.0, 0.0, 0, 0.0])
            totals[0] += wall
            totals[1] += cpu
            totals[2] += 1
            totals[3] = max(totals[3], rss)

    def tally(self, name: str, n: int) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + int(n)

    def absorb(self, report: dict) -> None:
        """Add the :meth:`report` of work done in another process (a shard on a worker) to this clock.

        Its stages add to this clock's (wall seconds then sum over processes
        that ran side by side), its CPU to the total, and its peak is a
        candidate for the peak: the largest single process, not their sum.
        """
        with self._lock:
            for row in report["stages"]:
                if row["stage"] == "other":  # it reappears in this clock's other: total CPU less the stages
                    continue
                totals = self._totals.setdefault(row["stage"], [0.0, 0.0, 0, 0.0])
                totals[0] += row["wall_s"]
                totals[1] += row["cpu_s"]
                totals[2] += row["calls"]
                totals[3] = max(totals[3], row["rss_mib"])
            for name, n in report["counts"].items():
                self.counts[name] = self.counts.get(name, 0) + n
            self._elsewhere["cpu"] += report["cpu_s"]
            self._elsewhere["peak"] = max(self._elsewhere["peak"], report["peak_rss_mib"])

    def report(self) -> dict:
        """``{"stages": [{stage, wall_s, cpu_s, calls, rss_mib}], "counts", "wall_s", "cpu_s", "peak_rss_mib"}``.

        ``rss_mib`` is the largest resident memory seen as the stage ended; ``other`` holds the
        process CPU that no stage's thread accounted for.
        """
        wall = time.perf_counter() - self._wall0
        own = time.process_time() - self._cpu0
        with self._lock:
            stages = [{"stage": name, "wall_s": round(w, 4), "cpu_s": round(c, 4), "calls": int(n),
                       "rss_mib": round(rss, 1)} for name, (w, c, n, rss) in self._totals.items()]
            elsewhere = dict(self._elsewhere)
        cpu = own + elsewhere["cpu"]
        claimed = sum(s["cpu_s"] for s in stages)
        stages.append({"stage": "other", "wall_s": None, "cpu_s": round(max(cpu - claimed, 0.0), 4), "calls": None,
                       "rss_mib": None})
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, elsewhere["peak"])
        return {"stages": stages, "counts": dict(self.counts), "wall_s": round(wall, 4), "cpu_s": round(cpu, 4),
                "peak_rss_mib": round(peak, 1)}


@contextlib.contextmanager
def recording() -> Iterator[StageClock]:
    """Time every :func:`stage` entered, in any thread, until the block ends."""
    global _active
    clock, previous = StageClock(), _active
    _active = clock
    try:
        yield clock
    finally:
        _active = previous


def active() -> StageClock | None:
    """The clock recording now, if any."""
    return _active


def _resident_mib() -> float:
    """Resident memory of the process now (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE / 2**20
    except OSError:
        return 0.0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tally(name: str, n: int) -> None:
    """Add ``n`` to the work count ``name`` (money movements, say) when a clock is recording."""
    clock = _active
    if clock is not None:
        clock.tally(name, n)


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the block's wall and thread-CPU time under ``name`` when a clock is recording."""
    clock = _active
    if clock is None:
        yield
        return
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        clock.add(name, time.perf_counter() - wall, time.thread_time() - cpu)
