"""The toolkit an injector gets: graph access, recruiting, new entities and timing, bound to one graph, RNG and context."""

from __future__ import annotations

from fraudgraph.patterns.kit.entities import Entities
from fraudgraph.patterns.kit.recruiting import Recruiting
from fraudgraph.patterns.kit.timing import Timing


class Toolkit(Recruiting, Entities, Timing):
    """Recruitment and construction helpers bound to one graph, RNG and context.

    The parts live in their own modules: :class:`~fraudgraph.patterns.kit.view.GraphView`
    (lookups), :class:`~fraudgraph.patterns.kit.recruiting.Recruiting`,
    :class:`~fraudgraph.patterns.kit.entities.Entities` and
    :class:`~fraudgraph.patterns.kit.timing.Timing`.
    """
