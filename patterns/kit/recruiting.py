"""Recruiting ordinary members: never hubs, never twice unless the overlap knob allows it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.kit.view import _CACHES, GraphView

from fraudgraph.graph import isin
from fraudgraph.units import to_seconds


def eligible(rng: np.random.Generator, ids, used: set[str], overlap: float) -> np.ndarray:
    """Mask of ``ids`` (a list, or a Series of strings) not recruited yet (a recruited one stays
    eligible with probability ``overlap``)."""
    if isinstance(ids, pd.Series):
        taken = isin(ids, pd.Series(list(used), dtype="str")) if used else np.zeros(len(ids), bool)
        taken = np.asarray(taken, dtype=bool)
    else:
        taken = np.fromiter((i in used for i in ids), bool, len(ids))
    return ~taken | (rng.random(len(ids)) < overlap)


class Recruiting(GraphView):
    """Ordinary persons and accounts recruited into an instance."""

    # -- recruitment ----------------------------------------------------------------
    def _free(self, ids: pd.Series, used: set[str]) -> np.ndarray:
        """Mask of ids not yet recruited (or, with member_overlap, recruited but allowed again)."""
        return eligible(self.rng, ids, used, self.ctx.knobs.member_overlap)

    def _ordinary_pool(self) -> dict:
        """Ordinary persons of the legitimate world (not hubs: KNOWS degree up to the 90th
        percentile; holding an account), as arrays built once per graph."""
        cache = _CACHES.setdefault(self.graph, {})
        if "ordinary_pool" not in cache:
            p = self.persons()
            mask = (p["knows_degree"] <= max(p["knows_degree"].quantile(0.9), 1)).to_numpy() & (p["n_accounts"] > 0).to_numpy()
            ids = p["id"].to_numpy(dtype=object)[mask]
            cities = p["city"].to_numpy(dtype=object)[mask]
            by_city: dict[str, list[int]] = {}
            for i, c in enumerate(cities.tolist()):
                by_city.setdefault(c, []).append(i)
            cache["ordinary_pool"] = {
                "ids": ids, "created": to_seconds(p["created_at"])[mask],
                "by_city": {c: np.array(v, dtype=np.int64) for c, v in by_city.items()},
            }
        return cache["ordinary_pool"]

    def recruit_persons(self, n: int, *, city: str | None = None, exclude=(), before: int | None = None) -> np.ndarray:
        """``n`` ordinary persons: not hubs (KNOWS degree up to the 90th percentile), not recruited yet
        (unless the member_overlap knob lets them join another instance).

        Returns fewer when the pool is too small. Costs O(n), not O(persons), per call.
        """
        pool = self._ordinary_pool()
        if city is not None:
            candidates = pool["by_city"].get(city, np.empty(0, np.int64))
        else:
            candidates = np.arange(pool["ids"].size)
        if before is not None and candidates.size:
            candidates = candidates[pool["created"][candidates] < before]
        used, excluded, overlap = self.ctx.used_persons, set(exclude), self.ctx.knobs.member_overlap
        chosen = []
        for i in candidates[self.rng.permutation(candidates.size)]:
            person = pool["ids"][i]
            if person in excluded or (person in used and self.rng.random() >= overlap):
                continue
            chosen.append(person)
            if len(chosen) == n:
                break
        used.update(chosen)
        return np.array(chosen, dtype=object)

    def recruit_accounts(self, n: int, types=("checking",), *, distinct_owners: bool = True,
                         distinct_institutions: bool = False, city: str | None = None, status=("active",)) -> np.ndarray:
        """``n`` ordinary person-owned accounts of ``types`` (optionally at distinct institutions)."""
        a = self.accounts()
        mask = a["account_type"].isin(list(types)).to_numpy() & a["owner"].notna().to_numpy()
        mask &= a["status"].isin(list(status)).to_numpy()
        mask &= self._free(a["id"], self.ctx.used_accounts)
        owner_used = np.asarray(isin(a["owner"].fillna(""), pd.Series(sorted(self.ctx.used_persons), dtype="str")), dtype=bool) \
            if self.ctx.used_persons else np.zeros(len(a), bool)
        mask &= ~owner_used | (self.rng.random(len(a)) < self.ctx.knobs.member_overlap)
        if city is not None:
            mask &= (a["owner_city"] == city).to_numpy()
        pool = a[mask].iloc[self.rng.permutation(int(mask.sum()))]
        if distinct_owners:
            pool = pool.drop_duplicates("owner")
        if distinct_institutions:
            pool = pool.drop_duplicates("institution")
        chosen = pool.head(n)
        self.ctx.used_accounts.update(chosen["id"].tolist())
        self.ctx.used_persons.update(chosen["owner"].dropna().tolist())
        return chosen["id"].to_numpy(dtype=object)
