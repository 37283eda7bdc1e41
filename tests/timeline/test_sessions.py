"""The sessions family: logins and app sessions walked along USES_DEVICE, USES_IP and SEEN_AT."""

from __future__ import annotations

import io
import json
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json
import pytest

from fraudgraph import schema
from fraudgraph.seeding import SeedTree
from fraudgraph.timeline.context import TimelineContext
from fraudgraph.timeline.families import sessions as ss
from fraudgraph.timeline.world import TimelineWorld
from fraudgraph.units import epoch_seconds

SEED = 5
DAYS = 24  # simulated days of the module's stream (of the dataset's 40)


def _context(dataset, seed=SEED) -> TimelineContext:
    s = dataset.scenario
    world = TimelineWorld(dataset.graph, epoch_seconds(s.start_date), epoch_seconds(s.end_date))
    return TimelineContext(world, s, dataset.truth, SeedTree(seed))


def simulate(ctx, seed=SEED, days=None) -> pd.DataFrame:
    """Plan every day (sessions need no ledger) and return the events with parsed payloads."""
    family = ss.Sessions(ctx)
    seeds = SeedTree(seed)
    tables = []
    for i in range(ctx.days if days is None else days):
        plan = family.plan(ctx.day(i), seeds.rng("timeline", family.name, i))
        assert len(plan.payments) == 0
        tables += plan.events
    return pa.concat_tables(tables).to_pandas()


@pytest.fixture(scope="module")
def ctx(small_dataset):
    return _context(small_dataset)


class Events(pd.DataFrame):
    """The family's events, with each type's payloads parsed once (Arrow's JSON reader)."""

    _metadata: ClassVar[list[str]] = ["parsed"]

    @property
    def _constructor(self):
        return pd.DataFrame


def _end(ctx) -> int:
    return ctx.world.start + DAYS * 86_400


@pytest.fixture(scope="module")
def events(ctx):
    ev = Events(simulate(ctx, days=DAYS))
    ev.parsed = {}
    return ev


def _of(events, event_type) -> pd.DataFrame:
    """Rows of one type with their payload fields as columns (nested ones as ``a.b``)."""
    if event_type not in events.parsed:
        rows = events[events["event_type"] == event_type].reset_index(drop=True)
        text = ("\n".join(rows["payload"])).encode()
        fields = pa_json.read_json(io.BytesIO(text)).flatten().flatten().to_pandas()
        events.parsed[event_type] = pd.concat([rows, fields], axis=1)
    return events.parsed[event_type]


def _seconds(col: pd.Series) -> np.ndarray:
    return col.to_numpy(dtype="datetime64[s]").astype(np.int64)


# -- structure ----------------------------------------------------------------------------
def test_event_types_are_the_sessions_family(events):
    assert set(events["event_type"]) == set(ss.Sessions.event_types)
    assert all(schema.EVENT_TYPES[t].family == "sessions" for t in ss.Sessions.event_types)


def test_a_session_holds_its_events_in_order(events):
    started, ended = _of(events, "session-started"), _of(events, "session-ended")
    success, actions = _of(events, "login-success"), _of(events, "user-action-performed")
    assert started["session_id"].is_unique and started["corr"].is_unique
    assert len(started) == len(ended) == len(success)
    s = started.set_index("corr")
    e = ended.set_index("corr").loc[s.index]
    ok = success.set_index("corr").loc[s.index]
    assert (e["session_id"].to_numpy() == s["session_id"].to_numpy()).all()
    assert (ok["session_id"].to_numpy() == s["session_id"].to_numpy()).all()
    assert (e["time"].to_numpy() - s["time"].to_numpy() == e["duration_seconds"].to_numpy()).all()
    assert (ok["time"].to_numpy() == s["time"].to_numpy()).all()
    count = np.bincount(actions["corr"].to_numpy(), minlength=int(s.index.max()) + 1)[s.index.to_numpy()]
    assert (count == e["action_count"].to_numpy()).all()
    corr = actions["corr"].to_numpy()
    assert (actions["session_id"].to_numpy() == s.loc[corr, "session_id"].to_numpy()).all()
    t = actions["time"].to_numpy()
    assert ((t > s.loc[corr, "time"].to_numpy()) & (t < e.loc[corr, "time"].to_numpy())).all()
    ordered = actions.sort_values(["corr", "sequence"])
    assert (ordered.groupby("corr")["time"].diff().dropna() >= 0).all()
    assert set(actions["action_type"]) == set(ss.ACTION_TYPES)


