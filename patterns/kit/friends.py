"""Friend ties between people who act together: colluders know each other, as do a kickback payer and those paid."""

from __future__ import annotations

from fraudgraph.patterns.kit.edges import Links
from fraudgraph.patterns.kit.keys import KNOWS


def befriend(links: Links, pairs, since: int) -> None:
    """Queue a ``friend`` KNOWS tie for each pair.

    Parameters
    ----------
    links : Links
        The call's edge batcher.
    pairs : iterable of (str, str)
        Person ids, in the order the ties are queued.
    since : int
        When they met (epoch seconds).
    """
    for a, b in pairs:
        links.queue(KNOWS, a, b, kind="friend", since=int(since))
