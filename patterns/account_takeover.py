"""Account takeover, and its sleeper variant.

Fraud: an attacker logs into an ordinary customer's profile from a new device
through a VPN or hosting address in another city, changes the e-mail address or
phone number, links one to three new bank accounts (drop accounts opened in the
victim's name, which the attacker controls), and moves money out to them in
high-value transfers within hours or days. ``sleeper_takeover`` does the same to
an account that has been dormant for 30 days or more.

The links are ``own_accounts`` transfers (to a savings account in the victim's
name): ``p2p`` needs persons who know each other, and an attacker is nobody the
victim knows; drop accounts opened with a stolen identity are common.

Decoys: a customer who gets a new phone or laptop, changes their e-mail
address, sometimes through a commercial VPN, and adds a new payee (a savings
account of their own, or an acquaintance in the same city), each step in a session
as the attacker's are: ordinary amounts, often one as large as a drain (savings
moved over, a car bought); for the sleeper, a customer back from dormancy, often briefly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import Injector, InjectorConfig
from fraudgraph.patterns.kit import (
    SEEN_AT,
    TRANSFERS,
    USES_DEVICE,
    USES_IP,
    Draft,
    Identities,
    Toolkit,
    action_sessions,
    blend_with_pool,
    first_login,
    loud_amounts,
    open_accounts,
    stem,
    typical_transfers,
)
from fraudgraph.patterns.kit.exits import remote_exits
from pydantic import Field

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
        return accounts, kit.account_rows(accounts)

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

    def _plans(self, kit: Toolkit, world: Identities, config, count: int) -> list[dict]:
        """Up to ``count`` accounts (and their owners) that can host the event in the span, with its time."""
        accounts, info = self._victims(kit, count)
        owners = info["owner"].to_numpy(dtype=object)
        plans = []
        for acc, person, city, opened in zip(accounts, owners, info["owner_city"], to_seconds(info["opened_at"])):
            if len(plans) == count:
                break
            when = self._when(kit, config, int(opened), int(world.created("Person", [person])[0]))
            if when is not None:
                plans.append(dict(acc=acc, person=person, city=str(city), t0=when[0], extra=when[1]))
        self._release(kit, accounts, owners, [p["acc"] for p in plans])
        return plans

    # -- fraud --------------------------------------------------------------------------------
    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        plans = self._plans(kit, world, config, count)
        if not plans:
            return []
        quiet = typical_transfers(graph, "own_accounts")
        t0 = np.array([p["t0"] for p in plans], dtype=np.int64)
        # the attacker's devices (one Toolkit call per kind of device) and addresses, in another city
        dtype = rng.choice(["web_desktop", "android", "ios"], size=len(plans), p=[0.45, 0.35, 0.2]).astype(object)
        emulator = (dtype != "web_desktop") & (rng.random(len(plans)) < 0.4)
        devices = kit.new_devices_each(dtype, emulator, t0)
        kinds, ips, ip_city = remote_exits(world, [p["city"] for p in plans], t0, vpn_prob=config.vpn_prob,
                                           reuse_prob=config.reuse_ip_prob)
        requests = []
        for i, plan in enumerate(plans):
            plan["draft"] = Draft(self.name, True, int(t0[i]))
            self._compromise(world, config, plan, devices[i], ips[i], kinds[i], requests)
            plan["params"] = {"new_city": ip_city[i], "ip_kind": kinds[i], "device_type": str(dtype[i]),
                              "emulator": bool(emulator[i]), "identity_changes": plan["changes"],
                              "bank_links": plan["links"], **plan["extra"]}
        drops = open_accounts(kit, requests)
        for plan in plans:
            _drain(world, config, plan, drops[plan["req"]: plan["req"] + plan["links"]], quiet)
        world.close()
        return [plan["draft"].build() for plan in plans]

    def _compromise(self, world: Identities, config, plan: dict, device, ip, kind, requests: list) -> None:
        """The attacker logs in, changes the e-mail or phone, then links new bank accounts (``requests``)."""
        rng, links = world.kit.rng, world.links
        draft, victim, t = plan["draft"], plan["person"], plan["t0"]
        scale = 0.3 + 2.0 * world.kit.ctx.knobs.timing_spread
        draft.member("Person", victim, "victim")
        draft.member("Account", plan["acc"], "victim_account")
        first_login(links, draft, victim, device, ip, kind, t,
                    roles=("attacker_device", "attacker_ip", "attacker_login"))
        plan.update(device=device, ip=ip)
        changes = ["email", "phone"] if rng.random() < 0.35 else [str(rng.choice(["email", "phone"], p=[0.7, 0.3]))]
        t_change = world.clamp(t + (rng.uniform(5 * 60, 2 * HOUR, len(changes)) * scale).astype(np.int64).cumsum())
        # made in the attacker's session: the event flows on the victim's edge to the new device
        draft.schedule(t_change, "identity_change", stem(USES_DEVICE), victim, device,
                       detail=np.array(changes, dtype=object))
        choices = np.arange(config.min_links, config.max_links + 1)
        weights = 0.5 ** np.arange(choices.size)  # mostly one new link, sometimes a burst of them
        n_links = int(rng.choice(choices, p=weights / weights.sum()))
        gaps = (rng.uniform(10 * 60, 12 * HOUR, n_links) * scale).astype(np.int64)
        t_link = world.clamp(int(t_change.max()) + gaps.cumsum())
        plan.update(req=len(requests), links=n_links, t_link=t_link, changes=changes)
        requests += [(draft, victim, "savings", int(x), "drop_account") for x in t_link]

    # -- decoys --------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        plans = self._plans(kit, world, config, count)
        if not plans:
            return []
        quiet = {"own_accounts": typical_transfers(graph, "own_accounts"), "p2p": typical_transfers(graph, "p2p")}
        persons = [p["person"] for p in plans]
        homes = world.home_ip(persons)
        friends = kit.acquaintances_in_city(persons)
        known = sorted({f for fs in friends.values() for f in fs})
        payable = dict(zip(known, world.accounts_of(known, ("checking", "wallet"))))
        vpn = world.ips_of_kind("vpn") if "vpn" in world.proxy_kinds() else np.empty(0, object)
        t0 = np.array([p["t0"] for p in plans], dtype=np.int64)
        dtype = rng.choice(["ios", "android", "web_desktop"], size=len(plans), p=[0.4, 0.3, 0.3]).astype(object)
        devices = kit.new_devices_each(dtype, np.zeros(len(plans), bool), t0)
        requests = []
        for i, plan in enumerate(plans):
            person = plan["person"]
            plan["draft"] = Draft(self.name, False, int(t0[i]), variant="returning_customer" if plan["extra"] else "new_device")
            via = _new_session(world, plan, devices[i], homes.get(person), vpn)
            one_off = bool(plan["extra"]) and rng.random() < 0.75  # a one-off visit does its errands in a day or two
            plan.update(device=devices[i], ip=via, one_off=one_off, pace=0.2 if one_off else 1.0)
            changes = ["email"] + (["phone"] if rng.random() < 0.3 else [])
            t_change = world.clamp(plan["t0"] + np.minimum(HOUR + rng.exponential(2 * plan["pace"] * DAY, len(changes)), 10 * DAY).astype(np.int64))
            plan["draft"].schedule(t_change, "identity_change", stem(USES_DEVICE), person, devices[i],
                                   detail=np.array(changes, dtype=object))
            t_link = int(world.clamp(plan["t0"] + int(min(HOUR + rng.exponential(4 * plan["pace"] * DAY), 20 * DAY))))
            mates = [f for f in friends.get(person, []) if payable.get(f) is not None]
            payee = None
            if mates and rng.random() < 0.4:  # a new payee: an acquaintance in the same city
                payee = payable[mates[int(rng.integers(0, len(mates)))]]
            plan.update(payee=payee, req=None, t_link=t_link, t_change=t_change, params={
                "device_type": str(dtype[i]), "identity_changes": changes,
                "vpn": bool(via is not None and via != homes.get(person)), "decoy_of": self.name, **plan["extra"]})
            if payee is None:  # a savings account of their own
                plan["req"] = len(requests)
                requests.append((plan["draft"], person, "savings", t_link, "new_payee_account"))
        opened = open_accounts(kit, requests)
        known_pairs = kit.pairs(TRANSFERS)
        for plan in plans:
            _pay_new_payee(world, plan, opened, known_pairs, quiet)
        world.close()
        return [plan["draft"].build() for plan in plans]


def _drain(world: Identities, config, plan: dict, drops, quiet) -> None:
    """High-value transfers from the victim's account to the new drop accounts, within hours or days."""
    kit, rng = world.kit, world.kit.rng
    draft, acc, n_links, t_link = plan["draft"], plan["acc"], plan["links"], plan["t_link"]
    scale = 0.3 + 2.0 * kit.ctx.knobs.timing_spread
    per = rng.integers(1, config.max_transfers_per_link + 1, n_links)
    n_tr = int(per.sum())
    amounts = blend_with_pool(rng, loud_amounts(rng, quiet, n_tr), quiet, kit.ctx.knobs.amount_blending)
    dst = np.repeat(drops, per)
    t = world.clamp(np.repeat(t_link, per) + (rng.uniform(0.5 * HOUR, 2 * DAY, n_tr) * scale).astype(np.int64))
    typical = np.array([amounts[dst == d].mean() for d in drops])
    world.links.add(TRANSFERS, acc, drops, draft=draft, role="bank_link", kind="own_accounts",
                    typical_amount=np.round(typical, 2), since=to_datetime(t_link),
                    monthly_count=np.round(per / max(1.0, (kit.ctx.end - int(t_link[0])) / (30 * DAY)), 3))
    draft.schedule(t_link, "bank_link", EDGE, acc, drops)
    draft.schedule(t, "transfer", EDGE, acc, dst, amounts)
    action_sessions(world, draft, plan["person"], plan["device"], plan["ip"], np.r_[t_link, t])
    draft.parameters = {**plan["params"], "transfers": n_tr, "total_amount": round(float(amounts.sum()), 2)}


