"""The identity family: account openings, device registrations, contact changes and bank links."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from fraudgraph import schema
from fraudgraph.seeding import SeedTree
from fraudgraph.timeline.context import TimelineContext
from fraudgraph.timeline.families import identity as idf
from fraudgraph.timeline.world import TimelineWorld
from fraudgraph.units import epoch_seconds
from fraudgraph.vocab.pii import UK_DRAMA_BLOCKS

SEED = 5


def _context(dataset, seed=SEED) -> TimelineContext:
    s = dataset.scenario
    world = TimelineWorld(dataset.graph, epoch_seconds(s.start_date), epoch_seconds(s.end_date))
    return TimelineContext(world, s, dataset.truth, SeedTree(seed))


def simulate(ctx, seed=SEED, days=None):
    """Plan every day; returns the family (for its state) and the events with parsed payloads."""
    family = idf.Identity(ctx)
    seeds = SeedTree(seed)
    tables = []
    for i in range(ctx.days if days is None else days):
        plan = family.plan(ctx.day(i), seeds.rng("timeline", family.name, i))
        assert len(plan.payments) == 0
        tables += plan.events
    ev = pa.concat_tables(tables).to_pandas()
    return family, ev


@pytest.fixture(scope="module")
def ctx(small_dataset):
    return _context(small_dataset)


@pytest.fixture(scope="module")
def run(ctx):
    family, ev = simulate(ctx)
    return family, ev


def _of(ev, event_type) -> pd.DataFrame:
    rows = ev[ev["event_type"] == event_type].reset_index(drop=True)
    return pd.concat([rows, pd.json_normalize([json.loads(p) for p in rows["payload"]])], axis=1)


def _seconds(col: pd.Series) -> np.ndarray:
    return col.to_numpy(dtype="datetime64[s]").astype(np.int64)


def _in_span(ctx, t) -> np.ndarray:
    t = np.asarray(t)
    return (t >= ctx.world.start) & (t < ctx.world.end)


def _scripted(ctx, kind) -> pd.DataFrame:
    rows = ctx.schedule[ctx.schedule["kind"] == kind]
    return rows[_in_span(ctx, rows["t"])]


def test_event_types_are_the_identity_family(run):
    _, ev = run
    assert set(ev["event_type"]) == set(idf.Identity.event_types)
    assert all(schema.EVENT_TYPES[t].family == "identity" for t in idf.Identity.event_types)
    assert ev["corr"].is_unique


def test_every_account_opened_in_the_span_opens_once_at_its_time(run, ctx, small_dataset):
    _, ev = run
    g = small_dataset.graph
    accounts = g.nodes["Account"].set_index("id")
    opened = _seconds(accounts["opened_at"])
    expected = accounts.index[_in_span(ctx, opened)]
    got = _of(ev, "account-opened")
    assert got["account_id"].is_unique and set(got["account_id"]) == set(expected)
    assert (got["time"].to_numpy() == _seconds(accounts.loc[got["account_id"], "opened_at"])).all()
    owns = pd.concat([g.edges[("Person", "OWNS", "Account")], g.edges[("Company", "OWNS", "Account")]])
    assert set(zip(got["owner_id"], got["account_id"])) <= set(zip(owns["src"], owns["dst"]))
    assert (got["account_type"].to_numpy() == accounts.loc[got["account_id"], "account_type"].to_numpy()).all()
    # the device it was opened from is one the holder already used
    ud = g.edges[("Person", "USES_DEVICE", "Device")].set_index(["src", "dst"])["first_seen"]
    with_device = got[got["device_id"].notna()]
    pairs = pd.MultiIndex.from_arrays([with_device["owner_id"], with_device["device_id"]])
    assert pairs.isin(ud.index).all()
    assert (with_device["time"].to_numpy() >= _seconds(ud.loc[pairs])).all()
    persons = g.nodes["Person"].set_index("id")
    by_person = got[got["owner_type"] == "person"]
    assert (by_person["time"].to_numpy() >= _seconds(persons.loc[by_person["owner_id"], "created_at"])).all()


def test_scripted_account_openings_carry_their_pattern(run, ctx):
    _, ev = run
    rows = _scripted(ctx, "account_open")
    assert len(rows) > 5
    got = _of(ev, "account-opened").set_index("account_id")
    assert (got.loc[rows["dst"], "pattern_id"].to_numpy() == rows["pattern_id"].to_numpy()).all()
    assert (got.loc[rows["dst"], "time"].to_numpy() == rows["t"].to_numpy()).all()


def test_devices_register_when_first_used(run, ctx, small_dataset):
    _, ev = run
    ud = small_dataset.graph.edges[("Person", "USES_DEVICE", "Device")]
    first = _seconds(ud["first_seen"])
    expected = ud[_in_span(ctx, first)]
    got = _of(ev, "device-registered")
    assert len(got) == len(expected)
    key = pd.MultiIndex.from_arrays([got["user_id"], got["device_id"]])
    want = pd.Series(_seconds(expected["first_seen"]), index=pd.MultiIndex.from_arrays([expected["src"], expected["dst"]]))
    assert key.is_unique and (got["time"].to_numpy() == want.loc[key].to_numpy()).all()
    devices = small_dataset.graph.nodes["Device"].set_index("id").loc[got["device_id"]]
    assert (got["user_agent"].to_numpy() == devices["user_agent"].to_numpy()).all()
    assert (got["fingerprint"].to_numpy() == devices["fingerprint"].to_numpy()).all()
    # devices added by a pattern carry its id; the attacker's device of every takeover among them
    labels = small_dataset.truth.edge_labels
    labels = labels[labels["edge_type"] == "Person_USES_DEVICE_Device"].set_index(["src", "dst"])["pattern_id"]
    labelled = key.isin(labels.index)
    assert labelled.any()
    assert (got.loc[labelled, "pattern_id"].to_numpy() == labels.loc[key[labelled]].to_numpy()).all()
    assert got.loc[~labelled, "pattern_id"].isna().all()


def test_identity_changes_follow_the_script_and_a_low_everyday_rate(run, ctx):
    _, ev = run
    got = _of(ev, "identity-changed")
    rows = _scripted(ctx, "identity_change")
    assert len(rows) >= 3
    scripted = got[got["pattern_id"].notna()]
    want = set(zip(rows["pattern_id"], rows["t"], rows["src"], rows["dst"], rows["detail"]))
    assert want == set(zip(scripted["pattern_id"], scripted["time"], scripted["user_id"], scripted["device_id"],
                           scripted["field"]))
    everyday = got[got["pattern_id"].isna()]
    expected = ctx.world.n["Person"] * ctx.config.identity.changes_per_person_monthly * ctx.days / 30
    assert abs(len(everyday) - expected) < 4 * np.sqrt(expected) + 1
    assert set(got["field"]) <= {"email", "phone"}


@pytest.mark.parametrize("monthly", [0.0, 0.2])
def test_everyday_change_rate_comes_from_the_scenario(small_dataset, monthly):
    s = small_dataset.scenario.override({"events.identity.changes_per_person_monthly": monthly})
    world = TimelineWorld(small_dataset.graph, epoch_seconds(s.start_date), epoch_seconds(s.end_date))
    ctx = TimelineContext(world, s, small_dataset.truth, SeedTree(SEED))
    days = 10
    _, ev = simulate(ctx, days=days)
    everyday = _of(ev, "identity-changed")
    everyday = everyday[everyday["pattern_id"].isna()]
    alive = (world.person_created < world.start + days * 86_400).sum()
    expected = alive * monthly * days / 30
    assert abs(len(everyday) - expected) < 4 * np.sqrt(expected) + 1
    if monthly > 0:
        assert len(everyday) > 100  # 200 expected: 40 times the default rate


def test_contact_values_stay_synthetic_and_masked(run, small_dataset):
    family, ev = run
    got = _of(ev, "identity-changed")
    email = got["field"] == "email"
    assert got.loc[email, "old_value"].str.fullmatch(r"[a-z0-9]\*\*\*@example\.(com|net|org)").all()
    assert got.loc[email, "new_value"].str.fullmatch(r"[a-z0-9]\*\*\*@example\.(com|net|org)").all()
    assert got.loc[~email, "new_value"].str.fullmatch(r"\+(1|44)\*{6}\d{4}").all()
    # the family's state holds the full new values, on reserved ranges only, and changes chain
    persons = small_dataset.graph.nodes["Person"]
    changed = family._email != persons["email"].to_numpy(dtype=object)
    assert changed.sum() == got.loc[email, "user_id"].nunique()
    assert pd.Series(family._email[changed]).str.fullmatch(r"[a-z0-9._]+@example\.(com|net|org)").all()
    phones = pd.Series(family._phone[family._phone != persons["phone"].to_numpy(dtype=object)])
    nanp = phones.str.fullmatch(r"\+1[2-9]\d\d55501\d\d")
    uk = phones.str.startswith(tuple(UK_DRAMA_BLOCKS))
    assert (nanp | uk).all()


def test_bank_links_come_from_own_account_links_and_the_script(run, ctx, small_dataset):
    _, ev = run
    got = _of(ev, "bank-link-added")
    rows = _scripted(ctx, "bank_link")
    assert len(rows) >= 3
    scripted = got[got["pattern_id"].isin(rows["pattern_id"])]
    assert set(zip(rows["pattern_id"], rows["t"], rows["src"], rows["dst"])) <= set(
        zip(scripted["pattern_id"], scripted["time"], scripted["account_id"], scripted["linked_account_id"]))
    g = small_dataset.graph
    links = g.edges[("Account", "TRANSFERS_TO", "Account")]
    pairs = set(zip(links["src"], links["dst"]))
    assert set(zip(got["account_id"], got["linked_account_id"])) <= pairs
    own = links[(links["kind"] == "own_accounts") & _in_span(ctx, _seconds(links["since"]))]
    # money pulled back over a scripted link (its reverse edge) is that link, not a new one
    back = set(zip(rows["dst"], rows["src"]))
    own = own[[pair not in back for pair in zip(own["src"], own["dst"])]]
    assert len(got) == len(own) + len(rows) - len(set(zip(own["src"], own["dst"])) & set(zip(rows["src"], rows["dst"])))
    accounts = g.nodes["Account"].set_index("id")
    assert (got["time"].to_numpy() >= _seconds(accounts.loc[got["account_id"], "opened_at"])).all()
    assert (got["time"].to_numpy() >= _seconds(accounts.loc[got["linked_account_id"], "opened_at"])).all()
    numbers = accounts.loc[got["linked_account_id"], "account_number"].astype(str).str[-4:]
    assert (got["linked_account_mask"].to_numpy() == ("****" + numbers).to_numpy()).all()


def test_same_seed_same_events(small_dataset):
    _, a = simulate(_context(small_dataset), days=15)
    _, b = simulate(_context(small_dataset), days=15)
    pd.testing.assert_frame_equal(a, b)


def test_through_the_engine(small_dataset):
    windows = list(small_dataset.timeline(streams=["identity"]).windows())
    ev = pa.concat_tables([w.events for w in windows]).to_pandas()
    assert set(ev["event_type"]) == set(idf.Identity.event_types)
    services = {t: schema.EVENT_TYPES[t].service for t in idf.Identity.event_types}
    assert (ev["source_service"] == ev["event_type"].map(services)).all()
    assert ev["timestamp"].is_monotonic_increasing
