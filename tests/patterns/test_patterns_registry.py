import pytest
from fraudgraph.patterns.base import (
    available_patterns,
    get_injector,
    register_injector,
    registry,
)

import fraudgraph
from fraudgraph.errors import ConfigError, UnknownNameError
from fraudgraph.injection import plan_counts


def test_kiting_registered_and_instantiable():
    assert "kiting_cycle" in available_patterns()
    assert get_injector("kiting_cycle").name == "kiting_cycle"


def test_unknown_pattern_in_config_lists_valid_names():
    with pytest.raises(UnknownNameError, match="unknown pattern 'ponzi'; expected one of: .*kiting_cycle"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"ponzi": {}}}})


def test_bad_pattern_setting_names_the_field():
    with pytest.raises(ConfigError, match="fraud.patterns.kiting_cycle.min_accounts"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"kiting_cycle": {"min_accounts": 1}}}})
    with pytest.raises(ConfigError, match="fraud.patterns.kiting_cycle"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"kiting_cycle": {"colour": "red"}}}})


def test_registry_read_only_and_no_silent_clobber():
    with pytest.raises(TypeError):
        registry["x"] = "y"
    with pytest.raises(ValueError, match="already registered"):
        register_injector("kiting_cycle", "somewhere.Else")


def test_budget_split_and_decoys():
    s = fraudgraph.Scenario.from_preset("fraud_heavy")
    plan = plan_counts(s)
    assert set(plan) == set(available_patterns())
    assert all(count >= 3 for count, _ in plan.values())
    assert all(decoys >= 1 for _, decoys in plan.values())
    assert plan_counts(s.override({"fraud.enabled": False})) == {}
    off = plan_counts(s.override({"fraud.patterns": {"kiting_cycle": {"enabled": False}}}))
    assert "kiting_cycle" not in off


def test_injection_drops_its_shared_lookups_when_done():
    from fraudgraph.patterns.kit import view

    ds = fraudgraph.generate("fraud_heavy", seed=2, persons=800, days=20)
    assert ds.graph not in view._CACHES  # the KNOWS neighbour index of the money ledger included
