import pytest
import yaml
from fraudgraph.patterns.base import available_patterns, get_injector

from fraudgraph import Scenario, preset_names
from fraudgraph.config import ParameterModel, range_pairs, resolve_scenario
from fraudgraph.errors import ConfigError, UnknownNameError
from fraudgraph.pipeline import prepare


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


def _parameter_models(model, path=""):
    """Every parameter model reachable from ``model``: (dotted path of its section, model class)."""
    yield path, model
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, ParameterModel):
            yield from _parameter_models(sub, f"{path}{name}.")


def _every_range_pair():
    pairs = []
    for section, model in _parameter_models(Scenario):
        pairs += [("scenario", section, low, high) for low, high in range_pairs(model)]
    for name in available_patterns():
        model = get_injector(name).config_model
        pairs += [(name, f"fraud.patterns.{name}.", low, high) for low, high in range_pairs(model)]
    return pairs


def test_every_min_max_pair_is_found():
    found = {(owner, low) for owner, _, low, _ in _every_range_pair()}
    # the pairs the issue named, and one of each naming style
    for owner, low in [("scenario", "min_members"), ("scenario", "contribution_min"), ("scenario", "credit_limit_min"),
                       ("kiting_cycle", "min_accounts"), ("device_sharing", "min_persons"),
                       ("fraud_ring", "min_identities"), ("ip_recycling", "min_ips"),
                       ("account_takeover", "min_links"), ("collusion", "min_colluders"),
                       ("trade_based_laundering", "over_ratio_min")]:
        assert (owner, low) in found
    assert len(found) >= 35


def _admissible(infos):
    """The narrowest [lowest, highest] interval that every field in ``infos`` admits (open ends nudged inside)."""
    lowest, highest = -1e6, 1e6
    for info in infos:
        for meta in info.metadata:
            if getattr(meta, "ge", None) is not None:
                lowest = max(lowest, meta.ge)
            if getattr(meta, "gt", None) is not None:
                lowest = max(lowest, meta.gt + (1 if info.annotation is int else 0.01))
            if getattr(meta, "le", None) is not None:
                highest = min(highest, meta.le)
            if getattr(meta, "lt", None) is not None:
                highest = min(highest, meta.lt - (1 if info.annotation is int else 0.01))
    return lowest, highest


@pytest.mark.parametrize("owner, section, low, high", _every_range_pair(),
                         ids=lambda v: v if isinstance(v, str) and v and not v.endswith(".") else None)
def test_every_inverted_range_is_rejected_in_one_form(owner, section, low, high):
    model = dict(_parameter_models(Scenario))[section] if owner == "scenario" else get_injector(owner).config_model
    fields = model.model_fields
    lowest, highest = _admissible([fields[low], fields[high]])
    is_int = fields[high].annotation is int
    high_value = int(lowest) if is_int else round(lowest, 2)
    low_value = high_value + 1 if is_int else round((lowest + highest) / 2, 2)
    assert lowest <= high_value < low_value <= highest
    with pytest.raises(ConfigError) as err:
        prepare(Scenario().override({f"{section}{low}": low_value, f"{section}{high}": high_value}))
    message = str(err.value)
    assert message == (f"The '{section}{low}' parameter of scenario must be <= '{section}{high}' ({high_value!r}). "
                       f"Got {low_value!r} instead."), message
    prepare(Scenario().override({f"{section}{low}": high_value, f"{section}{high}": high_value}))  # equal ends are a range


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
    with pytest.raises(UnknownNameError, match="default, demo, fraud_heavy, showcase, stress"):
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
