"""Population tests describe the legitimate world, so they generate it without fraud patterns
(injected patterns have their own invariant tests in tests/patterns/)."""

import fraudgraph
from fraudgraph.config import resolve_scenario


def generate_legit(scenario="default", seed=0, **overrides):
    """``fraudgraph.generate`` with ``fraud.enabled`` off."""
    return fraudgraph.generate(resolve_scenario(scenario).override({"fraud.enabled": False}), seed=seed, **overrides)