def test_failed_logins_count_up_before_a_success_or_a_lockout(events, ctx):
    attempts, failed = _of(events, "login-attempt"), _of(events, "login-failed")
    sessions = attempts.groupby("corr").size()
    failing = failed.groupby("corr")["consecutive_failures"].agg(["max", "size"])
    assert (failing["max"] == failing["size"]).all() and failing["max"].le(3).all()
    rate = len(failing) / len(sessions)
    assert abs(rate - ctx.config.sessions.login_failure_rate) < 0.015
    assert set(failed["reason"]) <= set(ss.FAILURE_REASONS) | {"account_locked"}
    assert (failed.loc[failed["reason"] == "account_locked", "consecutive_failures"] == 3).all()
    # every attempt's result follows one second later, with the same attempt id
    merged = failed.merge(attempts[["attempt_id", "time"]], on="attempt_id", suffixes=("", "_attempt"))
    assert len(merged) == len(failed) and (merged["time"] - merged["time_attempt"] == 1).all()
    # a session either starts (one success) or the person gave up after failing
    succeeded = set(_of(events, "login-success")["corr"])
    assert set(sessions.index) - succeeded <= set(failing.index)


# -- rates and shapes ---------------------------------------------------------------------
def test_session_rate_duration_and_actions_follow_the_config(events, ctx):
    w, cfg = ctx.world, ctx.config.sessions
    attempts = _of(events, "login-attempt")
    background = attempts[attempts["pattern_id"].isna()].groupby("corr").size()
    starts = ctx.world.start + 86_400 * np.arange(DAYS)
    person_days = ((w.person_created[None, :] < starts[:, None] + 86_400) * ctx.activity[None, :]).sum()
    assert abs(len(background) / person_days / cfg.per_day_mean - 1) < 0.08
    ended = _of(events, "session-ended")
    assert abs(np.median(ended["duration_seconds"]) / cfg.duration_seconds_median - 1) < 0.15
    assert abs(ended["action_count"].mean() / cfg.actions_mean - 1) < 0.08


def test_sessions_follow_the_daily_rhythm(events):
    hours = (events.loc[events["event_type"] == "session-started", "time"] % 86_400) // 3600
    share = hours.value_counts(normalize=True).sort_index()
    assert share.loc[1:4].mean() < 0.4 * share.loc[17:21].mean()


def test_people_differ(events):
    per_person = events[events["event_type"] == "session-started"].groupby("person").size()
    assert per_person.std() / per_person.mean() > 0.5


# -- the graph ---------------------------------------------------------------------------
def test_sessions_walk_existing_edges_after_they_exist(events, small_dataset):
    """Everyday sessions use a person's own edges once they exist (scripted ones keep the pattern's times)."""
    g = small_dataset.graph
    started = _of(events, "session-started")
    persons = g.nodes["Person"].set_index("id")
    assert (started["time"].to_numpy() >= _seconds(persons.loc[started["user_id"], "created_at"])).all()
    started = started[started["pattern_id"].isna()].reset_index(drop=True)
    ud = g.edges[("Person", "USES_DEVICE", "Device")].set_index(["src", "dst"])["first_seen"]
    ui = g.edges[("Person", "USES_IP", "IP")].set_index(["src", "dst"])["first_seen"]
    ips = g.nodes["IP"].set_index("id")
    dev_pairs = pd.MultiIndex.from_arrays([started["user_id"], started["device_id"]])
    ip_pairs = pd.MultiIndex.from_arrays([started["user_id"], started["ip_id"]])
    assert dev_pairs.isin(ud.index).all()
    assert ip_pairs.isin(ui.index).all()
    t = started["time"].to_numpy()
    assert (t >= _seconds(ud.loc[dev_pairs])).all()
    assert (t >= _seconds(ui.loc[ip_pairs])).all()
    assert (t >= _seconds(ips.loc[started["ip_id"], "first_seen"])).all()
    # geography and user agent come from the IP and Device nodes
    assert np.allclose(started["geo_location.latitude"], ips.loc[started["ip_id"], "lat"], atol=1e-4)
    assert (started["geo_location.city"].to_numpy() == ips.loc[started["ip_id"], "city"].to_numpy()).all()
    assert (started["ip_address"].to_numpy() == ips.loc[started["ip_id"], "address"].to_numpy()).all()
    agents = g.nodes["Device"].set_index("id").loc[started["device_id"]]
    assert (started["user_agent"].to_numpy() == agents["user_agent"].to_numpy()).all()
    assert (started["device_type"].to_numpy() == agents["device_type"].to_numpy()).all()


