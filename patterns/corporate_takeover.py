"""Corporate account takeover: a company's business account run by an attacker who holds an officer's login.

Fraud: an attacker logs into the business portal as one of the company's officers or directors, from a
new device and through a VPN or hosting address in another city (phished credentials, or a session stolen
by malware), often changes the officer's e-mail address or phone first so that confirmations reach them,
then adds payees to the company's account and pays them within hours or days. The payees are new accounts
at institutions none of the company's suppliers use, held by mules (a personal account opened for it) or
shell companies (incorporated before the scenario, no staff); the payments are invoice-like: in the range
of the company's real supplier invoices, mostly round. Variants:

* ``credential_phishing``: two to four new "suppliers", each paid one to three invoices;
* ``payee_swap``: an existing supplier's bank details are replaced by the attacker's account, which
  receives that supplier's usual invoice (to the cent), sometimes next to one more new payee.

Schedules: ``login`` rows on the officer's USES_DEVICE edge to the new device (one before every stretch
of actions), ``identity_change`` on the same edge, ``bank_link`` and ``transfer`` (detail
``invoice_payment``) on the new TRANSFERS_TO edges of kind ``supplier``. The company's account is the
``victim_account``: nobody tops it up, so a payment beyond its balance is refused.

Decoys: a company whose treasury staff changes: a new officer joins (WORKS_AT, and the payroll), logs in
from a new device at the office, through the company's VPN or from a hosted virtual desktop, often sets a
new e-mail address or phone, and over about a quarter adds new suppliers: existing companies, newly
incorporated ones and sole traders with an account opened for the business, at new institutions as often
as not. Goods suppliers also ship (SUPPLIES, ``shipment`` rows); services are billed without goods. Each
is paid ordinary invoices in the same range, month by month.
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import Injector, InjectorConfig
from fraudgraph.patterns.kit import (
    TRANSFERS,
    USES_DEVICE,
    WORKS_AT,
    Draft,
    Identities,
    Toolkit,
    action_sessions,
    first_login,
    monthly_rate,
    stem,
)
from fraudgraph.patterns.kit.business import (
    company_books,
    invoice_amounts,
    new_institution,
    new_payee,
    pay_supplier,
    pick_companies,
)
from fraudgraph.patterns.kit.exits import remote_exits
from fraudgraph.patterns.kit.trade_partners import (
    SUPPLIES,
    SUPPLIES_STEM,
    TradePartners,
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.units import DAY, HOUR, to_datetime

#: How likely a company of each industry is to be picked, fraud and decoys alike (others weigh 0.5).
INDUSTRY_WEIGHT = {"manufacturing": 2.0, "construction": 2.0, "import_export": 2.0, "transport": 1.5,
                   "retail": 1.5, "technology": 1.5, "healthcare": 1.0, "professional_services": 1.0}
#: Industries of the new companies that are paid (shells and new suppliers alike).
PAYEE_INDUSTRIES = ("professional_services", "technology", "construction", "transport", "import_export")
#: Kinds of payee: a new company, a person with an account opened for the business, an existing company.
PAYEE_KINDS = ("new_company", "sole_trader", "existing_company")


class CorporateTakeoverConfig(InjectorConfig):
    min_payees: int = Field(2, ge=1, le=10, description="Fewest new payees the attacker adds (credential_phishing).")
    max_payees: int = Field(4, ge=1, le=10, description="Most new payees the attacker adds (credential_phishing).")
    max_payments_per_payee: int = Field(3, ge=1, le=20, description="Most invoices paid to one attacker payee.")
    payee_swap_share: float = Field(0.35, ge=0.0, le=1.0, description="Share of takeovers that swap an existing supplier's bank details (payee_swap) rather than add new suppliers.")
    mule_share: float = Field(0.5, ge=0.0, le=1.0, description="Share of attacker payees held by mules (personal accounts); the rest by shell companies.")
    contact_change_prob: float = Field(0.6, ge=0.0, le=1.0, description="Chance the attacker changes the officer's e-mail or phone before paying.")
    vpn_prob: float = Field(0.65, ge=0.0, le=1.0, description="Chance the attacker connects through a VPN (else a hosting address), where the world has both.")
    reuse_ip_prob: float = Field(0.3, ge=0.0, le=1.0, description="Chance the attacker's address is an existing exit rather than a new one.")
    min_decoy_suppliers: int = Field(2, ge=1, le=10, description="Fewest suppliers a decoy company adds over the quarter.")
    max_decoy_suppliers: int = Field(4, ge=1, le=10, description="Most suppliers a decoy company adds over the quarter.")
    decoy_days: float = Field(90.0, ge=14.0, le=365.0, description="Period over which a decoy company adds its suppliers (shorter if the span is).")


class CorporateTakeover(Injector):
    name = "corporate_account_takeover"
    config_model = CorporateTakeoverConfig
    persons_per_instance = 5.0

    # -- fraud --------------------------------------------------------------------------
    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        trade = TradePartners(graph, kit, INDUSTRY_WEIGHT)
        plans = pick_companies(kit, trade, count, officer=True)
        if not plans:
            return []
        company_books(kit, plans)
        lo, hi = ctx.start + 2 * DAY, ctx.end - 5 * DAY
        t0 = np.array([int(lo + kit.fraction(lo, hi) * max(hi - lo, 1)) for _ in plans], dtype=np.int64)
        dtype = rng.choice(["web_desktop", "web_mobile", "android"], size=len(plans), p=[0.7, 0.15, 0.15]).astype(object)
        devices = kit.new_devices_each(dtype, np.zeros(len(plans), bool), t0)
        city = kit.lookup("Person", "city")
        kinds, ips, ip_city = remote_exits(world, [city.get(p["officer"]) for p in plans], t0,
                                           vpn_prob=config.vpn_prob, reuse_prob=config.reuse_ip_prob)
        out = []
        for i, plan in enumerate(plans):
            swap = bool(plan["suppliers"].size) and rng.random() < config.payee_swap_share
            draft = Draft(self.name, True, int(t0[i]), variant="payee_swap" if swap else "credential_phishing")
            draft.member("Company", plan["company"], "victim_company")
            draft.member("Account", plan["acc"], "victim_account")
            draft.member("Person", plan["officer"], "compromised_officer")
            draft.edge(WORKS_AT, plan["officer"], plan["company"], "compromised_officer")
            actions = self._break_in(world, config, draft, plan, devices[i], ips[i], kinds[i], int(t0[i]))
            params = self._drain(kit, trade, world, config, draft, plan, int(actions[-1]), swap)
            action_sessions(world, draft, plan["officer"], devices[i], ips[i], np.r_[actions[1:], params.pop("times")])
            draft.parameters = {"device_type": str(dtype[i]), "ip_kind": kinds[i], "new_city": ip_city[i],
                                **draft.parameters, **params}
            out.append(draft)
        world.close()
        return [d.build() for d in out]

    def _break_in(self, world: Identities, config, draft: Draft, plan: dict, device, ip, kind, t: int) -> np.ndarray:
        """The attacker's first login as the officer and, often, a contact change; returns the action times."""
        rng, links, officer = world.kit.rng, world.links, plan["officer"]
        scale = 0.3 + 2.0 * world.kit.ctx.knobs.timing_spread
        first_login(links, draft, officer, device, ip, kind, t,
                    roles=("attacker_device", "attacker_ip", "attacker_login"))
        times = [t]
        if rng.random() < config.contact_change_prob:
            field = str(rng.choice(["email", "phone"], p=[0.75, 0.25]))
            t_change = int(world.clamp(t + int(rng.uniform(5 * 60, 2 * HOUR) * scale)))
            draft.schedule([t_change], "identity_change", stem(USES_DEVICE), officer, device, detail=field)
            times.append(t_change)
            draft.parameters["identity_changes"] = [field]
        return np.array(times, dtype=np.int64)

    def _drain(self, kit: Toolkit, trade: TradePartners, world: Identities, config, draft: Draft, plan: dict,
               t: int, swap: bool) -> dict:
        """New payees at new institutions, linked within hours, paid invoice-like amounts within days."""
        rng = kit.rng
        scale = 0.3 + 2.0 * kit.ctx.knobs.timing_spread
        b = kit.ctx.knobs.amount_blending
        n = 1 + int(rng.random() < 0.4) if swap else int(rng.integers(config.min_payees, config.max_payees + 1))
        t_link = world.clamp(t + (rng.uniform(20 * 60, 18 * HOUR, n) * scale).astype(np.int64).cumsum())
        used = set(plan["used_institutions"])
        payees, times, total = [], [], 0.0
        swapped = None
        for k in range(n):
            institution = new_institution(kit, used)
            used.add(institution)
            kind = "sole_trader" if rng.random() < config.mule_share else "new_company"
            opened = int(t_link[k] - rng.uniform(2, 45) * DAY)
            label, holder, acc = new_payee(kit, trade, world, draft, kind, opened, institution,
                                           ("shell_company", "mule", "payee_account"), industries=PAYEE_INDUSTRIES)
            per = int(rng.integers(1, config.max_payments_per_payee + 1))
            t_pay = t_link[k] + (rng.uniform(0.5 * HOUR, 3 * DAY, per) * scale).astype(np.int64)
            if swap and k == 0:  # the supplier's own invoice, paid to the attacker's account instead
                row = plan["suppliers"][int(rng.integers(0, len(plan["suppliers"])))]
                swapped = {"account": str(row[0]), "company": plan["payee_company"].get(row[0])}
                amounts = np.round(float(row[1]) * rng.uniform(0.9, 1.1, per), 2)
            else:
                amounts = invoice_amounts(rng, plan["invoices"], per, high_end=2.0 * (1.0 - b), round_prob=0.75)
            pay_supplier(world, draft, plan["acc"], acc, int(t_link[k]), t_pay, amounts, "attacker_payee")
            payees.append({"kind": "mule" if label == "Person" else "shell_company", "holder": holder,
                           "account": acc, "institution": institution, "payments": per,
                           "amount": round(float(amounts.sum()), 2)})
            times += [int(t_link[k]), *t_pay.tolist()]
            total += float(amounts.sum())
        out = {"payees": payees, "total_amount": round(total, 2), "times": np.array(times, dtype=np.int64)}
        if swapped is not None:
            out["swapped_supplier"] = swapped
        return out

    # -- decoys --------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        trade = TradePartners(graph, kit, INDUSTRY_WEIGHT)
        plans = pick_companies(kit, trade, count, officer=False)
        if not plans:
            return []
        company_books(kit, plans)
        employed = set(graph.edges[WORKS_AT]["src"].tolist())
        company_city = kit.lookup("Company", "city")
        span = ctx.end - ctx.start
        quarter = int(min(config.decoy_days * DAY, max(span - 4 * DAY, DAY)))
        lo, hi = ctx.start, ctx.end - quarter - 2 * DAY
        out = []
        for plan in plans:
            t0 = int(lo + kit.fraction(lo, max(hi, lo + 1)) * max(hi - lo, 1))
            city = company_city.get(plan["company"])
            officer = kit.recruit_persons(1, city=city, exclude=employed, before=t0 - DAY)
            if not officer.size:
                officer = kit.recruit_persons(1, exclude=employed, before=t0 - DAY)
            if not officer.size:
                break
            draft = Draft(self.name, False, t0, variant="treasury_change")
            draft.member("Company", plan["company"], "company")
            draft.member("Account", plan["acc"], "company_account")
            plan["officer"] = str(officer[0])
            device, ip, via = self._new_officer(world, draft, plan, t0)
            actions = [t0]
            if rng.random() < config.contact_change_prob:
                field = str(rng.choice(["email", "phone"], p=[0.75, 0.25]))
                t_change = int(world.clamp(t0 + int(min(HOUR + rng.exponential(2 * DAY), 10 * DAY))))
                draft.schedule([t_change], "identity_change", stem(USES_DEVICE), plan["officer"], device, detail=field)
                actions.append(t_change)
                draft.parameters["identity_changes"] = [field]
            params = self._new_suppliers(kit, trade, world, config, draft, plan, t0, quarter)
            action_sessions(world, draft, plan["officer"], device, ip, np.r_[actions[1:], params.pop("times")])
            draft.parameters = {**draft.parameters, "ip_kind": via, **params, "decoy_of": self.name}
            out.append(draft)
        world.close()
        return [d.build() for d in out]

    def _new_officer(self, world: Identities, draft: Draft, plan: dict, t: int):
        """A new officer joins (and is paid like a colleague), then logs in from a new work device at the office,
        through the company's VPN or from a hosted virtual desktop. Returns the device, the address and its kind."""
        kit, rng, links, person = world.kit, world.kit.rng, world.links, plan["officer"]
        draft.member("Person", person, "new_officer")
        # WORKS_AT has a property named role, which Links.add keeps for the draft: linked directly
        kit.link(WORKS_AT, [person], [plan["company"]], role="officer", since=to_datetime([t]))
        draft.edge(WORKS_AT, person, plan["company"], "new_officer")
        salary_to = kit.account_of([person], ("checking", "savings"))[0]
        if len(plan["payroll"]) and salary_to is not None:  # paid like a colleague from the first payday
            amount, per_month = plan["payroll"][int(rng.integers(0, len(plan["payroll"])))]
            links.add(TRANSFERS, plan["acc"], salary_to, draft=draft, role="salary", kind="payroll",
                      typical_amount=float(amount), monthly_count=float(per_month), since=to_datetime([t]))
        dtype = str(rng.choice(["web_desktop", "web_mobile", "android"], p=[0.7, 0.15, 0.15]))
        device = kit.new_devices(1, dtype, [t])[0]
        kinds = [k for k in ("vpn", "hosting") if k in world.proxy_kinds()]
        u = rng.random()
        kind = "vpn" if u < 0.3 and "vpn" in kinds else ("hosting" if u < 0.45 and "hosting" in kinds else "corporate")
        if kind == "corporate":
            ip = kit.new_ips(1, "corporate", [t], city=kit.lookup("Company", "city").get(plan["company"]))[0]
        else:
            pool = world.ips_of_kind(kind)
            ip = pool[rng.integers(0, pool.size)]
        first_login(links, draft, person, device, ip, kind, t, roles=("new_device", "office_ip", "new_device"))
        return device, ip, kind

    def _new_suppliers(self, kit: Toolkit, trade: TradePartners, world: Identities, config, draft: Draft, plan: dict,
                       t0: int, quarter: int) -> dict:
        """Suppliers added one by one over the quarter, each paid ordinary invoices month by month."""
        rng, ctx = kit.rng, kit.ctx
        n = int(rng.integers(config.min_decoy_suppliers, config.max_decoy_suppliers + 1))
        t_link = world.clamp(np.sort(t0 + (rng.uniform(HOUR, quarter, n)).astype(np.int64)))
        used = set(plan["used_institutions"])
        suppliers, times, total = [], [], 0.0
        for k in range(n):
            kind = PAYEE_KINDS[int(rng.choice(3, p=[0.3, 0.3, 0.4]))]
            institution = new_institution(kit, used) if rng.random() < 0.6 else None
            opened = int(t_link[k] - rng.uniform(2, 45) * DAY)
            label, holder, acc = new_payee(kit, trade, world, draft, kind, opened, institution,
                                           ("supplier_company", "sole_trader", "supplier_account"),
                                           industries=PAYEE_INDUSTRIES, exclude=plan["partners"])
            used.add(kit.lookup("Account", "institution").get(acc, institution))
            first = int(t_link[k] + rng.uniform(HOUR, 10 * DAY))
            months = max(1, min(4, int((ctx.end - first) // (30 * DAY)) + 1))
            t_pay = first + np.arange(months) * 30 * DAY + rng.normal(0, 3 * DAY, months).astype(np.int64)
            t_pay = np.maximum(t_pay, int(t_link[k]) + HOUR)
            t_pay = t_pay[t_pay < ctx.end - 120]
            if not t_pay.size:
                t_pay = np.array([int(t_link[k]) + HOUR])
            retainer = rng.random() < 0.5  # services billed a fixed fee; goods by the shipment
            base = invoice_amounts(rng, plan["invoices"], 1, high_end=0.0, round_prob=0.8 if retainer else 0.3)[0]
            amounts = np.full(t_pay.size, base) if retainer else np.round(base * rng.uniform(0.85, 1.15, t_pay.size), 2)
            pay_supplier(world, draft, plan["acc"], acc, int(t_link[k]), t_pay, amounts, "new_supplier")
            if label == "Company" and not retainer:
                goods = schema.GOODS[int(rng.integers(0, len(schema.GOODS)))]
                value = round(float(np.median(amounts)) / float(np.exp(rng.normal(0.02, 0.22))), 2)
                world.links.add(SUPPLIES, holder, plan["company"], draft=draft, role="supply", goods=goods,
                                invoice_amount=round(float(np.median(amounts)), 2), goods_value=value,
                                monthly_count=monthly_rate(t_pay.size, ctx), since=to_datetime([int(t_link[k])]))
                ship = np.maximum(t_pay - (rng.uniform(1, 10, t_pay.size) * DAY).astype(np.int64), int(t_link[k]))
                draft.schedule(ship, "shipment", SUPPLIES_STEM, holder, plan["company"], amounts,
                               np.maximum(1.0, np.round(amounts / 100.0)), goods)
            suppliers.append({"kind": kind if label == "Company" else "sole_trader", "holder": holder, "account": acc,
                              "payments": int(t_pay.size), "amount": round(float(amounts.sum()), 2),
                              "services": bool(retainer)})
            times += [int(t_link[k]), *t_pay.tolist()]
            total += float(amounts.sum())
        return {"suppliers": suppliers, "total_amount": round(total, 2), "times": np.array(times, dtype=np.int64)}
