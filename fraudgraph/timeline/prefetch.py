"""Run a producer ahead of its consumer in a background thread.

The timeline simulates days (Python-heavy) while the caller sorts, renders and
writes released events (mostly Arrow kernels, which release the GIL), so on two
cores the stages overlap. Items arrive in production order, so the output does
not depend on the overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterable[T], depth: int) -> Iterator[T]:
    """Yield ``items`` in order while a daemon thread produces up to ``depth`` of them ahead.

    Parameters
    ----------
    items : iterable
        Consumed only by the background thread.
    depth : int
        Most items alive that the consumer has not taken yet, the one being
        produced included (bounds the memory held ahead). With 1, the thread
        builds the next item while the consumer works on the current one.

    Yields
    ------
    The items of ``items``. An exception raised while producing is raised here,
    in the consumer; closing the generator stops the producer at its next item.
    """
    room = threading.Semaphore(max(1, depth))
    ready: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()

    def produce() -> None:
        source = iter(items)
        try:
            while True:
                while not room.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                try:
                    item = next(source)
                except StopIteration:
                    ready.put((_DONE, None))
                    return
                ready.put((item, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            ready.put((_DONE, exc))

    worker = threading.Thread(target=produce, name="fraudgraph-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = ready.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            room.release()
            yield item
    finally:
        stop.set()
        worker.join()