def test_primary_devices_and_home_addresses_are_favoured(events, small_dataset):
    g = small_dataset.graph
    started = _of(events, "session-started")
    started = started[started["pattern_id"].isna()]
    ud = g.edges[("Person", "USES_DEVICE", "Device")].set_index(["src", "dst"])
    ui = g.edges[("Person", "USES_IP", "IP")].set_index(["src", "dst"])
    multi = started["user_id"].map(ud.reset_index().groupby("src").size()) > 1
    primary = ud.loc[pd.MultiIndex.from_arrays([started["user_id"], started["device_id"]]), "is_primary"].to_numpy()
    assert primary[multi.to_numpy()].mean() > 0.6
    context = ui.loc[pd.MultiIndex.from_arrays([started["user_id"], started["ip_id"]]), "context"]
    assert context.isin(["home", "mobile"]).mean() > 0.6


def test_fraud_only_edges_stay_out_of_the_background(events, small_dataset):
    labels = small_dataset.truth.edge_labels
    fraud = labels[labels["is_fraud"] & ~labels["role"].isin(ss.EVERYDAY_ROLES)
                   & (labels["edge_type"] == "Person_USES_DEVICE_Device")]
    assert len(fraud)
    started = _of(events, "session-started")
    background = started[started["pattern_id"].isna()]
    used = set(zip(background["user_id"], background["device_id"]))
    assert not used & set(zip(fraud["src"], fraud["dst"]))


def test_every_scripted_login_is_a_session_at_its_time(events, ctx):
    rows = ctx.schedule[(ctx.schedule["kind"] == "login") & (ctx.schedule["t"] >= ctx.world.start)
                        & (ctx.schedule["t"] < _end(ctx))]
    assert len(rows) > 50
    attempts = _of(events, "login-attempt")
    scripted = attempts[attempts["pattern_id"].notna()]
    got = scripted.set_index(["pattern_id", "time"])
    want = pd.MultiIndex.from_arrays([rows["pattern_id"], rows["t"]])
    assert want.isin(got.index).all()
    on_device = rows["edge_type"] == "Person_USES_DEVICE_Device"
    device = np.where(on_device, rows["dst"], rows["src"])
    person = np.where(on_device, rows["src"], rows["detail"])
    seen = set(zip(scripted["pattern_id"], scripted["time"], scripted["device_id"], scripted["user_id"]))
    assert all(k in seen for k in zip(rows["pattern_id"], rows["t"], device, person))
    named_ip = np.where(on_device, rows["detail"].fillna(""), rows["dst"])
    with_ip = set(zip(scripted["pattern_id"], scripted["time"], scripted["ip_id"]))
    assert all(k in with_ip for k, ip in zip(zip(rows["pattern_id"], rows["t"], named_ip), named_ip) if ip)
    # scripted logins never start with failures and the whole session carries the pattern id
    failed = _of(events, "login-failed")
    assert failed["pattern_id"].isna().all()
    corr = set(scripted["corr"])
    assert events.loc[events["corr"].isin(corr), "pattern_id"].notna().all()


def test_takeover_logins_show_a_new_device_and_address(events, ctx):
    typology = ctx.pattern_typology
    success = _of(events, "login-success")
    takeover = success[success["pattern_id"].map(lambda p: str(typology.get(p, ""))).str.contains("takeover")]
    fraud = takeover[takeover["pattern_id"].map(ctx.pattern_is_fraud).astype(bool)]
    assert len(fraud) >= 2
    # the attacker's first login shows a new device and address; each later step is a session of its own
    first = fraud.sort_values("time", kind="stable").groupby("pattern_id").head(1)
    assert first["new_device"].all() and first["new_ip"].all()
    assert (fraud.groupby("pattern_id").size() >= 2).all()
    assert (first["auth_method"] != "biometric").all()


def test_first_use_of_a_device_is_a_session(events, ctx, small_dataset):
    """A device first used in the span opens a session then (or once the person has an address)."""
    ud = small_dataset.graph.edges[("Person", "USES_DEVICE", "Device")]
    first = pd.Series(_seconds(ud["first_seen"]), index=pd.MultiIndex.from_arrays([ud["src"], ud["dst"]]))
    first = first[(first >= ctx.world.start) & (first < _end(ctx) - 7 * 86_400)]
    attempts = _of(events, "login-attempt")
    scripted = attempts[attempts["pattern_id"].notna()].set_index(["user_id", "device_id"]).index
    first = first[~first.index.isin(scripted)]
    earliest = attempts.groupby(["user_id", "device_id"])["time"].min()
    found = earliest.reindex(first.index)
    assert found.notna().mean() > 0.95
    assert (found.dropna() >= first[found.notna()]).all()
    assert (found == first).mean() > 0.6


