"""Event streams derived by walking the graph's edges over time.

:class:`Timeline` simulates the span day by day (see :mod:`fraudgraph.timeline.engine`);
each family of events (:data:`FAMILIES`) walks some edges or node lifetimes.
"""

from fraudgraph.timeline.engine import FAMILIES, Timeline, Window

__all__ = ["FAMILIES", "Timeline", "Window"]
