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
from fraudgraph.shards.employment import census_shard
from fraudgraph.shards.task import run_shard

ENGINES = ("local", "dask")
Progress = Callable[[str], None] | None
#: Seconds to wait for a Dask scheduler to answer before saying it is unreachable.
CONNECT_TIMEOUT = 10


def run_shards(scenario: dict[str, Any], count: int, root: str, *, engine: str = "local", workers: int = 1,
               scheduler: str | None = None, progress: Progress = None,
               jobs: list[dict] | None = None) -> list[dict[str, Any]]:
    """Run shards ``0 .. count-1`` of ``scenario``, writing under ``root``; their results in shard order.

    Parameters
    ----------
    engine : {"local", "dask"}
        ``local`` runs ``workers`` processes on this machine (``1``: in this
        process); ``dask`` submits one task per shard to the Dask distributed
        scheduler at ``scheduler``, whose workers must see ``root``.
    jobs : list of dict, optional
        Each shard's jobs at other shards' companies (:func:`~fraudgraph.shards.employment.plan_jobs`).
    """
    check_engine(engine, workers, scheduler)
    clock = stageclock.active()
    serial = engine == "local" and (workers == 1 or count == 1)
    timings = clock is not None and not serial  # in this process the shards' stages go straight to its clock
    args = [(scenario, index, root, timings, jobs[index] if jobs else None) for index in range(count)]
    return _absorbed(clock, map_shards(run_shard, args, engine=engine, workers=workers, scheduler=scheduler,
                                       progress=progress))


def census_shards(scenario: dict[str, Any], count: int, *, engine: str = "local", workers: int = 1,
                  scheduler: str | None = None) -> list[dict[str, list]]:
    """Every shard's employers (:func:`~fraudgraph.shards.employment.census_shard`), where the shards run."""
    check_engine(engine, workers, scheduler)
    clock = stageclock.active()
    timings = clock is not None and not (engine == "local" and (workers == 1 or count == 1))
    return _absorbed(clock, map_shards(census_shard, [(scenario, index, timings) for index in range(count)],
                                       engine=engine, workers=workers, scheduler=scheduler, label="census",
                                       fresh=False))


def map_shards(task: Callable, args: list[tuple], *, engine: str, workers: int, scheduler: str | None,
               progress: Progress = None, label: str = "shard", fresh: bool = True) -> list[Any]:
    """``task(*a)`` for every ``a`` of ``args`` (one per shard) on the engine; results in shard order.

    With ``fresh`` each local task gets a new process, so that its memory goes back to the system when it
    ends; without, the processes are reused and pay the imports once (for light tasks).
    """
    if engine == "dask":
        return _on_dask(task, args, scheduler, progress, label)
    if workers == 1 or len(args) == 1:
        results = []
        for index, a in enumerate(args):
            results.append(task(*a))
            _report(progress, index, len(args))
        return results
    return _on_processes(task, args, workers, progress, fresh)


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


def _on_processes(task, args, workers, progress, fresh) -> list:
    context = multiprocessing.get_context("spawn")
    count = len(args)
    results: list = [None] * count
    pool = ProcessPoolExecutor(max_workers=min(workers, count), mp_context=context,
                               max_tasks_per_child=1 if fresh else None)
    try:
        futures = {pool.submit(task, *a): index for index, a in enumerate(args)}
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


def _on_dask(task, args, scheduler, progress, label) -> list:
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
    count = len(args)
    results: list = [None] * count
    try:
        futures = {client.submit(task, *a, key=f"fraudgraph-{label}-{index}-{token}", pure=False, retries=1): index
                   for index, a in enumerate(args)}
        for future in dask_completed(list(futures), loop=client.loop):
            index = futures[future]
            try:
                results[index] = future.result()
            except FraudGraphError:
                raise
            except Exception as exc:
                raise ShardError(f"{label} {index} failed on the Dask cluster at {scheduler}: "
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
