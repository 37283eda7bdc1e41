"""Logins and app sessions, walked along USES_DEVICE, USES_IP and SEEN_AT.

Every person opens sessions at their own rate (``sessions.per_day_mean`` times
the person's activity) on a daytime-and-evening hour profile shifted by their
chronotype. A session happens on one of the person's devices (the primary one
favoured) through one of their addresses (home and mobile favoured, and above
all the addresses the device has been seen at), and only on devices and
addresses whose edge exists by then. A login may start with one to three
failed attempts; a session then holds a few actions and ends.

Four sources of sessions, all rendered the same way:

- the background walk described above, which ignores edges that only fraud
  uses (a ring's shared device, an attacker's login): those appear through
  their scripted rows alone; holders of only dormant or closed accounts stay
  quiet until a legitimate scripted login brings them back (for good, or for a
  one-off visit that ends at the instance's ``dormant_again_at``);
- the first use of a device (a ``USES_DEVICE`` edge first seen inside the span);
- the patterns' scripted ``login`` rows, on ``Person_USES_DEVICE_Device``
  (the ``detail`` holds the address, when there is one) or on
  ``Device_SEEN_AT_IP`` (the ``detail`` holds the person), at exactly the
  scripted time and with the pattern id;
- sometimes, a session on the person's own device shortly before a scripted
  login from a new device (a customer setting up a new phone, or a victim
  being phished).

Persons travel (:mod:`fraudgraph.timeline.trips`): nobody opens a session on
the way, and during the stay at a trip's destination the person's sessions come
from the trip's hotel Wi-Fi or mobile address there (``travel`` addresses are
used at no other time). The family remembers where and when each person was
last seen, so a login far from the previous one, sooner than a plane could fly
it, carries an ``impossible_travel`` flag: an account takeover through an
address in another city, right after the customer's own session, shows it; a
trip never does, because the journey takes the time the flight would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema
from fraudgraph.timeline import clock
from fraudgraph.timeline import envelope as env
from fraudgraph.timeline.family import Day, DayPlan, Family
from fraudgraph.timeline.frames import events as make_events
from fraudgraph.units import DAY, HOUR, to_seconds

#: Edge types whose scripted rows this family reads.
USES_DEVICE_STEM = schema.stem("Person", "USES_DEVICE", "Device")
USES_IP_STEM = schema.stem("Person", "USES_IP", "IP")

#: Actions inside a session and their everyday weights.
ACTION_TYPES = np.array(["page_view", "button_click", "form_submit", "circle_browse", "circle_join_request",
                         "contribution_initiate", "remittance_initiate", "settings_change", "support_contact"],
                        dtype=object)
ACTION_WEIGHTS = np.array([0.36, 0.22, 0.08, 0.11, 0.02, 0.08, 0.07, 0.04, 0.02])
#: A fraudster in someone else's account goes for the sensitive screens.
SUPPORT_ACTION = int(np.flatnonzero(ACTION_TYPES == "support_contact")[0])
#: Extra share of actions that contact support when at risk of leaving, and when cooling off.
SUPPORT_SHARE_BY_PHASE = (0.15, 0.06)
TAKEOVER_ACTION_WEIGHTS = np.array([0.20, 0.12, 0.20, 0.02, 0.01, 0.02, 0.23, 0.18, 0.02])

#: Why a login attempt fails (the third failure in a row can lock the account instead).
FAILURE_REASONS = np.array(["wrong_password", "expired_otp", "biometric_mismatch", "captcha_failed"], dtype=object)
FAILURE_WEIGHTS = np.array([0.68, 0.17, 0.10, 0.05])
#: Probability of 1, 2 or 3 failed attempts before a login that fails at first.
FAILURES_WEIGHTS = np.array([0.62, 0.26, 0.12])
#: Chance that a person gives up after their failures (no session), and that three failures lock the account.
GIVE_UP_RATE = 0.10
LOCKOUT_RATE = 0.5

#: Authentication methods by device family, and their weights.
AUTH_METHODS = np.array(["password", "biometric", "otp", "sso"], dtype=object)
MOBILE_AUTH = np.array([0.30, 0.55, 0.15, 0.0])
WEB_AUTH = np.array([0.60, 0.0, 0.25, 0.15])
#: A first login from a device cannot use biometrics yet.
NEW_DEVICE_AUTH = np.array([0.75, 0.0, 0.25, 0.0])
MOBILE_TYPES = ("ios", "android")

#: How strongly each kind of address is favoured (``USES_IP.context``).
CONTEXT_WEIGHTS = {"home": 6.0, "mobile": 3.0, "work": 2.5, "public": 1.0, "vpn": 0.6, "hosting": 0.1, "travel": 1.0}
#: A device prefers the addresses it has been seen at, and a desktop rarely uses a mobile network.
SEEN_BOOST = 25.0
DESKTOP_ON_MOBILE = 0.1
PRIMARY_WEIGHT = 4.0
#: Edges of fraud instances with these roles are the actor's everyday identity, used in the background walk.
EVERYDAY_ROLES = ("home", "personal_device")

#: Accounts in these states leave their holder quiet (no everyday sessions) until a legitimate scripted login.
QUIET_STATUSES = ("dormant", "closed")
#: A person who logs in from a new device often used one of their own shortly before (setting up a new
#: phone; or, in a takeover, the session in which they were phished): the chance, and how long before.
PRIOR_SESSION_RATE = 0.4
PRIOR_SESSION_SECONDS = (600, 3 * HOUR)

#: Session shape: log-normal duration (sigma) and a floor per action.
DURATION_SIGMA = 0.9
SECONDS_PER_ACTION_MIN = 3
#: Session end reasons.
END_REASONS = np.array(["logout", "timeout"], dtype=object)
END_WEIGHTS = np.array([0.55, 0.45])

#: Travel faster than an airliner over more than this distance is impossible.
IMPOSSIBLE_SPEED_KMH = 900.0
IMPOSSIBLE_MIN_KM = 500.0
EARTH_RADIUS_KM = 6371.0
#: A device or address first used less than this long ago is new.
NEW_WITHIN = DAY


@dataclass
class _Batch:
    """Sessions of one day before rendering (one row per session)."""

    person: np.ndarray
    device: np.ndarray
    ip: np.ndarray
    time: np.ndarray
    pattern: np.ndarray   # object: pattern id or None
    fraudster: np.ndarray  # bool: a fraud instance's scripted login (sensitive actions favoured)
    exact: np.ndarray      # bool: no failed attempts, the login exactly at ``time``

    @classmethod
    def empty(cls) -> _Batch:
        z = np.zeros(0, np.int64)
        return cls(z, z, z, z, np.zeros(0, object), np.zeros(0, bool), np.zeros(0, bool))

    @classmethod
    def concat(cls, parts: list[_Batch]) -> _Batch:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def take(self, mask) -> _Batch:
        return _Batch(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return self.person.size


@dataclass
class _Attempts:
    """Login attempts of a batch (one row per attempt) and per-session outcomes."""

    session: np.ndarray   # batch row of each attempt
    rank: np.ndarray      # 0, 1, ... within the session
    time: np.ndarray
    failed: np.ndarray
    reason: np.ndarray    # index into FAILURE_REASONS (its size: account_locked)
    last: np.ndarray      # per session: its last attempt
    fails: np.ndarray     # per session: failed attempts
    gave_up: np.ndarray   # per session: no login after the failures


class Sessions(Family):
    """Login and session events (``user-service``).

    Parameters
    ----------
    context : TimelineContext
        Shared inputs; the rates come from ``context.config.sessions``.
    """

    name = "sessions"
    event_types = ("login-attempt", "login-success", "login-failed", "session-started",
                   "user-action-performed", "session-ended")

    def __init__(self, context):
        super().__init__(context)
        w = context.world
        self.config = context.config.sessions
        self._n_dev = max(w.n["Device"], 1)
        self._n_ip = max(w.n["IP"], 1)
        self._is_mobile = np.isin(w.device_type, MOBILE_TYPES)
        self._is_desktop = w.device_type == "web_desktop"
        excluded_dev, excluded_ip = self._fraud_only_edges()

        ud = w.uses_device
        dev_keys = np.repeat(np.arange(w.n["Person"]), ud.degree()) * self._n_dev + ud.targets
        self._dev_weight_bg = np.where(w.uses_device_primary, PRIMARY_WEIGHT, 1.0) * ~np.isin(dev_keys, excluded_dev)
        self._dev_keys, self._dev_first = _first_seen_index(dev_keys, w.uses_device_since)

        ui = w.uses_ip
        ip_keys = np.repeat(np.arange(w.n["Person"]), ui.degree()) * self._n_ip + ui.targets
        context_weight = pd.Series(w.uses_ip_context).map(CONTEXT_WEIGHTS).fillna(1.0).to_numpy(dtype=np.float64)
        self._ip_weight_all = context_weight
        self._ip_weight_bg = context_weight * ~np.isin(ip_keys, excluded_ip)
        self._ip_is_mobile = w.uses_ip_context == "mobile"
        self._ip_is_travel = w.uses_ip_context == "travel"
        self._trips = context.trips
        self._ip_keys, self._ip_first = _first_seen_index(ip_keys, w.uses_ip_since)

        seen = w.graph.edges[("Device", "SEEN_AT", "IP")]
        seen_keys = w.pos("Device", seen["src"]) * self._n_ip + w.pos("IP", seen["dst"])
        self._seen_keys, self._seen_first = _first_seen_index(seen_keys, to_seconds(seen["first_seen"]))

        users = w.graph.edges[("Person", "USES_DEVICE", "Device")]
        self._device_users = _reverse(w.pos("Device", users["dst"]), w.pos("Person", users["src"]), w.n["Device"])
        self._logins = self._scripted_logins()
        self._first_uses = self._first_use_entries(excluded_dev)
        self._quiet_from, self._awake_from, self._quiet_again = self._quiet_windows()
        self._fragments = _Fragments(w)

        n = w.n["Person"]
        self._last_time = np.full(n, -1, dtype=np.int64)
        self._last_ip = np.full(n, -1, dtype=np.int64)
        self._next_corr = 0

    # -- setup ----------------------------------------------------------------------
    def _fraud_only_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Keys of USES_DEVICE and USES_IP edges that only a fraud instance uses (not the background walk)."""
        w = self.ctx.world
        labels = self.ctx.truth.edge_labels
        fraud = labels[labels["is_fraud"].astype(bool) & ~labels["role"].isin(EVERYDAY_ROLES)]
        dev = fraud[fraud["edge_type"] == USES_DEVICE_STEM]
        ip = fraud[fraud["edge_type"] == USES_IP_STEM]
        dev_keys = w.pos("Person", dev["src"]) * self._n_dev + w.pos("Device", dev["dst"])
        ip_keys = w.pos("Person", ip["src"]) * self._n_ip + w.pos("IP", ip["dst"])
        return np.sort(dev_keys), np.sort(ip_keys)

    def _scripted_logins(self) -> pd.DataFrame:
        """Every scripted ``login`` row as positions: person, device, address (-1 where unknown), time, pattern.

        On ``Person_USES_DEVICE_Device`` the ``detail`` names the address (when there is one); on
        ``Device_SEEN_AT_IP`` it names the person.
        """
        w, ctx = self.ctx.world, self.ctx
        rows = ctx.schedule[ctx.schedule["kind"] == "login"]
        on_device = (rows["edge_type"] == USES_DEVICE_STEM).to_numpy()
        src, dst = rows["src"].to_numpy(dtype=object), rows["dst"].to_numpy(dtype=object)
        detail = rows["detail"].fillna("").to_numpy(dtype=object)
        pattern = rows["pattern_id"].to_numpy(dtype=object)
        return pd.DataFrame({
            "time": rows["t"].to_numpy(dtype=np.int64),
            "person": np.where(on_device, w.pos("Person", src), w.pos("Person", detail)),
            "device": np.where(on_device, w.pos("Device", dst), w.pos("Device", src)),
            "ip": np.where(on_device, w.pos("IP", detail), w.pos("IP", dst)),
            "pattern": pattern,
            "fraud": np.array([ctx.pattern_is_fraud.get(p, False) for p in pattern], dtype=bool),
        })

    def _quiet_windows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per person, when they go quiet, when they come back and when they go quiet for good (int64 max: never).

        Quiet are holders whose accounts opened before the span are all dormant or closed, and persons
        of an instance that says since when they were dormant (``dormant_since``); a legitimate
        scripted login (a returning customer) wakes them up, until the time an instance says they
        lapse again (``dormant_again_at``: a one-off visit).
        """
        w, ctx = self.ctx.world, self.ctx
        never = np.iinfo(np.int64).max
        quiet_from = np.full(w.n["Person"], never, dtype=np.int64)
        awake_from = np.full(w.n["Person"], never, dtype=np.int64)
        acc = w.person_accounts
        holder = np.repeat(np.arange(w.n["Person"]), acc.degree())
        old = w.account_opened[acc.targets] < w.start
        quiet_acc = np.isin(w.account_status[acc.targets], QUIET_STATUSES)
        n_old = np.bincount(holder[old], minlength=w.n["Person"])
        n_quiet = np.bincount(holder[old & quiet_acc], minlength=w.n["Person"])
        quiet_from[(n_old > 0) & (n_quiet == n_old)] = np.iinfo(np.int64).min
        patterns = ctx.truth.patterns
        labels = ctx.truth.node_labels
        quiet_again = np.full(w.n["Person"], never, dtype=np.int64)
        for pid, params in zip(patterns["pattern_id"], patterns["parameters"]):
            if '"dormant_since"' not in params:
                continue
            params = json.loads(params)
            who = w.pos("Person", labels.loc[(labels["pattern_id"] == pid) & (labels["label"] == "Person"), "id"])
            who = who[who >= 0]
            quiet_from[who] = np.minimum(quiet_from[who], int(params["dormant_since"]))
            if "dormant_again_at" in params:
                quiet_again[who] = np.minimum(quiet_again[who], int(params["dormant_again_at"]))
        logins = self._logins
        legit = ~logins["fraud"].to_numpy() & (logins["person"].to_numpy() >= 0)
        np.minimum.at(awake_from, logins["person"].to_numpy()[legit], logins["time"].to_numpy()[legit])
        return quiet_from, awake_from, quiet_again

    def _is_quiet(self, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        return ((self._quiet_from[person] <= time) & (time < self._awake_from[person])) | (time >= self._quiet_again[person])

    def _first_use_entries(self, excluded_dev: np.ndarray) -> pd.DataFrame:
        """USES_DEVICE edges first used inside the span, by everyday users, without a scripted login.

        The session happens at the edge's first use, or as soon as the person has an address (and, for a
        traveller on the way, once they arrive or are back home).
        """
        w = self.ctx.world
        ud, ui = w.uses_device, w.uses_ip
        person = np.repeat(np.arange(w.n["Person"]), ud.degree())
        device = ud.targets
        keys = person * self._n_dev + device
        logins = self._logins
        scripted_keys = logins["person"].to_numpy() * self._n_dev + logins["device"].to_numpy()
        ip_owner = np.repeat(np.arange(w.n["Person"]), ui.degree())
        usable = self._ip_weight_bg > 0
        first_ip = np.full(w.n["Person"], np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_ip, ip_owner[usable], w.uses_ip_since[usable])
        since = w.uses_device_since
        time = self.ctx.trips.settle(person, np.maximum(since, first_ip[person]))
        keep = ((since >= w.start) & (time < w.end) & (since >= w.person_created[person])
                & ~np.isin(keys, excluded_dev) & ~np.isin(keys, scripted_keys))
        out = pd.DataFrame({"time": time[keep], "person": person[keep], "device": device[keep]})
        return out.sort_values(["time", "person", "device"], kind="stable").reset_index(drop=True)

    # -- the day ------------------------------------------------------------------------
    def plan(self, day: Day, rng: np.random.Generator) -> DayPlan:
        """Draw the day's sessions and render all their events."""
        batch = _Batch.concat([self._background(day, rng), self._first_use(day, rng), self._scripted(day, rng)])
        if len(batch) == 0:
            return DayPlan()
        return DayPlan(events=self._render(batch, rng))

    def _rate(self, day: Day) -> float:
        drift = self.ctx.scenario.drift
        return (self.config.per_day_mean * clock.weekday_factor(day, "personal")
                * clock.drift_factor(day, self.ctx.days, drift.strength, drift.direction))

    def _background(self, day: Day, rng: np.random.Generator) -> _Batch:
        """Everyday sessions: a Poisson number per person, on their own devices and addresses."""
        w, ctx = self.ctx.world, self.ctx
        alive = w.person_created < day.end
        counts = rng.poisson(self._rate(day) * ctx.activity * alive * ctx.engagement(day, np.arange(alive.size)))
        person = np.repeat(np.arange(counts.size), counts)
        time = clock.times_in_day(rng, day, person.size, "personal", ctx.chronotype[person])
        keep = (time >= w.person_created[person]) & ~self._is_quiet(person, time) & ~self._trips.on_the_way(person, time)
        person, time = person[keep], time[keep]
        device = self._pick_device(rng, person, time)
        ip = self._pick_ip(rng, person, device, time, self._ip_weight_bg)
        ok = (device >= 0) & (ip >= 0)
        return _plain(person[ok], device[ok], ip[ok], time[ok], exact=False)

    def _first_use(self, day: Day, rng: np.random.Generator) -> _Batch:
        """A session at the moment a person first uses a device."""
        rows = _day_rows(self._first_uses, day)
        person, device = rows["person"].to_numpy(), rows["device"].to_numpy()
        time = rows["time"].to_numpy(dtype=np.int64)
        ip = self._pick_ip(rng, person, device, time, self._ip_weight_bg)
        ok = ip >= 0
        return _plain(person[ok], device[ok], ip[ok], time[ok], exact=True)

    def _scripted(self, day: Day, rng: np.random.Generator) -> _Batch:
        """The patterns' scripted logins of the day, at their exact times."""
        rows = _day_rows(self._logins, day)
        if rows.empty:
            return _Batch.empty()
        person, device, ip = (rows[c].to_numpy(dtype=np.int64).copy() for c in ("person", "device", "ip"))
        time, pattern = rows["time"].to_numpy(dtype=np.int64), rows["pattern"].to_numpy(dtype=object)
        lost = (person < 0) & (device >= 0)
        if lost.any():
            person[lost] = self._device_user(rng, device[lost], pattern[lost])
        needs_ip = (ip < 0) & (person >= 0) & (device >= 0)
        if needs_ip.any():
            ip[needs_ip] = self._fallback_ip(rng, person[needs_ip], device[needs_ip], time[needs_ip])
        ok = (person >= 0) & (device >= 0)
        logins = _Batch(person[ok], device[ok], ip[ok], time[ok], pattern[ok], rows["fraud"].to_numpy()[ok],
                        np.ones(int(ok.sum()), bool))
        return _Batch.concat([logins, self._prior_sessions(day, rng, logins)])

    def _prior_sessions(self, day: Day, rng: np.random.Generator, logins: _Batch) -> _Batch:
        """Some persons used one of their own devices shortly before a scripted login from a new device."""
        new = _is_new(self._dev_keys, self._dev_first, logins.person * self._n_dev + logins.device, logins.time)
        lo, hi = PRIOR_SESSION_SECONDS
        time = logins.time - rng.integers(lo, hi, len(logins))
        person = logins.person
        pick = (new & (rng.random(len(logins)) < PRIOR_SESSION_RATE) & (time >= day.start)
                & (time >= self.ctx.world.person_created[person]) & ~self._is_quiet(person, time)
                & ~self._trips.on_the_way(person, time))
        person, time = person[pick], time[pick]
        device = self._pick_device(rng, person, time)
        ip = self._pick_ip(rng, person, device, time, self._ip_weight_bg)
        ok = (device >= 0) & (ip >= 0)
        return _plain(person[ok], device[ok], ip[ok], time[ok], exact=False)

    # -- walking the edges --------------------------------------------------------------
    def _pick_device(self, rng, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        """One of each person's devices in use by ``time`` (primary favoured; a desktop stays home on a trip); -1 if none."""
        ud = self.ctx.world.uses_device
        query, entry = _expand(ud.starts, person)
        weight = self._dev_weight_bg[entry] * (self.ctx.world.uses_device_since[entry] <= time[query])
        away = self._trips.staying(person, time) >= 0
        weight *= ~(away[query] & self._is_desktop[ud.targets[entry]])
        chosen = _choose(rng, query, weight, person.size)
        out = np.full(person.size, -1, dtype=np.int64)
        out[chosen >= 0] = ud.targets[entry[chosen[chosen >= 0]]]
        return out

    def _pick_ip(self, rng, person: np.ndarray, device: np.ndarray, time: np.ndarray, base: np.ndarray) -> np.ndarray:
        """One of each person's addresses in use by ``time``, favouring those the device is seen at; -1 if none.

        A person staying at a trip's destination connects from the trip's addresses; nobody else from a
        ``travel`` address.
        """
        w = self.ctx.world
        ui = w.uses_ip
        query, entry = _expand(ui.starts, person)
        if entry.size == 0:
            return np.full(person.size, -1, dtype=np.int64)
        ip = ui.targets[entry]
        at = time[query]
        dev = device[query]
        seen = _seen_by(self._seen_keys, self._seen_first, dev * self._n_ip + ip, at)
        weight = base[entry] * (w.uses_ip_since[entry] <= at) * np.where(seen, SEEN_BOOST, 1.0) * ~self._ip_is_travel[entry]
        weight *= np.where(self._ip_is_mobile[entry] & self._is_desktop[np.maximum(dev, 0)], DESKTOP_ON_MOBILE, 1.0)
        chosen = _choose(rng, query, weight, person.size)
        out = np.where(chosen >= 0, ip[np.maximum(chosen, 0)], -1)
        trip = self._trips.staying(person, time)
        away = np.flatnonzero(trip >= 0)
        if away.size:
            out[away] = self._trips.address(rng, trip[away], ~self._is_desktop[np.maximum(device[away], 0)])
        return out

    def _fallback_ip(self, rng, person, device, time) -> np.ndarray:
        """An address for a scripted login that names none: the person's (any edge), else the device's."""
        w = self.ctx.world
        ip = self._pick_ip(rng, person, device, time, self._ip_weight_all)
        for k in np.flatnonzero(ip < 0):  # rare: addresses not yet in use at the scripted time
            own = w.uses_ip.targets[w.uses_ip.starts[person[k]]: w.uses_ip.starts[person[k] + 1]]
            seen = w.seen_at.targets[w.seen_at.starts[device[k]]: w.seen_at.starts[device[k] + 1]]
            pool = own if own.size else seen
            ip[k] = pool[rng.integers(0, pool.size)] if pool.size else -1
        return ip

    def _device_user(self, rng, device: np.ndarray, pattern: np.ndarray) -> np.ndarray:
        """A person who uses each device, preferring members of the scripting pattern (rare rows)."""
        labels = self.ctx.truth.node_labels
        members = labels[labels["label"] == "Person"]
        out = np.full(device.size, -1, dtype=np.int64)
        for k in range(device.size):
            users = self._device_users.targets[self._device_users.starts[device[k]]: self._device_users.starts[device[k] + 1]]
            if users.size == 0:
                continue
            mine = self.ctx.world.pos("Person", members.loc[members["pattern_id"] == pattern[k], "id"])
            preferred = users[np.isin(users, mine)]
            pool = preferred if preferred.size else users
            out[k] = pool[rng.integers(0, pool.size)]
        return out

    # -- rendering ----------------------------------------------------------------------
    def _render(self, batch: _Batch, rng: np.random.Generator) -> list[pa.Table]:
        """All events of the day's sessions: attempts, failures, success, start, actions, end."""
        batch = batch.take(np.lexsort((batch.time, batch.person)))   # by person, then time
        n = len(batch)
        corr = self._next_corr + np.arange(n, dtype=np.int64)
        self._next_corr += n
        travel = self._travel(batch)
        new_device = _is_new(self._dev_keys, self._dev_first, batch.person * self._n_dev + batch.device, batch.time)
        new_ip = _is_new(self._ip_keys, self._ip_first, batch.person * self._n_ip + batch.ip, batch.time)
        a = self._attempts(rng, batch)
        auth = self._auth_methods(rng, batch.device, new_device)

        # session shape
        ok = np.flatnonzero(~a.gave_up)
        extra = self.config.actions_mean - 1.0
        n_actions = 1 + (rng.poisson(rng.gamma(2.0, extra / 2.0, ok.size)) if extra > 0 else np.zeros(ok.size, np.int64))
        duration = np.rint(rng.lognormal(np.log(self.config.duration_seconds_median), DURATION_SIGMA, ok.size)).astype(np.int64)
        duration = np.maximum(duration, SECONDS_PER_ACTION_MIN * n_actions + 5)
        start = a.time[a.last[ok]] + 1
        end = start + duration

        # JSON pieces per session, taken per event
        f = self._fragments
        ip = np.where(batch.ip >= 0, batch.ip, f.null_ip)
        user = f.user.take(pa.array(batch.person))
        session = _concat(_lit('"session_id":"'), env.uuids(rng, n), _lit('"'))
        dev_short = f.device_short.take(pa.array(batch.device))
        head_full = _concat(user, _lit(","), f.device_full.take(pa.array(batch.device)), _lit(","), f.ip_full.take(pa.array(ip)))
        head_short = _concat(user, _lit(","), dev_short, _lit(","), f.ip_short.take(pa.array(ip)))
        head_min = _concat(session, _lit(","), user)
        auth_json = _vocab(AUTH_METHODS, auth)
        person_ids = self.ctx.world.take("Person", batch.person)
        pattern = pa.array(batch.pattern, pa.large_string())

        def table(event_type, idx, time, *parts):
            index = pa.array(idx)
            return make_events(event_type, time, corr[idx], _concat(_lit("{"), *parts, _lit("}")),
                               person=person_ids.take(index), pattern_id=pattern.take(index))

        attempt_ids = _concat(_lit('"attempt_id":"'), env.uuids(rng, a.session.size), _lit('",'))
        sess_a = pa.array(a.session)
        fi = np.flatnonzero(a.failed)
        oka = pa.array(ok)
        tables = [
            table("login-attempt", a.session, a.time,
                  attempt_ids, head_full.take(sess_a), _lit(',"attempted_at":"'), env.iso_seconds(a.time),
                  _lit('","auth_method":'), auth_json.take(sess_a)),
            table("login-failed", a.session[fi], a.time[fi] + 1,
                  attempt_ids.take(pa.array(fi)), head_short.take(pa.array(a.session[fi])),
                  _lit(',"reason":'), _vocab(np.r_[FAILURE_REASONS, ["account_locked"]], a.reason[fi]),
                  _lit(',"consecutive_failures":'), _ints(a.rank[fi] + 1)),
            table("login-success", ok, start,
                  attempt_ids.take(pa.array(a.last[ok])), session.take(oka), _lit(","), head_short.take(oka),
                  _lit(',"auth_method":'), auth_json.take(oka),
                  _lit(',"new_device":'), _bools(new_device[ok]), _lit(',"new_ip":'), _bools(new_ip[ok]),
                  _lit(',"failed_attempts":'), _ints(a.fails[ok]),
                  _lit(',"impossible_travel":'), _bools(travel["impossible"][ok]),
                  _lit(',"travel":'), travel["json"].take(oka)),
            table("session-started", ok, start, session.take(oka), _lit(","), head_full.take(oka)),
            self._actions(rng, ok, start, duration, n_actions, batch.fraudster[ok], head_min, table,
                          self._support_share(batch.person[ok], batch.time[ok])),
            table("session-ended", ok, end,
                  head_min.take(oka), _lit(","), dev_short.take(oka), _lit(',"duration_seconds":'), _ints(duration),
                  _lit(',"action_count":'), _ints(n_actions),
                  _lit(',"end_reason":'), _vocab(END_REASONS, rng.choice(END_REASONS.size, ok.size, p=END_WEIGHTS))),
        ]
        return [t for t in tables if t.num_rows]

    def _attempts(self, rng, batch: _Batch) -> _Attempts:
        """Login attempts: some sessions start with 1-3 failures (never a scripted one), a few give up."""
        n = len(batch)
        fails = np.where(batch.exact | (rng.random(n) >= self.config.login_failure_rate), 0,
                         1 + rng.choice(3, n, p=FAILURES_WEIGHTS))
        locked = (fails == 3) & (rng.random(n) < LOCKOUT_RATE)
        gave_up = locked | ((fails > 0) & (rng.random(n) < GIVE_UP_RATE))
        count = fails + ~gave_up                      # at least one attempt per session
        session = np.repeat(np.arange(n), count)
        rank = np.arange(session.size) - np.repeat(np.cumsum(count) - count, count)
        gaps = np.where(rank > 0, rng.integers(4, 45, session.size), 0)
        reason = rng.choice(FAILURE_REASONS.size, session.size, p=FAILURE_WEIGHTS)
        reason = np.where(locked[session] & (rank == 2), FAILURE_REASONS.size, reason)  # account_locked
        return _Attempts(session=session, rank=rank, time=batch.time[session] + _group_cumsum(gaps, count),
                         failed=rank < fails[session], reason=reason, last=np.cumsum(count) - 1,
                         fails=fails, gave_up=gave_up)

    def _support_share(self, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        """Share of a session's actions that contact support, by its person's lifecycle phase: customers cooling
        off, and more so those at risk of leaving, contact support more (fees, declined cards, closing)."""
        ctx = self.ctx
        return np.select([ctx.at_risk_from[person] <= time, ctx.cooling_from[person] <= time],
                         list(SUPPORT_SHARE_BY_PHASE), 0.0)

    def _actions(self, rng, sessions, start, duration, n_actions, fraudster, head, table, support) -> pa.Table:
        """``n_actions`` actions per session, spread over its duration in order (``support``: the share of each
        session's actions that are support contacts beyond the usual, by lifecycle phase)."""
        owner = np.repeat(np.arange(sessions.size), n_actions)
        rank = np.arange(owner.size) - np.repeat(np.cumsum(n_actions) - n_actions, n_actions)
        offsets = np.sort(owner + rng.random(owner.size)) - owner          # sorted within each session
        time = start[owner] + 1 + np.floor(offsets * (duration[owner] - 2)).astype(np.int64)
        kind = rng.choice(ACTION_TYPES.size, owner.size, p=ACTION_WEIGHTS)
        bias = fraudster[owner]
        if bias.any():
            kind[bias] = rng.choice(ACTION_TYPES.size, int(bias.sum()), p=TAKEOVER_ACTION_WEIGHTS)
        share = support[owner]
        if share.any():
            kind[rng.random(owner.size) < share] = SUPPORT_ACTION
        idx = sessions[owner]
        return table("user-action-performed", idx, time,
                     head.take(pa.array(idx)), _lit(',"action_type":'), _vocab(ACTION_TYPES, kind),
                     _lit(',"sequence":'), _ints(rank + 1))

    def _auth_methods(self, rng, device: np.ndarray, new_device: np.ndarray) -> np.ndarray:
        """Index into :data:`AUTH_METHODS` per session, by device family (no biometrics on a new device)."""
        mobile = self._is_mobile[device]
        u = rng.random(device.size)
        out = np.zeros(device.size, dtype=np.int64)
        for mask, weights in ((mobile & ~new_device, MOBILE_AUTH), (~mobile & ~new_device, WEB_AUTH),
                              (new_device, NEW_DEVICE_AUTH)):
            out[mask] = np.searchsorted(np.cumsum(weights), u[mask] * weights.sum(), side="right")
        return np.minimum(out, AUTH_METHODS.size - 1)

    def _travel(self, batch: _Batch) -> dict:
        """Distance and speed from each person's previous session; updates the last-seen state.

        ``batch`` is sorted by person, then time.
        """
        w = self.ctx.world
        n = len(batch)
        same = np.zeros(n, dtype=bool)
        same[1:] = batch.person[1:] == batch.person[:-1]
        prev_time = np.where(same, np.r_[-1, batch.time[:-1]], self._last_time[batch.person])
        prev_ip = np.where(same, np.r_[-1, batch.ip[:-1]], self._last_ip[batch.person])
        has = (prev_time >= 0) & (prev_ip >= 0) & (batch.ip >= 0)
        p, c = prev_ip[has], batch.ip[has]
        km = _haversine(w.ip_lat[p], w.ip_lon[p], w.ip_lat[c], w.ip_lon[c])
        hours = np.maximum(batch.time[has] - prev_time[has], 60) / HOUR
        speed = km / hours
        impossible = np.zeros(n, dtype=bool)
        impossible[has] = (km >= IMPOSSIBLE_MIN_KM) & (speed >= IMPOSSIBLE_SPEED_KMH)
        detail = env.json_object([
            ("distance_km", env.fixed(km, 1)),
            ("hours_since_previous", env.fixed(hours, 2)),
            ("speed_kmh", env.fixed(speed, 1)),
            ("previous_city", env.text(w.ip_city.take(pa.array(p)))),
            ("previous_country", env.text(w.ip_country.take(pa.array(p)))),
        ], n=0)
        text = pa.repeat(_lit("null"), n).cast(pa.large_string())
        if has.any():
            text = pc.replace_with_mask(text, pa.array(has), detail)
        last = np.r_[~same[1:], True] if n else np.zeros(0, bool)
        located = last & (batch.ip >= 0)
        self._last_time[batch.person[located]] = batch.time[located]
        self._last_ip[batch.person[located]] = batch.ip[located]
        return {"impossible": impossible, "json": text}


class _Fragments:
    """JSON fragments rendered once per person, device and address, taken per event.

    The address fragments have one extra row (``null_ip``) for a session without an address.
    """

    def __init__(self, w):
        self.user = _concat(_lit('"user_id":"'), w.ids["Person"], _lit('"'))
        device_id = _concat(_lit('"device_id":"'), w.ids["Device"], _lit('"'))
        self.device_short = device_id
        self.device_full = _concat(device_id, _lit(',"device_type":'),
                                   env.text(pa.array(w.device_type.astype(str), pa.large_string())).text,
                                   _lit(',"user_agent":'), env.text(w.device_user_agent).text)
        ip_short = _concat(_lit('"ip_id":'), env.text(w.ids["IP"]).text, _lit(',"ip_address":'), env.text(w.ip_address).text)
        geo = env.json_object([
            ("latitude", env.fixed(w.ip_lat, 4)),
            ("longitude", env.fixed(w.ip_lon, 4)),
            ("country", env.text(w.ip_country)),
            ("city", env.text(w.ip_city)),
        ], n=0)
        ip_full = _concat(ip_short, _lit(',"geo_location":'), geo)
        self.null_ip = w.n["IP"]
        self.ip_short = pa.concat_arrays([ip_short, pa.array(['"ip_id":null,"ip_address":null'], pa.large_string())])
        self.ip_full = pa.concat_arrays([ip_full, pa.array(['"ip_id":null,"ip_address":null,"geo_location":null'],
                                                           pa.large_string())])


# -- helpers ----------------------------------------------------------------------------
def _plain(person, device, ip, time, exact: bool) -> _Batch:
    n = person.size
    return _Batch(person.astype(np.int64), device.astype(np.int64), ip.astype(np.int64), time.astype(np.int64),
                  np.full(n, None, dtype=object), np.zeros(n, bool), np.full(n, exact, dtype=bool))



def _first_seen_index(keys: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique keys with the earliest first-seen time of each."""
    order = np.lexsort((first, keys))
    keys, first = keys[order], first[order]
    head = np.r_[True, keys[1:] != keys[:-1]] if keys.size else np.zeros(0, bool)
    return keys[head], first[head]


def _seen_by(keys, first, query, at) -> np.ndarray:
    """Whether each (device, address) key exists with a first-seen time at or before ``at``."""
    if keys.size == 0:
        return np.zeros(query.size, bool)
    pos = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    return (keys[pos] == query) & (first[pos] <= at)


def _reverse(src: np.ndarray, dst: np.ndarray, n_src: int):
    from fraudgraph.timeline.world import Adjacency

    ok = (src >= 0) & (dst >= 0)
    return Adjacency.build(src[ok], dst[ok], n_src)


def _expand(starts: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every adjacency entry of every query owner: (query index, entry index)."""
    lo = starts[owner]
    deg = starts[owner + 1] - lo
    query = np.repeat(np.arange(owner.size), deg)
    entry = np.arange(query.size) - np.repeat(np.cumsum(deg) - deg, deg) + np.repeat(lo, deg)
    return query, entry


def _choose(rng, query: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """One position in the expanded entries per query, drawn by ``weight``; -1 where all weights are 0.

    ``query`` is sorted (as :func:`_expand` makes it).
    """
    out = np.full(n, -1, dtype=np.int64)
    if query.size == 0:
        return out
    weight = np.asarray(weight, dtype=np.float64)
    deg = np.bincount(query, minlength=n)
    first = np.cumsum(deg) - deg
    cum = np.cumsum(weight)
    base = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
    total = np.where(deg > 0, cum[np.maximum(first + deg - 1, 0)] - base, 0.0)
    u = base + rng.random(n) * total
    idx = np.searchsorted(cum, u, side="right")
    idx = np.minimum(idx, np.maximum(first + deg - 1, 0))
    positive = np.where(weight > 0, np.arange(weight.size), -1)
    idx = np.maximum.accumulate(positive)[idx]   # never land on an ineligible entry
    has = (deg > 0) & (total > 0)
    out[has] = idx[has]
    return out


def _group_cumsum(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each group (groups are consecutive runs of ``sizes``)."""
    total = np.cumsum(values)
    head = np.cumsum(sizes) - sizes      # every group has at least one value
    return total - np.repeat(total[head] - values[head], sizes)


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(a) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _is_new(keys: np.ndarray, first: np.ndarray, query: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Whether the person's edge to the device (or address) is missing or first seen under a day ago."""
    if keys.size == 0:
        return np.ones(query.size, dtype=bool)
    at = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    return (keys[at] != query) | (time - first[at] < NEW_WITHIN)


def _day_rows(frame: pd.DataFrame, day: Day) -> pd.DataFrame:
    """Rows of a time-sorted frame that fall on ``day``."""
    lo, hi = np.searchsorted(frame["time"].to_numpy(), [day.start, day.end])
    return frame.iloc[lo:hi]


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _concat(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and literals."""
    return pc.binary_join_element_wise(*parts, _lit(""))


def _vocab(words: np.ndarray, codes: np.ndarray) -> pa.Array:
    """JSON strings of ``words[codes]``, rendered once per word."""
    quoted = pa.array(['"' + str(w) + '"' for w in words], pa.large_string())
    return quoted.take(pa.array(np.asarray(codes, dtype=np.int64)))


def _ints(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.large_string())


_BOOLS = pa.array(["false", "true"], pa.large_string())


def _bools(values: np.ndarray) -> pa.Array:
    return _BOOLS.take(pa.array(np.asarray(values, dtype=np.int8)))
