"""Identity and account events: node lifetimes and a few edges, each at its creation time.

- ``account-opened``: every account whose ``opened_at`` falls in the span, with its holder
  (``Person``/``Company OWNS``) and the device the holder was using by then;
- ``device-registered``: every ``USES_DEVICE`` edge first seen in the span;
- ``identity-changed``: a person changes their e-mail address or phone number, at a low
  everyday rate (``events.identity.changes_per_person_monthly``), plus the patterns' scripted ``identity_change`` rows (the ``detail``
  names the field, the edge the device it was done from);
- ``bank-link-added``: a transfer link to one of one's own accounts (a ``TRANSFERS_TO``
  edge of kind ``own_accounts`` created in the span), plus the scripted ``bank_link`` rows (the
  reverse edge of a scripted link, money pulled back over it, is the same link).

Events that come from a pattern's edge or scripted row carry its ``pattern_id``. Old and new
contact values are masked in the payload; new values are drawn from the reserved ranges
(``example.*`` domains, fictional phone numbers), and the family keeps each person's current
values so successive changes chain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema
from fraudgraph.timeline import clock
from fraudgraph.timeline import envelope as env
from fraudgraph.timeline.family import Day, DayPlan, Family
from fraudgraph.timeline.frames import events as make_events
from fraudgraph.timeline.world import arrow_ids
from fraudgraph.units import to_seconds
from fraudgraph.vocab.pii import EMAIL_DOMAINS, PHONES

#: Edge types whose scripted rows this family reads.
USES_DEVICE_STEM = schema.stem("Person", "USES_DEVICE", "Device")
TRANSFERS_STEM = schema.stem("Account", "TRANSFERS_TO", "Account")
OWNS_STEM = schema.stem("Person", "OWNS", "Account")

#: Which field an everyday change touches.
FIELDS = np.array(["email", "phone"], dtype=object)
FIELD_WEIGHTS = np.array([0.65, 0.35])
#: How a bank link is verified.
LINK_METHODS = np.array(["instant_verification", "micro_deposits"], dtype=object)
LINK_WEIGHTS = np.array([0.7, 0.3])
#: The channel an account is opened through, by the holder's device family.
CHANNELS = {"ios": "mobile_app", "android": "mobile_app", "web_mobile": "web", "web_desktop": "web"}


class Identity(Family):
    """Account openings, device registrations, contact changes and bank links.

    Parameters
    ----------
    context : TimelineContext
        Shared inputs (graph, truth, schedule); the everyday change rate comes from
        ``context.config.identity``.
    """

    name = "identity"
    event_types = ("account-opened", "device-registered", "identity-changed", "bank-link-added", "account-closed")

    def __init__(self, context):
        super().__init__(context)
        self.cfg = context.config.identity
        w = context.world
        self._labels = _edge_pattern_ids(context.truth.edge_labels)
        persons = w.graph.nodes["Person"]
        self._email = persons["email"].to_numpy(dtype=object).copy()
        self._phone = persons["phone"].to_numpy(dtype=object).copy()
        self._country = persons["country"].to_numpy(dtype=object)
        self._name = arrow_ids(persons["name"])
        self._openings = self._account_openings()
        self._registrations = self._device_registrations()
        self._links = self._bank_links()
        self._changes = self._scripted_changes()
        self._closures = context.closures
        self._next_corr = 0

    # -- what the graph says happens in the span ----------------------------------------
    def _in_span(self, t: np.ndarray) -> np.ndarray:
        w = self.ctx.world
        return (t >= w.start) & (t < w.end)

    def _account_openings(self) -> pd.DataFrame:
        """Accounts opened in the span (node lifetimes), with the pattern that opened them."""
        w, ctx = self.ctx.world, self.ctx
        account = np.flatnonzero(self._in_span(w.account_opened))
        person = w.account_holder[account]
        company = w.account_company[account]
        time = w.account_opened[account]
        time = np.maximum(time, np.where(person >= 0, w.person_created[np.maximum(person, 0)], time))
        ids = w.take("Account", account).to_numpy(zero_copy_only=False).astype(object)
        owners = np.where(person >= 0, w.take("Person", person).to_numpy(zero_copy_only=False).astype(object), None)
        pattern = pd.Series(list(zip(owners, ids)), dtype=object).map(self._labels.get(OWNS_STEM, {}))
        scripted = ctx.schedule[ctx.schedule["kind"] == "account_open"]
        by_script = dict(zip(scripted["dst"], scripted["pattern_id"]))
        pattern = pd.Series(ids).map(by_script).fillna(pattern).to_numpy(dtype=object)
        out = pd.DataFrame({"time": time, "account": account, "person": person, "company": company,
                            "pattern": _none(pattern)})
        return _by_time(out, "account")

    def _device_registrations(self) -> pd.DataFrame:
        """USES_DEVICE edges first seen in the span."""
        w = self.ctx.world
        edges = w.graph.edges[("Person", "USES_DEVICE", "Device")]
        since = to_seconds(edges["first_seen"])
        keep = self._in_span(since)
        edges = edges[keep]
        person, device = w.pos("Person", edges["src"]), w.pos("Device", edges["dst"])
        pattern = pd.Series(list(zip(edges["src"], edges["dst"])), dtype=object).map(
            self._labels.get(USES_DEVICE_STEM, {})).to_numpy(dtype=object)
        out = pd.DataFrame({"time": np.maximum(since[keep], w.person_created[person]), "person": person,
                            "device": device, "primary": edges["is_primary"].to_numpy(dtype=bool),
                            "pattern": _none(pattern)})
        return _by_time(out, "person", "device")

    def _bank_links(self) -> pd.DataFrame:
        """Links to one's own accounts created in the span, and the scripted ``bank_link`` rows."""
        w, ctx = self.ctx.world, self.ctx
        edges = w.graph.edges[("Account", "TRANSFERS_TO", "Account")]
        since = to_seconds(edges["since"])
        own = edges[self._in_span(since) & (edges["kind"] == "own_accounts").to_numpy()]
        scripted = ctx.schedule[ctx.schedule["kind"] == "bank_link"]
        scripted_pairs = pd.MultiIndex.from_arrays([scripted["src"].astype(str), scripted["dst"].astype(str)])
        # money pulled back over a scripted link (its reverse edge) uses that link, not a new one
        reverse_pairs = pd.MultiIndex.from_arrays([scripted["dst"].astype(str), scripted["src"].astype(str)])
        pairs = pd.MultiIndex.from_arrays([own["src"].astype(str), own["dst"].astype(str)])
        own = own[~(pairs.isin(scripted_pairs) | pairs.isin(reverse_pairs))]
        label = self._labels.get(TRANSFERS_STEM, {})
        frame = pd.DataFrame({
            "time": np.concatenate([to_seconds(own["since"]), scripted["t"].to_numpy(dtype=np.int64)]),
            "src": np.concatenate([w.pos("Account", own["src"]), w.pos("Account", scripted["src"])]),
            "dst": np.concatenate([w.pos("Account", own["dst"]), w.pos("Account", scripted["dst"])]),
            "pattern": np.concatenate([
                pd.Series(list(zip(own["src"], own["dst"])), dtype=object).map(label).to_numpy(dtype=object),
                scripted["pattern_id"].to_numpy(dtype=object)]),
        })
        frame = frame[(frame["src"] >= 0) & (frame["dst"] >= 0)]
        frame["pattern"] = _none(frame["pattern"].to_numpy(dtype=object))
        return _by_time(frame, "src", "dst")

    def _scripted_changes(self) -> pd.DataFrame:
        """The patterns' ``identity_change`` rows: person, device it was done from, field."""
        w, ctx = self.ctx.world, self.ctx
        rows = ctx.schedule[ctx.schedule["kind"] == "identity_change"]
        on_device = (rows["edge_type"] == USES_DEVICE_STEM).to_numpy()
        field = rows["detail"].fillna("email").to_numpy(dtype=object)
        frame = pd.DataFrame({
            "time": rows["t"].to_numpy(dtype=np.int64),
            "person": w.pos("Person", rows["src"]),
            "device": np.where(on_device, w.pos("Device", rows["dst"]), -1),
            "field": np.where(np.isin(field, FIELDS), field, "email"),
            "pattern": rows["pattern_id"].to_numpy(dtype=object),
        })
        return _by_time(frame[frame["person"] >= 0], "person")

    # -- the day ------------------------------------------------------------------------
    def plan(self, day: Day, rng: np.random.Generator) -> DayPlan:
        """The day's openings, registrations, contact changes and bank links."""
        tables = [
            self._render_openings(_day_rows(self._openings, day), rng),
            self._render_registrations(_day_rows(self._registrations, day)),
            self._render_changes(self._changes_of(day, rng), rng),
            self._render_links(_day_rows(self._links, day), rng),
            self._render_closures(_day_rows(self._closures, day), rng),
        ]
        return DayPlan(events=[t for t in tables if t is not None and t.num_rows])

    def _corr(self, n: int) -> np.ndarray:
        out = self._next_corr + np.arange(n, dtype=np.int64)
        self._next_corr += n
        return out

    def _changes_of(self, day: Day, rng: np.random.Generator) -> pd.DataFrame:
        """Everyday contact changes drawn for the day, with the scripted ones, in time order."""
        w, ctx = self.ctx.world, self.ctx
        rate = self.cfg.changes_per_person_monthly / 30.0
        person = np.flatnonzero((rng.random(w.n["Person"]) < rate) & (w.person_created < day.end))
        time = clock.times_in_day(rng, day, person.size, "personal", ctx.chronotype[person])
        keep = time >= w.person_created[person]
        person, time = person[keep], time[keep]
        field = FIELDS[rng.choice(FIELDS.size, person.size, p=FIELD_WEIGHTS)]
        everyday = pd.DataFrame({"time": time, "person": person, "device": self._device_at(person, time),
                                 "field": field, "pattern": np.full(person.size, None, dtype=object)})
        scripted = _day_rows(self._changes, day)
        frame = pd.concat([everyday, scripted], ignore_index=True) if len(scripted) else everyday
        return frame.sort_values(["time", "person"], kind="stable").reset_index(drop=True)

    def _device_at(self, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        """The device each person most recently started using by ``time`` (-1 if none)."""
        w = self.ctx.world
        ud = w.uses_device
        lo, hi = ud.starts[person], ud.starts[person + 1]
        deg = hi - lo
        query = np.repeat(np.arange(person.size), deg)
        entry = np.arange(query.size) - np.repeat(np.cumsum(deg) - deg, deg) + np.repeat(lo, deg)
        since = w.uses_device_since[entry]
        usable = since <= time[query]
        order = np.lexsort((since, ~usable, query))       # per query: usable last, latest last
        out = np.full(person.size, -1, dtype=np.int64)
        last = order[np.cumsum(deg)[deg > 0] - 1]
        ok = usable[last]
        out[query[last][ok]] = ud.targets[entry[last][ok]]
        return out

    # -- rendering ----------------------------------------------------------------------
    def _render_openings(self, rows: pd.DataFrame, rng) -> pa.Table | None:
        if rows.empty:
            return None
        w = self.ctx.world
        account, person, company = (rows[c].to_numpy() for c in ("account", "person", "company"))
        time = rows["time"].to_numpy(dtype=np.int64)
        device = np.where(person >= 0, self._device_at(np.maximum(person, 0), time), -1)
        dev_type = np.where(device >= 0, w.device_type[np.maximum(device, 0)], None)
        channel = np.where(device >= 0, pd.Series(dev_type).map(CHANNELS).fillna("web").to_numpy(dtype=object),
                           np.where(company >= 0, "business_portal", "branch"))
        owner = pc.if_else(pa.array(person >= 0), w.take("Person", person), w.take("Company", company))
        accounts = w.graph.nodes["Account"]
        institution = arrow_ids(accounts["institution"]).take(pa.array(account))
        payload = env.json_object([
            ("account_id", env.text(w.take("Account", account), safe=True)),
            ("owner_id", env.text(owner, safe=True)),
            ("owner_type", env.text(np.where(person >= 0, "person", "company"), safe=True)),
            ("account_type", env.text(w.account_type[account].astype(str), safe=True)),
            ("currency", env.text(w.account_currency.take(pa.array(account)), safe=True)),
            ("institution", env.text(institution)),
            ("opening_balance", env.money(np.where(w.is_credit[account], 0.0, w.opening_balance[account]))),
            ("credit_limit", env.money(w.credit_limit[account])),
            ("channel", env.text(channel.astype(str), safe=True)),
            ("device_id", env.text(w.take("Device", device), safe=True)),
        ])
        return make_events("account-opened", time, self._corr(len(rows)), payload,
                           person=w.take("Person", person), pattern_id=_patterns(rows))

    def _render_closures(self, rows: pd.DataFrame, rng) -> pa.Table | None:
        """``account-closed`` for the accounts of customers who leave and close them (see
        :attr:`~fraudgraph.timeline.context.TimelineContext.closures`)."""
        if rows.empty:
            return None
        w = self.ctx.world
        account, person = rows["account"].to_numpy(), rows["person"].to_numpy()
        time = rows["time"].to_numpy(dtype=np.int64)
        reason = CLOSING_REASONS[rng.choice(len(CLOSING_REASONS), len(rows), p=CLOSING_WEIGHTS)]
        channel = np.where(rng.random(len(rows)) < 0.6, "app", np.where(rng.random(len(rows)) < 0.5, "phone", "branch"))
        payload = env.json_object([
            ("account_id", env.text(w.take("Account", account), safe=True)),
            ("owner_id", env.text(w.take("Person", person), safe=True)),
            ("owner_type", env.constant('"person"', len(rows))),
            ("account_type", env.text(w.account_type[account].astype(str), safe=True)),
            ("reason", env.text(reason.astype(str), safe=True)),
            ("channel", env.text(channel.astype(str), safe=True)),
            ("closed_at", env.text(env.iso_seconds(time), safe=True)),
        ])
        return make_events("account-closed", time, self._corr(len(rows)), payload, person=w.take("Person", person))

    def _render_registrations(self, rows: pd.DataFrame) -> pa.Table | None:
        if rows.empty:
            return None
        w = self.ctx.world
        person, device = rows["person"].to_numpy(), rows["device"].to_numpy()
        devices = w.graph.nodes["Device"]
        index = pa.array(device)
        payload = env.json_object([
            ("user_id", env.text(w.take("Person", person), safe=True)),
            ("device_id", env.text(w.take("Device", device), safe=True)),
            ("device_type", env.text(w.device_type[device].astype(str), safe=True)),
            ("os", env.text(arrow_ids(devices["os"]).take(index))),
            ("user_agent", env.text(w.device_user_agent.take(index))),
            ("fingerprint", env.text(arrow_ids(devices["fingerprint"]).take(index))),
            ("is_primary", env.boolean(rows["primary"].to_numpy(dtype=bool))),
        ])
        return make_events("device-registered", rows["time"].to_numpy(dtype=np.int64), self._corr(len(rows)), payload,
                           person=w.take("Person", person), pattern_id=_patterns(rows))

    def _render_changes(self, rows: pd.DataFrame, rng) -> pa.Table | None:
        if rows.empty:
            return None
        w = self.ctx.world
        person = rows["person"].to_numpy(dtype=np.int64)
        device = rows["device"].to_numpy(dtype=np.int64)
        is_email = (rows["field"] == "email").to_numpy()
        old = np.where(is_email, self._email[person], self._phone[person])
        new = np.empty(person.size, dtype=object)
        fraud = np.array([self.ctx.pattern_is_fraud.get(p, False) for p in rows["pattern"]], dtype=bool)
        if is_email.any():
            new[is_email] = self._new_emails(rng, person[is_email], fraud[is_email])
        for country in sorted(set(self._country[person[~is_email]].tolist())):
            mask = ~is_email & (self._country[person] == country)
            new[mask] = PHONES.get(country, PHONES["US"])(rng, int(mask.sum()))
        # rows are in time order, so a person's later change starts from their earlier one
        old = _chain(person, is_email, old, new)
        self._email[person[is_email]] = new[is_email]
        self._phone[person[~is_email]] = new[~is_email]
        payload = env.json_object([
            ("user_id", env.text(w.take("Person", person), safe=True)),
            ("field", env.text(rows["field"].to_numpy(dtype=object).astype(str), safe=True)),
            ("old_value", env.text(_mask(pa.array(old.astype(str), pa.large_string()), is_email))),
            ("new_value", env.text(_mask(pa.array(new.astype(str), pa.large_string()), is_email))),
            ("device_id", env.text(w.take("Device", device), safe=True)),
        ])
        return make_events("identity-changed", rows["time"].to_numpy(dtype=np.int64), self._corr(len(rows)), payload,
                           person=w.take("Person", person), pattern_id=_patterns(rows))

    def _new_emails(self, rng, person: np.ndarray, stranger: np.ndarray) -> np.ndarray:
        """New addresses on reserved domains, built from the person's name (a stranger's handle for a takeover)."""
        names = pc.utf8_lower(self._name.take(pa.array(person)))
        parts = pc.extract_regex(names, r"^(?P<first>\S+)(?:.*\s(?P<last>\S+))?$")
        first = pc.replace_substring_regex(pc.struct_field(parts, "first"), r"[^a-z]", "")
        last = pc.replace_substring_regex(pc.struct_field(parts, "last").fill_null(""), r"[^a-z]", "")
        number = pc.cast(pa.array(rng.integers(100, 10_000, person.size)), pa.large_string())
        domain = pa.array(np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, len(EMAIL_DOMAINS), person.size)],
                          pa.large_string())
        sep = pa.array(np.where(rng.random(person.size) < 0.5, ".", "_"), pa.large_string())
        first = pc.if_else(pc.equal(pc.utf8_length(first), 0), pa.scalar("user", pa.large_string()), first)
        email = pc.binary_join_element_wise(first, sep, last, number, _lit("@"), domain, _lit(""))
        if stranger.any():
            letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)
            handle = letters[rng.integers(0, letters.size, (person.size, 9))].view("S9").ravel().astype(str)
            other = pc.binary_join_element_wise(pa.array(handle, pa.large_string()), _lit("@"), domain, _lit(""))
            email = pc.if_else(pa.array(stranger), other, email)
        return np.asarray(email.to_numpy(zero_copy_only=False), dtype=object)

    def _render_links(self, rows: pd.DataFrame, rng) -> pa.Table | None:
        if rows.empty:
            return None
        w = self.ctx.world
        src, dst = rows["src"].to_numpy(), rows["dst"].to_numpy()
        time = rows["time"].to_numpy(dtype=np.int64)
        holder = w.account_holder[src]
        accounts = w.graph.nodes["Account"]
        number = arrow_ids(accounts["account_number"].astype(str)).take(pa.array(dst))
        last4 = pc.utf8_slice_codeunits(number, -4)
        method = LINK_METHODS[rng.choice(LINK_METHODS.size, src.size, p=LINK_WEIGHTS)]
        payload = env.json_object([
            ("user_id", env.text(w.take("Person", holder), safe=True)),
            ("account_id", env.text(w.take("Account", src), safe=True)),
            ("linked_account_id", env.text(w.take("Account", dst), safe=True)),
            ("linked_institution", env.text(arrow_ids(accounts["institution"]).take(pa.array(dst)))),
            ("linked_account_mask", env.text(pc.binary_join_element_wise(_lit("****"), last4.cast(pa.large_string()), _lit("")))),
            ("linked_account_type", env.text(w.account_type[dst].astype(str), safe=True)),
            ("same_owner", env.boolean((holder >= 0) & (holder == w.account_holder[dst]))),
            ("link_method", env.text(method.astype(str), safe=True)),
        ])
        return make_events("bank-link-added", time, self._corr(len(rows)), payload,
                           person=w.take("Person", holder), pattern_id=_patterns(rows))


