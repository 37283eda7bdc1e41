import threading
import time

import pytest

from fraudgraph.timeline.prefetch import prefetch


def test_items_arrive_in_order():
    assert list(prefetch(iter(range(1000)), depth=3)) == list(range(1000))


def test_producer_error_is_raised_in_the_consumer_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("broken day")

    stream = prefetch(items(), depth=1)
    assert [next(stream), next(stream)] == [1, 2]
    with pytest.raises(ValueError, match="broken day"):
        next(stream)


def test_producer_runs_at_most_depth_ahead_and_stops_when_the_consumer_closes():
    produced = []

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    stream = prefetch(items(), depth=2)
    assert next(stream) == 0
    time.sleep(0.3)
    assert len(produced) <= 3  # one taken, at most two more made ahead
    stream.close()
    assert not any(t.name == "fraudgraph-prefetch" and t.is_alive() for t in threading.enumerate())
    assert len(produced) < 10
