"""Account takeover, and its sleeper variant.

Fraud: an attacker logs into an ordinary customer's profile from a new device
through a VPN or hosting address in another city, changes the e-mail address or
phone number, links one to three new bank accounts (drop accounts opened in the
victim's name, which the attacker controls), and moves money out to them in
high-value transfers within hours or days. ``sleeper_takeover`` does the same to
an account that has been dormant for 30 days or more.

The links are ``own_accounts`` transfers (checking to a savings account held in
the victim's name): the population allows ``p2p`` only between persons who
know each other, and an attacker is nobody the victim knows; opening drop
accounts with a stolen identity is what account takeovers commonly do.

Decoys: a customer who gets a new phone or laptop, changes their e-mail
address, sometimes through a commercial VPN, and adds a new payee (a savings
account of their own, or an acquaintance in the same city) with ordinary
amounts; for the sleeper, a customer who comes back after a dormant spell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import Injector, InjectorConfig
from fraudgraph.patterns.kit import (
    CONTEXT,
    KNOWS,
    SEEN_AT,
    TRANSFERS,
    USES_DEVICE,
    USES_IP,
    Draft,
    Identities,
    Toolkit,
    blend_with_pool,
    loud_amounts,
    open_accounts,
    stem,
)
from pydantic import Field

from fraudgraph.graph import isin
from fraudgraph.units import DAY, HOUR, to_datetime, to_seconds

EDGE = stem(TRANSFERS)


class TakeoverConfig(InjectorConfig):
    min_links: int = Field(1, ge=1, le=10, description="Fewest new bank links (drop accounts) per takeover.")
    max_links: int = Field(3, ge=1, le=10, description="Most new bank links per takeover.")
    max_transfers_per_link: int = Field(3, ge=1, le=50, description="Most outbound transfers to one drop account.")
    vpn_prob: float = Field(0.65, ge=0.0, le=1.0, description="Chance the attacker uses a VPN (else a hosting address), where the world has both.")
    reuse_ip_prob: float = Field(0.3, ge=0.0, le=1.0, description="Chance the attacker's address is an existing exit rather than a new one.")


class SleeperConfig(TakeoverConfig):
    min_dormant_days: float = Field(30.0, ge=30.0, le=3650.0, description="Shortest dormancy before the takeover.")
    max_dormant_days: float = Field(240.0, ge=30.0, le=3650.0, description="Longest dormancy before the takeover.")


class AccountTakeover(Injector):
    name = "account_takeover"
    config_model = TakeoverConfig
    persons_per_instance = 3.0
    #: Status of the victims' accounts at the scenario start.
    victim_status = ("active",)

    # -- when -------------------------------------------------------------------------------
    def _when(self, kit: Toolkit, config, opened: int, born: int) -> tuple[int, dict] | None:
        """Takeover time for a victim whose account opened at ``opened``; None if it cannot happen."""
        ctx = kit.ctx
        lo = max(ctx.start, opened + DAY, born + DAY)
        hi = ctx.end - 4 * DAY
        if hi <= lo:
            return None
        return int(lo + kit.fraction(lo, hi) * (hi - lo)), {}

    def _victims(self, kit: Toolkit, n: int) -> tuple[np.ndarray, pd.DataFrame]:
        """Candidate accounts (a few spare: some cannot host a takeover in the span) with their rows."""
        self._before = (set(kit.ctx.used_accounts), set(kit.ctx.used_persons))
        accounts = kit.recruit_accounts(2 * n + 2, ("checking",), status=self.victim_status)
        return accounts, kit.accounts().set_index("id").reindex(accounts)

    def _release(self, kit: Toolkit, accounts, owners, used) -> None:
        """Give back the spare candidates that were not used (unless another instance already had them)."""
        used = set(used)
        before_acc, before_per = self._before
        for acc, owner in zip(accounts, owners):
            if acc not in used:
                if acc not in before_acc:
                    kit.ctx.used_accounts.discard(acc)
                if owner not in before_per:
                    kit.ctx.used_persons.discard(owner)

    # -- fraud --------------------------------------------------------------------------------
    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        links = world.links
        victims, info = self._victims(kit, count)
        owners = info["owner"].to_numpy(dtype=object)
        quiet = _amounts(kit, "own_accounts")
        scale = 0.3 + 2.0 * ctx.knobs.timing_spread
        plans = []
        for acc, victim, city, balance, opened in zip(victims, owners, info["owner_city"], info["opening_balance"],
                                                      to_seconds(info["opened_at"])):
            if len(plans) == count:
                break
            when = self._when(kit, config, int(opened), int(world.created("Person", [victim])[0]))
            if when is not None:
                plans.append(dict(acc=acc, victim=victim, city=str(city), balance=float(balance), t0=when[0], extra=when[1]))
        self._release(kit, victims, owners, [p["acc"] for p in plans])
        if not plans:
            return []
        t0 = np.array([p["t0"] for p in plans], dtype=np.int64)
        # the attacker's devices (one Toolkit call per kind of device) ...
        dtype = rng.choice(["web_desktop", "android", "ios"], size=len(plans), p=[0.45, 0.35, 0.2]).astype(object)
        emulator = (dtype != "web_desktop") & (rng.random(len(plans)) < 0.4)
        devices = _new_devices(kit, dtype, emulator, t0)
        # ... and addresses, in another city than the victim's
        kinds = [world.pick_proxy_kind(config.vpn_prob) for _ in plans]
        ips = np.full(len(plans), None, dtype=object)
        ip_city = np.full(len(plans), None, dtype=object)
        fresh: dict[tuple[str, str | None], list[int]] = {}
        ip_cities = kit.snapshot("IP").set_index("id")["city"]
        for i, (plan, kind) in enumerate(zip(plans, kinds)):
            if kind is None:
                continue
            elsewhere = world.ips_of_kind(kind, not_city=plan["city"])
            if elsewhere.size and rng.random() < config.reuse_ip_prob:
                ips[i] = elsewhere[rng.integers(0, elsewhere.size)]
                ip_city[i] = ip_cities.get(ips[i])
            else:
                fresh.setdefault(kind, []).append(i)
        for kind in sorted(fresh):  # new exits are located like existing ones of their kind (one call per kind)
            idx = fresh[kind]
            ips[idx] = kit.new_ips(len(idx), kind, t0[idx])
        if fresh:
            located = kit.graph.nodes["IP"].set_index("id")["city"]
            for idx in fresh.values():
                for i in idx:
                    ip_city[i] = located.get(ips[i])
        requests = []
        for i, plan in enumerate(plans):
            victim, acc, t = plan["victim"], plan["acc"], int(t0[i])
            draft = Draft(self.name, True, t)
            plan["draft"] = draft
            draft.member("Person", victim, "victim")
            draft.member("Account", acc, "victim_account")
            draft.member("Device", devices[i], "attacker_device")
            links.add(USES_DEVICE, victim, devices[i], draft=draft, role="attacker_login", is_primary=False,
                      first_seen=to_datetime([t]))
            if ips[i] is not None:
                draft.member("IP", ips[i], "attacker_ip")
                links.add(USES_IP, victim, ips[i], draft=draft, role="attacker_login", context=CONTEXT[kinds[i]],
                          first_seen=to_datetime([t]))
                links.add(SEEN_AT, devices[i], ips[i], draft=draft, role="attacker_login", first_seen=to_datetime([t]))
            draft.schedule([t], "login", stem(USES_DEVICE), victim, devices[i], detail="" if ips[i] is None else ips[i])
            # identity change, then new bank links
            changes = ["email", "phone"] if rng.random() < 0.35 else [str(rng.choice(["email", "phone"], p=[0.7, 0.3]))]
            t_change = world.clamp(t + (rng.uniform(5 * 60, 2 * HOUR, len(changes)) * scale).astype(np.int64).cumsum())
            # made in the attacker's session: the event flows on the victim's edge to the new device
            draft.schedule(t_change, "identity_change", stem(USES_DEVICE), victim, devices[i],
                           detail=np.array(changes, dtype=object))
            choices = np.arange(config.min_links, config.max_links + 1)
            weights = 0.5 ** np.arange(choices.size)  # mostly one new link, sometimes a burst of them
            n_links = int(rng.choice(choices, p=weights / weights.sum()))
            gaps = (rng.uniform(10 * 60, 12 * HOUR, n_links) * scale).astype(np.int64)
            t_link = world.clamp(int(t_change.max()) + gaps.cumsum())
            plan.update(req=len(requests), links=n_links, t_link=t_link)
            requests += [(draft, victim, "savings", int(x), "drop_account") for x in t_link]
            plan["params"] = {"new_city": ip_city[i], "ip_kind": kinds[i], "device_type": str(dtype[i]),
                              "emulator": bool(emulator[i]), "identity_changes": changes, "bank_links": n_links,
                              **plan["extra"]}
        drops = open_accounts(kit, requests)
        for plan in plans:
            draft, acc, n_links, t_link = plan["draft"], plan["acc"], plan["links"], plan["t_link"]
            mine = drops[plan["req"]: plan["req"] + n_links]
            per = rng.integers(1, config.max_transfers_per_link + 1, n_links)
            n_tr = int(per.sum())
            amounts = blend_with_pool(rng, loud_amounts(rng, quiet, n_tr), quiet, ctx.knobs.amount_blending)
            dst = np.repeat(mine, per)
            t = world.clamp(np.repeat(t_link, per) + (rng.uniform(0.5 * HOUR, 2 * DAY, n_tr) * scale).astype(np.int64))
            typical = np.array([amounts[dst == d].mean() for d in mine])
            links.add(TRANSFERS, acc, mine, draft=draft, role="bank_link", kind="own_accounts",
                      typical_amount=np.round(typical, 2), since=to_datetime(t_link),
                      monthly_count=np.round(per / max(1.0, (ctx.end - int(t_link[0])) / (30 * DAY)), 3))
            draft.schedule(t_link, "bank_link", EDGE, acc, mine)
            draft.schedule(t, "transfer", EDGE, acc, dst, amounts)
            draft.parameters = {**plan["params"], "transfers": n_tr, "total_amount": round(float(amounts.sum()), 2)}
        world.close()
        return [plan["draft"].build() for plan in plans]

    # -- decoys --------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        links = world.links
        accounts, info = self._victims(kit, count)
        owners = info["owner"].to_numpy(dtype=object)
        plans = []
        for acc, person, opened in zip(accounts, owners, to_seconds(info["opened_at"])):
            if len(plans) == count:
                break
            when = self._when(kit, config, int(opened), int(world.created("Person", [person])[0]))
            if when is not None:
                plans.append(dict(acc=acc, person=person, t0=when[0], extra=when[1]))
        self._release(kit, accounts, owners, [p["acc"] for p in plans])
        if not plans:
            return []
        quiet, quiet_p2p = _amounts(kit, "own_accounts"), _amounts(kit, "p2p")
        persons = [p["person"] for p in plans]
        homes = world.home_ip(persons)
        friends = _local_acquaintances(kit, persons)
        payable = world.accounts_of(sorted({f for fs in friends.values() for f in fs}), ("checking", "wallet"))
        payable = dict(zip(sorted({f for fs in friends.values() for f in fs}), payable))
        vpn = world.ips_of_kind("vpn") if "vpn" in world.proxy_kinds() else np.empty(0, object)
        t0 = np.array([p["t0"] for p in plans], dtype=np.int64)
        dtype = rng.choice(["ios", "android", "web_desktop"], size=len(plans), p=[0.4, 0.3, 0.3]).astype(object)
        devices = _new_devices(kit, dtype, np.zeros(len(plans), bool), t0)
        requests = []
        for i, plan in enumerate(plans):
            acc, person, t = plan["acc"], plan["person"], int(t0[i])
            draft = Draft(self.name, False, t, variant="returning_customer" if plan["extra"] else "new_device")
            plan["draft"] = draft
            draft.member("Person", person, "customer")
            draft.member("Account", acc, "customer_account")
            draft.member("Device", devices[i], "new_device")
            links.add(USES_DEVICE, person, devices[i], draft=draft, role="new_device", is_primary=False,
                      first_seen=to_datetime([t]))
            via = homes.get(person)
            if vpn.size and rng.random() < 0.3:  # a customer who browses through a commercial VPN
                via = vpn[rng.integers(0, vpn.size)]
                links.add(USES_IP, person, via, draft=draft, role="vpn", context="vpn", first_seen=to_datetime([t]))
            if via is not None:
                links.add(SEEN_AT, devices[i], via, draft=draft, role="new_device", first_seen=to_datetime([t]))
                draft.member("IP", via, "own_ip")
            draft.schedule([t], "login", stem(USES_DEVICE), person, devices[i], detail="" if via is None else via)
            changes = ["email"] + (["phone"] if rng.random() < 0.3 else [])
            t_change = world.clamp(t + rng.uniform(HOUR, 10 * DAY, len(changes)).astype(np.int64))
            draft.schedule(t_change, "identity_change", stem(USES_DEVICE), person, devices[i],
                           detail=np.array(changes, dtype=object))
            t_link = int(world.clamp(t + int(rng.uniform(HOUR, 20 * DAY))))
            mates = [f for f in friends.get(person, []) if payable.get(f) is not None]
            payee = None
            if mates and rng.random() < 0.4:  # a new payee: an acquaintance in the same city
                payee = payable[mates[int(rng.integers(0, len(mates)))]]
            plan.update(payee=payee, req=None, t_link=t_link, params={
                "device_type": str(dtype[i]), "identity_changes": changes,
                "vpn": bool(via is not None and via != homes.get(person)), "decoy_of": self.name, **plan["extra"]})
            if payee is None:  # a savings account of their own
                plan["req"] = len(requests)
                requests.append((draft, person, "savings", t_link, "new_payee_account"))
        opened = open_accounts(kit, requests)
        known = kit.pairs(TRANSFERS)
        for plan in plans:
            draft, acc, t_link = plan["draft"], plan["acc"], plan["t_link"]
            payee, kind, pool = plan["payee"], "p2p", quiet_p2p
            if payee is None:
                payee, kind, pool = opened[plan["req"]], "own_accounts", quiet
            else:
                draft.member("Account", payee, "new_payee_account")
            n_tr = int(rng.integers(1, 4))
            base = blend_with_pool(rng, np.zeros(1), pool, 1.0)[0]
            amounts = np.round(base * rng.uniform(0.9, 1.1, n_tr), 2)
            t = world.clamp(t_link + np.sort(rng.uniform(HOUR, 30 * DAY, n_tr)).astype(np.int64))
            if f"{acc}|{payee}" not in known:
                draft.schedule([t_link], "bank_link", EDGE, acc, payee)
            links.add(TRANSFERS, acc, payee, draft=draft, role="new_payee", kind=kind, typical_amount=round(float(base), 2),
                      monthly_count=float(n_tr), since=to_datetime([t_link]))
            draft.schedule(t, "transfer", EDGE, acc, payee, amounts)
            draft.parameters = {**plan["params"], "payee_kind": kind, "transfers": n_tr,
                                "total_amount": round(float(amounts.sum()), 2)}
        world.close()
        return [plan["draft"].build() for plan in plans]


def _new_devices(kit: Toolkit, dtype: np.ndarray, emulator: np.ndarray, first_seen: np.ndarray) -> np.ndarray:
    """One new device per row, made with one Toolkit call per (type, emulator) pair."""
    out = np.empty(dtype.size, dtype=object)
    for t in sorted(set(dtype.tolist())):
        for e in (False, True):
            m = (dtype == t) & (emulator == e)
            if m.any():
                out[m] = kit.new_devices(int(m.sum()), t, first_seen[m], emulator=e)
    return out


class SleeperTakeover(AccountTakeover):
    name = "sleeper_takeover"
    config_model = SleeperConfig
    persons_per_instance = 3.0
    victim_status = ("dormant",)

    def _when(self, kit: Toolkit, config, opened: int, born: int) -> tuple[int, dict] | None:
        """After a dormant spell of ``min_dormant_days`` or more that began no later than the scenario start."""
        ctx, rng = kit.ctx, kit.rng
        lo_days, hi_days = config.min_dormant_days, config.max_dormant_days
        hi = ctx.end - 4 * DAY
        t0 = int(ctx.start + DAY + kit.fraction(ctx.start + DAY, ctx.start + DAY + max(hi - ctx.start - DAY, 1))
                 * max(hi - ctx.start - DAY, 1))
        dormant_since = int(min(ctx.start, t0 - rng.uniform(lo_days, hi_days) * DAY))
        dormant_since = max(dormant_since, opened + DAY, born + DAY)  # it was opened, used, then went quiet
        if dormant_since > ctx.start:
            return None  # dormant at the start means quiet since before it
        t0 = max(t0, int(dormant_since + lo_days * DAY))
        if t0 > hi:
            return None
        return t0, {"dormant_days": round((t0 - dormant_since) / DAY, 1), "dormant_since": int(dormant_since)}


def _amounts(kit: Toolkit, kind: str) -> np.ndarray:
    t = kit.graph.edges[TRANSFERS]
    values = t.loc[(t["kind"] == kind).to_numpy(), "typical_amount"].to_numpy(dtype=float)
    return values if values.size else t["typical_amount"].to_numpy(dtype=float)


def _local_acquaintances(kit: Toolkit, persons) -> dict[str, list[str]]:
    """For each person, the persons they know who live in the same city."""
    knows = kit.graph.edges[KNOWS][["src", "dst"]]
    wanted = set(persons)
    ids = pd.Series(sorted(wanted), dtype="str")
    knows = knows[np.asarray(isin(knows["src"], ids), dtype=bool) | np.asarray(isin(knows["dst"], ids), dtype=bool)]
    pairs = list(zip(knows["src"].tolist(), knows["dst"].tolist()))
    city = kit.snapshot("Person").set_index("id")["city"]
    out: dict[str, list[str]] = {}
    for a, b in pairs:
        for me, other in ((a, b), (b, a)):
            if me in wanted and city.get(me) == city.get(other):
                out.setdefault(me, []).append(other)
    return {k: sorted(v) for k, v in out.items()}
