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
        Most finished items waiting (bounds the memory held ahead).

    Yields
    ------
    The items of ``items``. An exception raised while producing is raised here,
    in the consumer; closing the generator stops the producer at its next item.
    """
    slots: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            offer((_DONE, exc))
            return
        offer((_DONE, None))

    worker = threading.Thread(target=produce, name="fraudgraph-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = slots.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        worker.join()