def _new_session(world: Identities, plan: dict, device, home, vpn) -> str | None:
    """A customer's first login from a new device, at home or through a commercial VPN. Returns the address."""
    rng, links = world.kit.rng, world.links
    draft, person, acc, t = plan["draft"], plan["person"], plan["acc"], plan["t0"]
    draft.member("Person", person, "customer")
    draft.member("Account", acc, "customer_account")
    draft.member("Device", device, "new_device")
    links.add(USES_DEVICE, person, device, draft=draft, role="new_device", is_primary=False, first_seen=to_datetime([t]))
    via = home
    if vpn.size and rng.random() < 0.3:
        via = vpn[rng.integers(0, vpn.size)]
        links.add(USES_IP, person, via, draft=draft, role="vpn", context="vpn", first_seen=to_datetime([t]))
    if via is not None:
        links.add(SEEN_AT, device, via, draft=draft, role="new_device", first_seen=to_datetime([t]))
        draft.member("IP", via, "own_ip")
    draft.schedule([t], "login", stem(USES_DEVICE), person, device, detail="" if via is None else via)
    return via


def _pay_new_payee(world: Identities, plan: dict, opened, known_pairs, quiet: dict) -> None:
    """A few ordinary transfers to the new payee (an acquaintance, or a new savings account of their own)."""
    rng, draft, acc, t_link, payee = world.kit.rng, plan["draft"], plan["acc"], plan["t_link"], plan["payee"]
    kind = "p2p"
    if payee is None:
        payee, kind = opened[plan["req"]], "own_accounts"
    else:
        draft.member("Account", payee, "new_payee_account")
    n_tr = int(rng.integers(1, 4))
    base = blend_with_pool(rng, np.zeros(1), quiet[kind], 1.0)[0]
    amounts = np.round(base * rng.uniform(0.9, 1.1, n_tr), 2)
    if rng.random() < (0.8 if kind == "own_accounts" else 0.4):  # savings moved over, a car bought: drain-sized
        amounts[-1] = blend_with_pool(rng, loud_amounts(rng, quiet[kind], 1), quiet[kind], world.kit.ctx.knobs.amount_blending)[0]
    t = world.clamp(t_link + np.sort(np.minimum(HOUR + rng.exponential(5 * plan["pace"] * DAY, n_tr), 30 * DAY)).astype(np.int64))
    if f"{acc}|{payee}" not in known_pairs:
        draft.schedule([t_link], "bank_link", EDGE, acc, payee)
    world.links.add(TRANSFERS, acc, payee, draft=draft, role="new_payee", kind=kind, typical_amount=round(float(amounts.mean()), 2),
                    monthly_count=float(n_tr), since=to_datetime([t_link]))
    draft.schedule(t, "transfer", EDGE, acc, payee, amounts)
    draft.parameters = {**plan["params"], "payee_kind": kind, "transfers": n_tr, "total_amount": round(float(amounts.sum()), 2)}
    action_sessions(world, draft, plan["person"], plan["device"], plan["ip"], np.r_[plan["t_change"], t_link, t])
    if plan["one_off"]:  # back for a few errands, then quiet again
        draft.parameters["dormant_again_at"] = int(t.max()) + int(rng.uniform(HOUR, 2 * DAY))


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