# -- helpers ----------------------------------------------------------------------------
def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _edge_pattern_ids(labels: pd.DataFrame) -> dict[str, dict[tuple[str, str], str]]:
    """``{edge_type: {(src, dst): pattern_id}}`` from the edge labels (the first instance per edge)."""
    out: dict[str, dict[tuple[str, str], str]] = {}
    labels = labels.sort_values(["edge_type", "src", "dst", "pattern_id"], kind="stable")
    for edge_type, group in labels.groupby("edge_type", sort=True):
        group = group.drop_duplicates(["src", "dst"], keep="first")
        out[str(edge_type)] = dict(zip(zip(group["src"], group["dst"]), group["pattern_id"]))
    return out


#: Why customers who leave close their accounts, and how often.
CLOSING_REASONS = np.array(["moved_to_another_bank", "fees", "no_longer_needed", "relocation", "service_issues"])
CLOSING_WEIGHTS = (0.35, 0.2, 0.25, 0.1, 0.1)
def _none(values: np.ndarray) -> np.ndarray:
    """Object array with missing values as ``None``."""
    values = np.asarray(values, dtype=object)
    return np.where(pd.isna(values), None, values)


def _by_time(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    return frame.sort_values(["time", *keys], kind="stable").reset_index(drop=True)


def _day_rows(frame: pd.DataFrame, day: Day) -> pd.DataFrame:
    lo, hi = np.searchsorted(frame["time"].to_numpy(), [day.start, day.end])
    return frame.iloc[lo:hi]


def _patterns(rows: pd.DataFrame) -> pa.Array:
    return pa.array(_none(rows["pattern"].to_numpy(dtype=object)), pa.large_string())


def _chain(person: np.ndarray, is_email: np.ndarray, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Old values where a person changes the same field twice in one batch: the earlier new value."""
    old = old.copy()
    key = person * 2 + is_email
    order = np.argsort(key, kind="stable")          # time order within each (person, field)
    repeat = np.r_[False, key[order][1:] == key[order][:-1]]
    old[order[repeat]] = new[order[np.flatnonzero(repeat) - 1]]
    return old


def _mask(values: pa.Array, is_email: np.ndarray) -> pa.Array:
    """``j***@example.com`` for e-mail addresses, ``+1******0172`` for phone numbers."""
    email = pc.replace_substring_regex(values, r"^(.)[^@]*@", r"\1***@")
    phone = pc.replace_substring_regex(values, r"^(\+(?:1|44))\d*(\d{4})$", r"\1******\2")
    return pc.if_else(pa.array(is_email), email, phone)
