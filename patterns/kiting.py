"""Check/transfer kiting: money chased around a cycle of accounts at several banks to inflate
balances during the clearing float.

Fraud: a directed cycle of 3-6 checking accounts at 2+ institutions, controlled by 1-3
colluders, moving similar, slowly decaying amounts hop after hop in quick
succession, round after round.
Decoy: roommates who pay each other their share of bills in a loop (a legitimate
directed cycle, monthly, at one or two banks).
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
    PatternInstance,
    make_schedule,
)
from fraudgraph.patterns.kit import (
    Toolkit,
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
        out = []
        bank_of = graph.nodes["Account"].set_index("id")["institution"]
        for _ in range(count):
            k = int(rng.integers(config.min_accounts, config.max_accounts + 1))
            owners = kit.recruit_persons(k)  # one colluder per account: every hop is a p2p transfer
            if owners.size < 3:
                break
            k = owners.size
            start, end = kit.window(rng.uniform(5, 30))
            # colluders use their own checking where its bank is not yet in the cycle, else open one elsewhere
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
            owners, accounts = owners[keep], [accounts[i] for i in keep]
            k = len(accounts)
            if k < 3:
                continue
            base = _amount(rng, kit, ctx.knobs.amount_blending)
            rounds = int(rng.integers(config.min_rounds, config.max_rounds + 1))
            decay = rng.uniform(0.97, 0.995)
            src = np.array(accounts, dtype=object)
            dst = np.roll(src, -1)
            kit.link(KEY, src, dst, kind="p2p", typical_amount=round(base, 2),
                     monthly_count=monthly_rate(rounds, ctx), since=to_datetime(np.full(k, start)))
            know_each_other(kit, owners, start)
            times, amounts, hops_src, hops_dst = [], [], [], []
            round_starts = np.sort(start + (kit.fraction(start, end, rounds) * (end - start)).astype(np.int64))
            for r, t0 in enumerate(round_starts):
                hop_gap = (rng.uniform(0.2, 6.0, k) * HOUR * (0.3 + ctx.knobs.timing_spread)).astype(np.int64)
                times += list(t0 + np.cumsum(hop_gap))
                amounts += list(np.round(base * decay**r * rng.uniform(0.985, 1.0, k), 2))
                hops_src += list(src)
                hops_dst += list(dst)
            out.append(PatternInstance(
                typology=self.name, is_fraud=True, start=start, end=int(max(times)) + 1,
                members=[("Person", p, "kiter") for p in owners] + [("Account", a, "kiting_account") for a in accounts],
                edges=[(KEY, s, d, "cycle") for s, d in zip(src, dst)],
                schedule=make_schedule(times, "transfer", EDGE, hops_src, hops_dst, amounts),
                parameters={"accounts": k, "institutions": len(banks_used) + len(need_new),
                            "rounds": rounds, "base_amount": round(base, 2), "decay": round(decay, 4)},
            ))
        return out

    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        out = []
        for _ in range(count):
            k = int(rng.integers(3, 5))
            people = kit.recruit_persons(k)
            accounts = kit.account_of(people, ("checking", "wallet"))
            keep = [(p, a) for p, a in zip(people, accounts) if a is not None]
            if len(keep) < 3:
                continue
            people = np.array([p for p, _ in keep], dtype=object)
            src = np.array([a for _, a in keep], dtype=object)
            dst = np.roll(src, -1)
            share = round(float(rng.choice([300, 350, 400, 450, 500, 600, 700])) * rng.uniform(0.95, 1.05), 2)
            start, end = ctx.start, ctx.end
            kit.link(KEY, src, dst, kind="p2p", typical_amount=share, monthly_count=1.0,
                     since=to_datetime(np.full(src.size, start)))
            know_each_other(kit, people, start)
            months = max(1, (end - start) // (30 * DAY))
            times, hops_src, hops_dst, amounts = [], [], [], []
            for m in range(int(months)):
                t0 = start + m * 30 * DAY + int(rng.integers(0, 5)) * DAY
                times += list(t0 + (rng.random(src.size) * 3 * DAY).astype(np.int64))
                hops_src += list(src)
                hops_dst += list(dst)
                amounts += list(np.round(share * rng.uniform(0.97, 1.03, src.size), 2))
            out.append(PatternInstance(
                typology=self.name, is_fraud=False, start=start, end=int(max(times)) + 1,
                members=[("Person", p, "roommate") for p in people] + [("Account", a, "shared_bills") for a in src],
                edges=[(KEY, s, d, "cycle") for s, d in zip(src, dst)],
                schedule=make_schedule(times, "transfer", EDGE, hops_src, hops_dst, amounts),
                parameters={"accounts": int(src.size), "share": share, "decoy_of": "kiting_cycle"},
            ))
        return out


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
