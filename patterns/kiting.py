"""Check/transfer kiting: money chased around a cycle of accounts at several banks to inflate
balances during the clearing float.

Fraud: a directed cycle of 3-6 checking accounts at 2+ institutions, controlled by 1-3
colluders, moving similar, slowly decaying amounts hop after hop in quick
succession, round after round.
Decoys, legitimate directed cycles: ``shared_bills``, roommates who pay each other their share
of the bills in a loop (monthly, at one or two banks); ``treasury_sweep``, partners of a small
firm passing its float around their accounts hop after hop within hours, every week or two,
kite-sized amounts backed by the takings deposited before each round (as in cash pooling).
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import Injector, InjectorConfig
from fraudgraph.patterns.kit import (
    Draft,
    Toolkit,
    balanced,
    blend,
    monthly_rate,
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.units import DAY, HOUR, to_datetime

KEY = ("Account", "TRANSFERS_TO", "Account")
EDGE = schema.stem("Account", "TRANSFERS_TO", "Account")


class KitingConfig(InjectorConfig):
    min_accounts: int = Field(3, ge=3, le=20, description="Smallest cycle.")
    max_accounts: int = Field(6, ge=3, le=20, description="Largest cycle.")
    min_rounds: int = Field(3, ge=1, le=100, description="Fewest trips around the cycle.")
    max_rounds: int = Field(8, ge=1, le=100, description="Most trips around the cycle.")


class KitingCycle(Injector):
    name = "kiting_cycle"
    config_model = KitingConfig
    persons_per_instance = 4.5

    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        institutions = graph.nodes["Account"]["institution"].unique()
        bank_of = graph.nodes["Account"].set_index("id")["institution"]
        out = []
        for _ in range(count):
            k = int(rng.integers(config.min_accounts, config.max_accounts + 1))
            owners = kit.recruit_persons(k)  # one colluder per account: every hop is a p2p transfer
            if owners.size < 3:
                break
            start, end = kit.window(rng.uniform(5, 30))
            owners, accounts, banks = _cycle_accounts(kit, rng, owners, bank_of, institutions, start)
            if len(accounts) < 3:
                continue
            out.append(self._cycle(kit, rng, config, ctx, owners, accounts, banks, start, end))
        return out

    def _cycle(self, kit, rng, config, ctx, owners, accounts, banks, start, end):
        k = len(accounts)
        base = _amount(rng, kit, ctx.knobs.amount_blending)
        rounds = int(rng.integers(config.min_rounds, config.max_rounds + 1))
        decay = rng.uniform(0.97, 0.995)
        src = np.array(accounts, dtype=object)
        dst = np.roll(src, -1)
        kit.link(KEY, src, dst, kind="p2p", typical_amount=round(base, 2),
                 monthly_count=monthly_rate(rounds, ctx), since=to_datetime(np.full(k, start)))
        know_each_other(kit, owners, start)
        draft = Draft(self.name, True, start, parameters={
            "accounts": k, "institutions": banks, "rounds": rounds, "base_amount": round(base, 2),
            "decay": round(decay, 4)})
        draft.member("Person", owners, "kiter")
        draft.member("Account", src, "kiting_account")
        draft.edge(KEY, src, dst, "cycle")
        round_starts = np.sort(start + (kit.fraction(start, end, rounds) * (end - start)).astype(np.int64))
        for r, t0 in enumerate(round_starts):
            hop_gap = (rng.uniform(0.2, 6.0, k) * HOUR * (0.3 + ctx.knobs.timing_spread)).astype(np.int64)
            amounts = np.round(base * decay**r * rng.uniform(0.985, 1.0, k), 2)
            draft.schedule(t0 + np.cumsum(hop_gap), "transfer", EDGE, src, dst, amounts)
        return draft.build()

    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        out = []
        for variant in balanced(rng, {"shared_bills": 1.0, "treasury_sweep": 1.0}, count):
            k = int(rng.integers(3, 5))
            people = kit.recruit_persons(k)
            accounts = kit.account_of(people, ("checking", "wallet"))
            keep = [(p, a) for p, a in zip(people, accounts) if a is not None]
            if len(keep) < 3:
                continue
            people = np.array([p for p, _ in keep], dtype=object)
            src = np.array([a for _, a in keep], dtype=object)
            build = self._bills if variant == "shared_bills" else self._sweep
            inst = build(kit, rng, ctx, people, src)
            inst.variant = variant
            out.append(inst)
        return out

    def _sweep(self, kit, rng, ctx, people, src):
        """Partners moving their firm's float around the loop in quick hops, every week or two, after a deposit."""
        k = src.size
        dst = np.roll(src, -1)
        base = _amount(rng, kit, ctx.knobs.amount_blending)
        start, end = kit.window(rng.uniform(30, 120))
        gaps = (rng.uniform(7, 14, 64) * DAY).astype(np.int64)
        round_starts = start + DAY + np.cumsum(gaps) - gaps[0]
        round_starts = round_starts[round_starts < end - DAY]
        if not round_starts.size:  # a span of a few days: one round in its middle
            round_starts = np.array([start + (end - start) // 2])
        kit.link(KEY, src, dst, kind="p2p", typical_amount=round(base, 2),
                 monthly_count=monthly_rate(len(round_starts), ctx), since=to_datetime(np.full(k, start)))
        know_each_other(kit, people, start)
        draft = Draft(self.name, False, start, parameters={
            "accounts": int(k), "rounds": int(len(round_starts)), "base_amount": round(base, 2),
            "decoy_of": "kiting_cycle"})
        draft.member("Person", people, "partner")
        draft.member("Account", src, "pooled_account")
        draft.edge(KEY, src, dst, "cycle")
        for t0 in round_starts:
            takings = round(base * rng.uniform(1.0, 1.1), 2)
            deposit = max(start, t0 - int(rng.integers(1, 20)) * HOUR)
            draft.schedule([deposit], "cash_deposit", "", src[0], "", [takings], detail="takings")
            hop_gap = (rng.uniform(0.2, 6.0, k) * HOUR * (0.3 + ctx.knobs.timing_spread)).astype(np.int64)
            draft.schedule(t0 + np.cumsum(hop_gap), "transfer", EDGE, src, dst,
                           np.round(base * rng.uniform(0.985, 1.0, k), 2))
        return draft.build()

    def _bills(self, kit, rng, ctx, people, src):
        """Roommates paying each other their share of the bills, around the loop, monthly."""
        dst = np.roll(src, -1)
        share = round(float(rng.choice([300, 350, 400, 450, 500, 600, 700])) * rng.uniform(0.95, 1.05), 2)
        start, end = ctx.start, ctx.end
        kit.link(KEY, src, dst, kind="p2p", typical_amount=share, monthly_count=1.0,
                 since=to_datetime(np.full(src.size, start)))
        know_each_other(kit, people, start)
        draft = Draft(self.name, False, start, parameters={
            "accounts": int(src.size), "share": share, "decoy_of": "kiting_cycle"})
        draft.member("Person", people, "roommate")
        draft.member("Account", src, "shared_bills")
        draft.edge(KEY, src, dst, "cycle")
        for m in range(int(max(1, (end - start) // (30 * DAY)))):
            t0 = start + m * 30 * DAY + int(rng.integers(0, 5)) * DAY
            times = t0 + (rng.random(src.size) * 3 * DAY).astype(np.int64)
            draft.schedule(times, "transfer", EDGE, src, dst, np.round(share * rng.uniform(0.97, 1.03, src.size), 2))
        return draft.build()


def _cycle_accounts(kit: Toolkit, rng, owners, bank_of, institutions, start: int):
    """One account per colluder, each at a different bank: their own checking where its bank is not yet in the
    cycle, else a new one opened elsewhere weeks before. Returns owners, accounts and the banks used."""
    k = owners.size
    own = kit.account_of(owners, ("checking",))
    accounts, banks_used, need_new = [None] * k, set(), []
    for i, acc in enumerate(own):
        bank = bank_of.get(acc) if acc is not None else None
        if bank is not None and bank not in banks_used and len(banks_used) < k - 1:
            accounts[i] = acc
            banks_used.add(bank)
        else:
            need_new.append(i)
    free_banks = [b for b in rng.permutation(institutions) if b not in banks_used][: len(need_new)]
    need_new = need_new[: len(free_banks)]
    if need_new:
        opened = start - (rng.uniform(3, 60, len(need_new)) * DAY).astype(np.int64)
        fresh = kit.new_accounts(owners[need_new], "checking", opened, institution=free_banks)
        for i, acc in zip(need_new, fresh):
            accounts[i] = acc
    keep = [i for i in range(k) if accounts[i] is not None]
    return owners[keep], [accounts[i] for i in keep], len(banks_used) + len(need_new)


def know_each_other(kit: Toolkit, people, since: int) -> None:
    """Friends ties between every pair of ``people`` (people who move money together know each other)."""
    people = list(people)
    pairs = [(a, b) for i, a in enumerate(people) for b in people[i + 1:]]
    if pairs:
        kit.link(("Person", "KNOWS", "Person"), [a for a, _ in pairs], [b for _, b in pairs], kind="friend",
                 since=to_datetime(np.full(len(pairs), since)))


def _amount(rng, kit: Toolkit, blending: float) -> float:
    """Kiting amounts: large and round when unblended, drawn from legitimate transfers when blended."""
    loud = float(np.round(rng.uniform(2_000, 12_000), -2))
    transfers = kit.graph.edges[KEY]["typical_amount"].to_numpy()
    quiet = float(transfers[rng.integers(0, transfers.size)]) if transfers.size else loud
    return max(20.0, float(blend(loud, quiet, blending)))
