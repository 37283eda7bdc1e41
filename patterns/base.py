"""The injector contract and the registry of typologies.

An injector rewrites a subgraph of the legitimate world into one typology
(or into its legitimate look-alike, a *decoy*) and returns what it did as
:class:`PatternInstance` objects: members with roles, the edges it created or
used, a time window, parameters, and a scripted schedule of the money or
activity that flows on those edges (the timeline walks it).
"""

from __future__ import annotations

import importlib
import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, ValidationError

from fraudgraph import schema
from fraudgraph.config import ParameterModel, format_validation_error
from fraudgraph.errors import ConfigError, UnknownNameError
from fraudgraph.graph import PropertyGraph

ENTRY_POINT_GROUP = "fraudgraph.patterns"

#: Columns of a schedule: one row per scripted event on an edge (or on a node when ``dst`` is empty).
SCHEDULE_COLUMNS = ("time", "kind", "edge_type", "src", "dst", "amount", "quantity", "detail")


class InjectorConfig(ParameterModel):
    """Parameters every injector accepts; subclasses add their own (every ``min_x``/``max_x`` pair is checked)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Whether the typology is injected at all.")
    weight: float = Field(1.0, ge=0.0, le=100.0, description="Share of the fraud budget (relative to other typologies).")
    count: int | None = Field(None, ge=0, le=1_000_000, description="Exact number of fraud instances (overrides the budget).")


@dataclass(frozen=True)
class Knobs:
    """How hard the injected fraud is to tell apart (resolved from the hardness preset and overrides).

    amount_blending : 0 = amounts stand out (round, near thresholds, large), 1 = drawn like legitimate ones.
    timing_spread : 0 = tight bursts, 1 = spread over days like ordinary activity.
    member_overlap : probability that a recruit may already belong to another instance.
    decoy_ratio : legitimate look-alike instances per fraud instance.
    camouflage : 0 = members do nothing else, 1 = members keep full ordinary activity.
    """

    amount_blending: float
    timing_spread: float
    member_overlap: float
    decoy_ratio: float
    camouflage: float


@dataclass
class InjectionContext:
    """What an injector needs besides the graph: the time span, the knobs, the drift and who is already recruited.

    ``drift`` is the scenario's ``direction * strength``: the density of injected activity moves
    linearly from 1 at ``start`` to ``1 + drift`` at ``end`` (0 spreads it evenly).
    """

    start: int
    end: int
    knobs: Knobs
    drift: float = 0.0
    used_persons: set[str] = field(default_factory=set)
    used_accounts: set[str] = field(default_factory=set)
    used_companies: set[str] = field(default_factory=set)


@dataclass
class PatternInstance:
    """One injected instance of a typology (fraud) or of its look-alike (decoy).

    Attributes
    ----------
    typology : str
        Registry name of the injector, e.g. ``"kiting_cycle"``.
    is_fraud : bool
        False for decoys.
    start, end : int
        Time window in epoch seconds (UTC).
    members : list of (label, id, role)
        Every node the instance touches.
    edges : list of ((src_label, REL, dst_label), src_id, dst_id, role)
        Every edge it created or scripts activity on.
    schedule : pandas.DataFrame
        Scripted events (:data:`SCHEDULE_COLUMNS`).
    parameters : dict
        What the injector decided (sizes, amounts, variant ...), JSON-serialisable.
    variant : str
        Sub-typology (e.g. ``"fan_in"`` for ``money_mule``), or ``""``.
    """

    typology: str
    is_fraud: bool
    start: int
    end: int
    members: list[tuple[str, str, str]] = field(default_factory=list)
    edges: list[tuple[tuple[str, str, str], str, str, str]] = field(default_factory=list)
    schedule: pd.DataFrame = field(default_factory=lambda: empty_schedule())
    parameters: dict[str, Any] = field(default_factory=dict)
    variant: str = ""


def empty_schedule() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="float64" if c in ("amount", "quantity") else ("int64" if c == "time" else "str"))
                         for c in SCHEDULE_COLUMNS})


def make_schedule(time, kind, edge_type, src, dst, amount=None, quantity=None, detail="") -> pd.DataFrame:
    """Build a schedule frame from arrays (scalars broadcast).

    Every kind must be declared in :data:`fraudgraph.schema.SCHEDULE_KINDS`, on
    the edge type (or node) it declares: the timeline consumes nothing else.
    """
    time = np.asarray(time, dtype=np.int64)
    n = time.size

    def col(v, dtype=object):
        return np.full(n, v, dtype=dtype) if np.ndim(v) == 0 else np.asarray(v, dtype=dtype)

    if n:
        schema.check_schedule(col(kind), col(edge_type))
    return pd.DataFrame({
        "time": time,
        "kind": col(kind),
        "edge_type": col(edge_type),
        "src": col(src),
        "dst": col(dst),
        "amount": col(np.nan if amount is None else amount, float),
        "quantity": col(np.nan if quantity is None else quantity, float),
        "detail": col(detail),
    })


class Injector(ABC):
    """Base class of every typology.

    Subclasses set :attr:`name`, :attr:`config_model` and
    :attr:`persons_per_instance` (used to turn the fraud budget into a count),
    and implement :meth:`inject` and :meth:`inject_decoys`.
    """

    name: ClassVar[str] = ""
    config_model: ClassVar[type[InjectorConfig]] = InjectorConfig
    #: Typical number of persons one fraud instance involves.
    persons_per_instance: ClassVar[float] = 3.0

    @abstractmethod
    def inject(self, graph: PropertyGraph, rng: np.random.Generator, config: InjectorConfig, count: int,
               ctx: InjectionContext) -> list[PatternInstance]:
        """Create ``count`` fraud instances in ``graph`` and return them."""

    @abstractmethod
    def inject_decoys(self, graph: PropertyGraph, rng: np.random.Generator, config: InjectorConfig, count: int,
                      ctx: InjectionContext) -> list[PatternInstance]:
        """Create ``count`` legitimate look-alikes (``is_fraud=False``) and return them."""


# -- registry (lazy, read-only, as fsspec's) -------------------------------------------------------

_BUILTIN: dict[str, str] = {
    "kiting_cycle": "fraudgraph.patterns.kiting.KitingCycle",
    "device_sharing": "fraudgraph.patterns.device_sharing.DeviceSharing",
    "ip_recycling": "fraudgraph.patterns.ip_recycling.IPRecycling",
    "fraud_ring": "fraudgraph.patterns.fraud_ring.FraudRing",
    "collusion": "fraudgraph.patterns.collusion.Collusion",
    "insider_trading": "fraudgraph.patterns.insider_trading.InsiderTrading",
    "money_mule": "fraudgraph.patterns.money_mule.MoneyMule",
    "structuring": "fraudgraph.patterns.structuring.Structuring",
    "bust_out": "fraudgraph.patterns.bust_out.BustOut",
    "account_takeover": "fraudgraph.patterns.account_takeover.AccountTakeover",
    "sleeper_takeover": "fraudgraph.patterns.account_takeover.SleeperTakeover",
    "trade_based_laundering": "fraudgraph.patterns.trade_laundering.TradeBasedLaundering",
    "liquidity_crunch": "fraudgraph.patterns.liquidity_crunch.LiquidityCrunch",
    "corporate_account_takeover": "fraudgraph.patterns.corporate_takeover.CorporateTakeover",
    "link_burst": "fraudgraph.patterns.link_burst.LinkBurst",
}
_registry: dict[str, str] = {}
_loaded = False

#: Read-only view of registered typology names and their import paths.
registry = MappingProxyType(_registry)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name, target in _BUILTIN.items():
        module = target.rsplit(".", 1)[0]
        if importlib.util.find_spec(module) is not None:  # typologies land one module at a time
            _registry[name] = target
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _registry.setdefault(ep.name, ep.value.replace(":", "."))


def register_injector(name: str, target: str, *, clobber: bool = False) -> None:
    """Register an injector class (dotted path) under ``name``; refuses to replace silently."""
    _load()
    if name in _registry and not clobber and _registry[name] != target:
        raise ValueError(f"injector {name!r} is already registered to {_registry[name]!r}; pass clobber=True to replace it")
    _registry[name] = target


def available_patterns() -> list[str]:
    """Names of every registered typology."""
    _load()
    return sorted(_registry)


def get_injector(name: str) -> Injector:
    """Instantiate the injector registered as ``name``; unknown names list the valid ones."""
    _load()
    if name not in _registry:
        raise UnknownNameError(f"unknown pattern {name!r}; expected one of: {', '.join(available_patterns())}")
    module, _, cls = _registry[name].rpartition(".")
    return getattr(importlib.import_module(module), cls)()


def resolve_config(name: str, data: dict[str, Any] | None) -> InjectorConfig:
    """Validate one injector's settings from ``fraud.patterns.<name>``."""
    injector = get_injector(name)
    try:
        return injector.config_model.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source="scenario", model=injector.config_model,
                                                  prefix=f"fraud.patterns.{name}.")) from None
