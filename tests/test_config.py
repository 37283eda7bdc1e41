import pytest
import yaml

from fraudgraph import Scenario, preset_names
from fraudgraph.config import resolve_scenario
from fraudgraph.errors import ConfigError, UnknownNameError


def test_presets_shipped():
    assert {"default", "demo", "fraud_heavy", "stress"} <= set(preset_names())
    sizes = {name: Scenario.from_preset(name).persons.count for name in preset_names()}
    assert sizes["demo"] < sizes["default"] < sizes["stress"]


@pytest.mark.parametrize("name", ["default", "demo", "fraud_heavy", "stress"])
def test_dump_edit_and_reload_roundtrip(name, tmp_path):
    scenario = Scenario.from_preset(name)
    data = yaml.safe_load(scenario.to_yaml())
    data["persons"]["count"] = 1234
    data["circles"]["max_members"] = 9
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data))
    again = Scenario.from_yaml(path)
    assert again.persons.count == 1234
    assert again.circles.max_members == 9
    assert again.name == name
    assert Scenario.from_yaml(path).to_dict() == again.to_dict()


def test_partial_yaml_fills_defaults(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("persons:\n  count: 42\n")
    s = Scenario.from_yaml(path)
    assert s.persons.count == 42 and s.days == Scenario().days


@pytest.mark.parametrize(
    "change, field, value",
    [
        ({"persons.count": -5}, "persons.count", "-5"),
        ({"days": 0}, "days", "0"),
        ({"ips.vpn_share": 1.5}, "ips.vpn_share", "1.5"),
        ({"devices.emulator_share": -0.1}, "devices.emulator_share", "-0.1"),
        ({"accounts.institutions": 1}, "accounts.institutions", "1"),
        ({"events.identity.changes_per_person_monthly": -0.01}, "events.identity.changes_per_person_monthly", "-0.01"),
        ({"events.identity.changes_per_person_monthly": 2.0}, "events.identity.changes_per_person_monthly", "2.0"),
    ],
)
def test_out_of_range_names_field_value_and_range(change, field, value):
    with pytest.raises(ConfigError) as err:
        Scenario().override(change)
    message = str(err.value)
    assert f"'{field}'" in message and value in message and "range" in message
    assert "\n" not in message


def test_min_greater_than_max_rejected():
    with pytest.raises(ConfigError, match=r"circles.min_members \(13\) must be <= circles.max_members \(12\)"):
        Scenario().override({"circles.min_members": 13})
    with pytest.raises(ConfigError, match="contribution_min"):
        Scenario().override({"circles.contribution_min": 500, "circles.contribution_max": 100})
    with pytest.raises(ConfigError, match="credit_limit_min"):
        Scenario().override({"accounts.credit_limit_min": 9e4})


def test_unknown_keys_rejected_with_valid_names(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("persons:\n  cuont: 5\n")
    with pytest.raises(ConfigError) as err:
        Scenario.from_yaml(path)
    assert "persons.cuont" in str(err.value) and "count" in str(err.value)
    with pytest.raises(ConfigError, match="'colour'"):
        Scenario.from_dict({"colour": "red"})


def test_weights_validated():
    with pytest.raises(ConfigError, match="'XX'"):
        Scenario().override({"persons.countries": {"XX": 1.0}})
    with pytest.raises(ConfigError, match="weights must be >= 0"):
        Scenario().override({"devices.primary_type_weights": {"ios": -1.0, "android": 1.0}})
    with pytest.raises(ConfigError, match="rates are probabilities"):
        Scenario().override({"accounts.product_rates": {"checking": 2.0}})


def test_unknown_preset_lists_valid_names():
    with pytest.raises(UnknownNameError, match="default, demo, fraud_heavy, stress"):
        Scenario.from_preset("nope")


def test_bad_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        Scenario.from_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("persons: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        Scenario.from_yaml(bad)


def test_resolve_accepts_every_form(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(Scenario.from_preset("demo").to_yaml())
    assert resolve_scenario(None).name == "default"
    assert resolve_scenario("demo").name == "demo"
    assert resolve_scenario(path).name == "demo"
    assert resolve_scenario({"persons": {"count": 3}}).persons.count == 3


def test_formats_normalised():
    s = Scenario().override({"output.formats": "CSV, parquet,csv"})
    assert s.output.formats == ["csv", "parquet"]
