"""Where shards run: this process, a pool of local processes, or an existing Dask cluster.

An engine only decides where :func:`~fraudgraph.shards.task.run_shard` runs;
every shard writes the same files wherever it runs, so results are returned by
shard index, never in completion order.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from fraudgraph import stageclock
from fraudgraph.errors import ConfigError, FraudGraphError
from fraudgraph.shards.task import run_shard

ENGINES = ("local", "dask")
Progress = Callable[[str], None] | None
#: Seconds to wait for a Dask scheduler to answer before saying it is unreachable.
CONNECT_TIMEOUT = 10


def run_shards(scenario: dict[str, Any], count: int, root: str, *, engine: str = "local", workers: int = 1,
               scheduler: str | None = None, progress: Progress = None) -> list[dict[str, Any]]:
    """Run shards ``0 .. count-1`` of ``scenario``, writing under ``root``; their results in shard order.

    Parameters
    ----------
    engine : {"local", "dask"}
        ``local`` runs ``workers`` processes on this machine (``1``: in this
        process); ``dask`` submits one task per shard to the Dask distributed
        scheduler at ``scheduler``, whose workers must see ``root``.
    """
    check_engine(engine, workers, scheduler)
    clock = stageclock.active()
    if engine == "dask":
        return _absorbed(clock, _on_dask(scenario, count, root, scheduler, progress, clock is not None))
    if workers == 1 or count == 1:
        results = []
        for index in range(count):
            results.append(run_shard(scenario, index, root))
            _report(progress, index, count)
        return results
    return _absorbed(clock, _on_processes(scenario, count, root, workers, progress, clock is not None))


def _absorbed(clock, results: list[dict]) -> list[dict]:
    """Results without the shards' stage reports, which go to ``clock``."""
    for result in results:
        report = result.pop("timings", None)
        if report is not None and clock is not None:
            clock.absorb(report)
    return results


def check_engine(engine: str, workers: int, scheduler: str | None) -> None:
    """Refuse an engine, worker count or scheduler address that cannot run, in one line naming the option."""
    if engine not in ENGINES:
        raise ConfigError(f"--engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "dask" and not scheduler:
        raise ConfigError("--engine dask needs --scheduler tcp://HOST:PORT (the address of a running Dask scheduler)")
    if engine != "dask" and scheduler:
        raise ConfigError(f"--scheduler {scheduler!r} is only for --engine dask")
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers: expected a whole number >= 1, got {workers!r}")


def _on_processes(scenario, count, root, workers, progress, timings) -> list[dict]:
    # fresh interpreters, one shard each: a shard's memory goes back to the system when it ends
    context = multiprocessing.get_context("spawn")
    results: list[dict | None] = [None] * count
    pool = ProcessPoolExecutor(max_workers=min(workers, count), mp_context=context, max_tasks_per_child=1)
    try:
        futures = {pool.submit(run_shard, scenario, index, root, timings): index for index in range(count)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            _report(progress, futures[future], count)
    except BaseException:
        _stop(pool)  # before the caller removes the staging folder the workers write into
        raise
    pool.shutdown(wait=True)
    return results


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool now: drop the queued shards and terminate the running ones."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()


def _on_dask(scenario, count, root, scheduler, progress, timings) -> list[dict]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ConfigError("--engine dask needs the dask extra: pip install 'fraudgraph[dask]'") from None
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"--scheduler: cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    token = uuid.uuid4().hex[:8]  # task keys only; nothing written depends on it
    results: list[dict | None] = [None] * count
    try:
        futures = {client.submit(run_shard, scenario, index, root, timings, key=f"fraudgraph-shard-{index}-{token}",
                                 pure=False, retries=1): index for index in range(count)}
        for future in dask_completed(list(futures), loop=client.loop):
            index = futures[future]
            try:
                results[index] = future.result()
            except FraudGraphError:
                raise
            except Exception as exc:
                raise ShardError(f"shard {index} failed on the Dask cluster at {scheduler}: "
                                 f"{type(exc).__name__}: {exc}") from exc
            _report(progress, index, count)
    finally:
        client.close()
    return results


class ShardError(FraudGraphError):
    """A shard failed where it ran."""


def _report(progress: Progress, index: int, count: int) -> None:
    if progress is not None:
        progress(f"shard {index + 1}/{count}")