def test_quiet_customers_do_not_log_in(events, ctx):
    """Holders of only dormant or closed accounts have no everyday sessions (a first use of a device aside)."""
    family = ss.Sessions(ctx)
    quiet = np.flatnonzero(family._quiet_from < ctx.world.start)
    assert quiet.size
    started = _of(events, "login-attempt").drop_duplicates("corr")
    uses = family._first_uses
    first_use = set(zip(ctx.world.take("Person", uses["person"].to_numpy()).to_pylist(),
                        ctx.world.take("Device", uses["device"].to_numpy()).to_pylist(), uses["time"]))
    first = np.array([k in first_use for k in zip(started["user_id"], started["device_id"], started["time"])])
    started = started[started["pattern_id"].isna().to_numpy() & ~first]
    person = ctx.world.pos("Person", started["user_id"])
    assert not family._is_quiet(person, started["time"].to_numpy()).any()


# -- impossible travel -----------------------------------------------------------------------
def _far_apart(world, km=2000.0):
    lat, lon = world.ip_lat, world.ip_lon
    a = 0
    d = ss._haversine(np.full(lat.size, lat[a]), np.full(lat.size, lon[a]), lat, lon)
    return a, int(np.argmax(d)), float(d.max())


def test_impossible_travel_is_flagged_across_days(ctx):
    family = ss.Sessions(ctx)
    world = ctx.world
    a, b, km = _far_apart(world)
    assert km > 2000
    person = int(np.flatnonzero(world.person_created < world.start)[0])
    device = int(world.primary_device[person])
    rng = np.random.default_rng(0)
    t0 = world.start + 86_400 - 600                      # late on day 0 ...
    family._render(ss._plain(np.array([person]), np.array([device]), np.array([a]), np.array([t0]), True), rng)
    later = ss._plain(np.array([person, person]), np.array([device, device]), np.array([b, b]),
                      np.array([t0 + 3600, t0 + 40 * 3600]), True)
    tables = family._render(later, rng)                  # ... then an hour later on day 1, far away
    ok = pa.concat_tables(tables).to_pandas()
    success = [json.loads(p) for p in ok.loc[ok["event_type"] == "login-success", "payload"]]
    first, second = sorted(success, key=lambda p: p["travel"]["hours_since_previous"])
    assert first["impossible_travel"] is True
    assert first["travel"]["distance_km"] == pytest.approx(km, rel=1e-3)
    assert first["travel"]["speed_kmh"] >= ss.IMPOSSIBLE_SPEED_KMH
    assert second["impossible_travel"] is False and second["travel"]["distance_km"] == 0.0


def test_travel_flags_agree_with_the_previous_session(events):
    success = _of(events, "login-success").sort_values(["user_id", "time"])
    flagged = success[success["impossible_travel"]]
    assert (flagged["travel.speed_kmh"] >= ss.IMPOSSIBLE_SPEED_KMH).all()
    assert (flagged["travel.distance_km"] >= ss.IMPOSSIBLE_MIN_KM).all()
    attempts = _of(events, "login-attempt").sort_values(["user_id", "time"])
    first = success["corr"].isin(attempts.drop_duplicates("user_id")["corr"])
    assert success.loc[first, "travel.distance_km"].isna().all()       # nobody was seen before the span
    assert success.loc[~first, "travel.distance_km"].notna().all()


# -- determinism and the engine ---------------------------------------------------------------
def test_same_seed_same_events(small_dataset):
    a = simulate(_context(small_dataset), days=4)
    b = simulate(_context(small_dataset), days=4)
    pd.testing.assert_frame_equal(a, b)
    c = simulate(_context(small_dataset), seed=SEED + 1, days=4)
    assert not a["payload"].equals(c["payload"])


def test_through_the_engine(small_dataset):
    first_week = next(iter(small_dataset.timeline(streams=["sessions"]).windows()))
    ev = first_week.events.to_pandas()
    assert set(ev["event_type"]) == set(ss.Sessions.event_types)
    assert (ev["source_service"] == "user-service").all()
    assert ev["timestamp"].is_monotonic_increasing
    session = ev[ev["event_type"] != "login-failed"].groupby("correlation_id")["event_type"].agg(set)
    complete = session.map(lambda s: {"login-attempt", "login-success", "session-started", "session-ended"} <= s)
    assert complete.mean() > 0.95
