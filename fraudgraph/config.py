"""Scenario: every parameter of a generation run, validated with pydantic.

A scenario is built from a preset (``fraudgraph/scenarios/<name>.yaml``), a
YAML file of the user's, or keyword arguments. Every parameter is declared
with its valid range; a bad value raises :class:`~fraudgraph.errors.ConfigError`
with a message in scikit-learn's form: "The 'persons.count' parameter of
Scenario must be an int >= 1. Got -5 instead."
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from fraudgraph import schema
from fraudgraph.errors import ConfigError, UnknownNameError


def _prob(default: float, description: str):
    return Field(default, ge=0.0, le=1.0, description=description)


def check_weights(value: dict[str, float], allowed: tuple[str, ...]) -> dict[str, float]:
    """Validate a weight map: keys from ``allowed``, weights >= 0, at least one positive."""
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise ValueError(f"has unknown key {unknown[0]!r}; expected keys from {list(allowed)}")
    negative = {k: v for k, v in value.items() if v < 0}
    if negative:
        k, v = next(iter(negative.items()))
        raise ValueError(f"weight of {k!r} is {v}; weights must be >= 0")
    if sum(value.values()) <= 0:
        raise ValueError("weights must contain at least one positive value")
    return value


def range_pairs(model: type[BaseModel]) -> list[tuple[str, str]]:
    """The ``(low, high)`` field pairs of a parameter model, by name: ``min_x``/``max_x`` and ``x_min``/``x_max``."""
    names = set(model.model_fields)
    pairs = []
    for name in model.model_fields:
        if name.startswith("min_") and "max_" + name[4:] in names:
            pairs.append((name, "max_" + name[4:]))
        elif name.endswith("_min") and name[:-4] + "_max" in names:
            pairs.append((name, name[:-4] + "_max"))
    return pairs


class ParameterModel(BaseModel):
    """Base of every parameter model: unknown keys are rejected and every min/max pair must be ordered.

    A pair is found by name (:func:`range_pairs`), so a new ``min_x``/``max_x``
    field is checked without code of its own; an inverted pair is reported as
    a ``range_order`` error that :func:`format_validation_error` words like
    every other range error.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _ordered_ranges(self):
        for low, high in range_pairs(type(self)):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise PydanticCustomError("range_order", "{low} ({low_value}) must be <= {high} ({high_value})",
                                          {"low": low, "high": high, "low_value": lo, "high_value": hi})
        return self


class _Section(ParameterModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PersonsConfig(_Section):
    """Who lives in the world."""

    count: int = Field(2_000, ge=1, le=50_000_000, description="Number of legitimate persons (synthetic identities of fraud patterns come on top).")
    per_shard: int | None = Field(
        None, ge=1_000, le=50_000_000,
        description="Persons per shard: generate the world as communities of about this size, each from (seed, shard) "
                    "alone, written as partitioned Parquet (see fraudgraph.shards); null builds one world.")
    countries: dict[str, float] = Field(
        default_factory=lambda: {"US": 0.9, "CA": 0.05, "GB": 0.05},
        description="Weights of countries of residence (ISO codes with documented fictional phone and never-issued id ranges).",
    )
    segments: dict[str, float] = Field(
        default_factory=lambda: {"student": 0.12, "young_professional": 0.24, "family": 0.3,
                                 "affluent": 0.07, "retiree": 0.15, "gig_worker": 0.12},
        description="Weights of customer segments.",
    )
    kyc_levels: dict[str, float] = Field(
        default_factory=lambda: {"basic": 0.25, "standard": 0.6, "enhanced": 0.15},
        description="Weights of KYC levels.",
    )
    household_size_mean: float = Field(2.4, ge=1.0, le=8.0, description="Mean household size.")
    history_years: float = Field(8.0, ge=0.0, le=50.0, description="How far before the start persons may have joined.")
    joined_during_span: float = _prob(0.05, "Share of persons who join during the simulated span.")

    @field_validator("countries")
    @classmethod
    def _countries(cls, v):
        return check_weights(v, schema.COUNTRIES)

    @field_validator("segments")
    @classmethod
    def _segments(cls, v):
        return check_weights(v, schema.SEGMENTS)

    @field_validator("kyc_levels")
    @classmethod
    def _kyc(cls, v):
        return check_weights(v, schema.KYC_LEVELS)


class DevicesConfig(_Section):
    """Phones, tablets and browsers."""

    primary_type_weights: dict[str, float] = Field(
        default_factory=lambda: {"ios": 0.48, "android": 0.42, "web_desktop": 0.06, "web_mobile": 0.04},
        description="Weights of the type of each person's primary device.",
    )
    extra_devices_mean: float = Field(0.35, ge=0.0, le=10.0, description="Mean number of extra personal devices (geometric).")
    household_shared_device_prob: float = _prob(0.35, "Probability that a household of 2+ shares a desktop or tablet.")
    emulator_share: float = _prob(0.002, "Share of legitimate devices that are emulators (developers, testers).")

    @field_validator("primary_type_weights")
    @classmethod
    def _types(cls, v):
        return check_weights(v, schema.DEVICE_TYPES)


class IPsConfig(_Section):
    """Networks persons connect from."""

    mobile_share: float = _prob(0.8, "Share of persons who connect over a mobile carrier.")
    persons_per_mobile_ip: float = Field(30.0, ge=1.0, le=10_000.0, description="Persons behind one carrier-NAT address on average.")
    work_ip_share: float = _prob(0.6, "Share of employed persons who connect from their employer's network.")
    public_wifi_share: float = _prob(0.3, "Share of persons who use public Wi-Fi.")
    persons_per_public_wifi_ip: float = Field(20.0, ge=1.0, le=10_000.0, description="Public Wi-Fi users per hotspot address on average.")
    vpn_share: float = _prob(0.06, "Share of persons who use a commercial VPN.")
    vpn_exit_ips: int = Field(60, ge=1, le=1_000_000, description="Size of the VPN exit-address pool.")
    hosting_share: float = _prob(0.004, "Share of persons who connect from a hosting provider (cloud desktops).")
    hosting_ips: int = Field(30, ge=1, le=1_000_000, description="Number of hosting-provider addresses.")


class TravelConfig(_Section):
    """Trips persons take; their logins and card payments follow them (see :mod:`fraudgraph.population.travel`)."""

    trips_per_year: float = Field(
        2.5, ge=0.0, le=52.0,
        description="Mean trips per person per year, before the segment's factor (affluent persons and young "
                    "professionals travel most, gig workers and students least) and each person's own taste for it.")
    business_share: float = _prob(0.3, "Share of the trips of employed persons that are business trips (short, midweek).")
    abroad_share: float = _prob(0.25, "Share of trips to another of the scenario's countries; the rest go to another city at home.")
    min_days: int = Field(2, ge=1, le=60, description="Shortest trip in days (departure to return).")
    max_days: int = Field(14, ge=1, le=60, description="Longest trip in days (departure to return).")
    travel_notice_share: float = _prob(
        0.35, "Share of trips abroad the customer announces with a travel notice (truth/trips marks them: what "
              "the bank was told; the other trips are ground truth only).")
    travellers_per_hotel_ip: float = Field(6.0, ge=1.0, le=10_000.0,
                                           description="Travellers behind one hotel Wi-Fi address of a destination on average.")


class AccountsConfig(_Section):
    """Financial accounts and the institutions that hold them."""

    institutions: int = Field(8, ge=2, le=40, description="Number of banks and wallet providers.")
    product_rates: dict[str, float] = Field(
        default_factory=lambda: {"checking": 0.93, "savings": 0.55, "credit_card": 0.45, "wallet": 0.35, "brokerage": 0.08},
        description="Probability that a person holds each product (brokerage rises with affluence).",
    )
    second_institution_prob: float = _prob(0.35, "Probability that a secondary product sits at another institution.")
    joint_account_prob: float = _prob(0.3, "Probability that a household of 2+ adults shares a joint checking account.")
    status_weights: dict[str, float] = Field(
        default_factory=lambda: {"active": 0.9, "dormant": 0.06, "frozen": 0.01, "closed": 0.03},
        description="Weights of account status at the start.",
    )
    balance_median: float = Field(1_500.0, gt=0.0, le=1e9, description="Median opening balance.")
    balance_sigma: float = Field(1.2, ge=0.0, le=5.0, description="Log-normal sigma of opening balances.")
    credit_limit_min: float = Field(500.0, ge=0.0, le=1e8, description="Smallest credit-card limit.")
    credit_limit_max: float = Field(25_000.0, ge=0.0, le=1e8, description="Largest credit-card limit.")

    @field_validator("product_rates")
    @classmethod
    def _products(cls, v):
        allowed = ("checking", "savings", "credit_card", "wallet", "brokerage")
        v = check_weights(v, allowed)
        over = {k: p for k, p in v.items() if p > 1}
        if over:
            k, p = next(iter(over.items()))
            raise ValueError(f"rate of {k!r} is {p}; rates are probabilities in [0, 1]")
        return v

    @field_validator("status_weights")
    @classmethod
    def _status(cls, v):
        return check_weights(v, schema.ACCOUNT_STATUSES)


class CompaniesConfig(_Section):
    """Employers and merchants."""

    per_1000_persons: float = Field(15.0, gt=0.0, le=1000.0, description="Companies per 1000 persons.")
    listed_share: float = _prob(0.04, "Share of companies listed on an exchange (at least one when above 0).")
    merchant_share: float = _prob(0.55, "Share of companies that accept customer payments.")
    employment_rate: float = _prob(0.62, "Share of persons employed by a company in the world.")
    officer_share: float = _prob(0.03, "Share of employees who are officers.")
    director_share: float = _prob(0.01, "Share of employees who are directors.")
    cross_shard_share: float = Field(0.1, ge=0.0, lt=1.0, description=(
        "Share of jobs at a company of another shard, in a sharded run (salaries paid across shards); "
        "no effect on a one-world run."))


class SocialConfig(_Section):
    """KNOWS ties."""

    friends_mean: float = Field(6.0, ge=0.0, le=500.0, description="Mean number of friends per person.")
    degree_tail: float = Field(2.3, gt=1.0, le=10.0, description="Pareto exponent of sociability (smaller: heavier tail).")
    same_city_prob: float = _prob(0.8, "Probability that a friendship stays within the city (homophily).")
    coworkers_mean: float = Field(2.0, ge=0.0, le=100.0, description="Mean number of coworker ties per employee.")
    cross_shard_share: float = Field(0.1, ge=0.0, lt=1.0, description=(
        "Share of friendships between persons of different shards, in a sharded run (communities are dense "
        "inside and sparse between); no effect on a one-world run."))


class CirclesConfig(_Section):
    """Sou-sou / ROSCA savings circles."""

    participation: float = _prob(0.06, "Share of persons who belong to a circle.")
    min_members: int = Field(5, ge=2, le=100, description="Smallest circle.")
    max_members: int = Field(12, ge=2, le=100, description="Largest circle.")
    contribution_min: float = Field(50.0, gt=0.0, le=1e6, description="Smallest contribution per period.")
    contribution_max: float = Field(300.0, gt=0.0, le=1e6, description="Largest contribution per period.")
    frequency_weights: dict[str, float] = Field(
        default_factory=lambda: {"weekly": 0.2, "biweekly": 0.3, "monthly": 0.5},
        description="Weights of contribution periods.",
    )
    rotation_weights: dict[str, float] = Field(
        default_factory=lambda: {"sequential": 0.6, "random": 0.3, "need_based": 0.1},
        description="Weights of payout-order rules.",
    )
    failure_rate: float = _prob(0.05, "Share of circles that ended before the start which failed.")

    @field_validator("frequency_weights")
    @classmethod
    def _freq(cls, v):
        return check_weights(v, schema.FREQUENCIES)

    @field_validator("rotation_weights")
    @classmethod
    def _rot(cls, v):
        return check_weights(v, schema.ROTATION_ORDERS)


class MoneyConfig(_Section):
    """Standing money relationships (TRANSFERS_TO, PAYS) that the timeline walks."""

    own_transfer_prob: float = _prob(0.7, "Probability that a holder of checking and savings moves money between them.")
    household_transfer_prob: float = _prob(0.4, "Probability that a household member sends money to another member.")
    p2p_per_person_mean: float = Field(1.5, ge=0.0, le=100.0, description="Mean number of friends a person pays (roommates, shared bills).")
    merchants_per_person_mean: float = Field(6.0, ge=0.0, le=200.0, description="Mean number of merchants a person pays.")
    merchant_popularity_tail: float = Field(1.6, gt=1.0, le=10.0, description="Pareto exponent of merchant popularity (marketplace hubs).")
    local_merchant_prob: float = _prob(0.7, "Probability that a merchant is in the payer's city.")
    payroll: bool = Field(True, description="Whether employers pay employees through TRANSFERS_TO.")
    suppliers_per_company_mean: float = Field(2.0, ge=0.0, le=100.0, description="Mean number of business suppliers a company pays.")


#: Knob values of each hardness preset (see patterns.base.Knobs for their meaning).
HARDNESS_PRESETS = {
    "low": {"amount_blending": 0.1, "timing_spread": 0.15, "member_overlap": 0.0, "decoy_ratio": 0.3, "camouflage": 0.2},
    "medium": {"amount_blending": 0.5, "timing_spread": 0.5, "member_overlap": 0.1, "decoy_ratio": 1.0, "camouflage": 0.6},
    "high": {"amount_blending": 0.85, "timing_spread": 0.8, "member_overlap": 0.2, "decoy_ratio": 2.0, "camouflage": 0.9},
}


class FraudConfig(_Section):
    """How much fraud, and how hard to find (consumed by the pattern injectors)."""

    enabled: bool = Field(True, description="Whether to inject fraud patterns at all.")
    person_share: float = Field(0.005, ge=0.0, le=0.5, description="Share of persons involved in fraud.")
    hardness: Literal["low", "medium", "high"] = Field("medium", description="Preset for how well fraud blends in.")
    amount_blending: float | None = Field(None, ge=0.0, le=1.0, description="Override: how far fraud amounts follow legitimate ones.")
    timing_spread: float | None = Field(None, ge=0.0, le=1.0, description="Override: 0 = tight bursts, 1 = spread like ordinary activity.")
    member_overlap: float | None = Field(None, ge=0.0, le=1.0, description="Override: chance a recruit already belongs to another instance.")
    decoy_ratio: float | None = Field(None, ge=0.0, le=10.0, description="Override: legitimate look-alikes per fraud instance.")
    camouflage: float | None = Field(None, ge=0.0, le=1.0, description="Override: how much ordinary activity new members keep.")
    unlabeled_share: float = _prob(0.1, "Share of fraud instances that never get a label.")
    label_delay_days_mean: float = Field(5.0, gt=0.0, le=365.0, description="Mean days from a fraud's end to its confirmation.")
    patterns: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-typology settings keyed by pattern name (e.g. {kiting_cycle: {weight: 2}}); names are checked against the registry.",
    )

    def knobs(self) -> dict[str, float]:
        """The hardness preset with any explicit knob overrides applied."""
        values = dict(HARDNESS_PRESETS[self.hardness])
        for name in values:
            override = getattr(self, name)
            if override is not None:
                values[name] = float(override)
        return values


#: Event families the timeline can produce (``--streams``).
STREAMS = ("transactions", "sessions", "circles", "remittances", "identity", "markets", "documents")


class TransactionsConfig(_Section):
    """Money movements walked along TRANSFERS_TO and PAYS (amounts follow each edge's typical amount)."""

    amount_sigma: float = Field(0.45, ge=0.0, le=3.0, description="Log-normal sigma of amounts around an edge's typical amount.")
    refund_rate: float = _prob(0.02, "Share of card payments refunded by the merchant a few days later.")
    fee_share: float = _prob(0.3, "Share of checking accounts charged a monthly maintenance fee.")
    fee_amount: float = Field(4.95, ge=0.0, le=1000.0, description="Monthly maintenance fee.")
    completion_seconds_mean: float = Field(20.0, gt=0.0, le=86_400.0, description="Mean seconds from initiation to completion.")
    flag_threshold: float = _prob(0.8, "Risk score at or above which a transaction is flagged.")
    burst_rate_max: float = _prob(0.01, "Each person's duplicate-burst probability per transaction is drawn uniformly up to this.")
    high_amount_rate_max: float = _prob(0.004, "Each person's unusually-high-amount probability is drawn uniformly up to this.")
    mistype_rate_max: float = _prob(0.004, "Each person's mistyped-recipient probability (p2p and bank transfers) is drawn up to this.")
    return_rate: float = _prob(0.002, "Share of completed ACH payments (bank transfers, bill payments, payroll, deposits) returned "
                                      "by the other bank for a reason other than funds (account closed, stopped, unauthorised ...).")
    mistyped_return_rate: float = _prob(0.6, "Share of completed transfers to a mistyped recipient that come back (no account, invalid number).")


class SessionsConfig(_Section):
    """Logins and app sessions walked along USES_DEVICE, USES_IP and SEEN_AT."""

    per_day_mean: float = Field(0.35, ge=0.0, le=100.0, description="Mean sessions per person per day (each person's rate is drawn around it).")
    actions_mean: float = Field(4.0, ge=1.0, le=200.0, description="Mean user actions per session.")
    duration_seconds_median: float = Field(400.0, gt=0.0, le=86_400.0, description="Median session length.")
    login_failure_rate: float = _prob(0.05, "Probability that a login starts with failed attempts (wrong password, expired OTP).")


class CircleEventsConfig(_Section):
    """How circle members behave once a circle runs (the circles themselves come from ``circles``)."""

    late_payment_rate: float = _prob(0.10, "Probability that a contribution is late.")
    late_days_mean: float = Field(3.0, ge=0.0, le=60.0, description="Mean days late.")
    late_days_std: float = Field(2.0, ge=0.0, le=60.0, description="Standard deviation of days late.")
    missed_payment_rate: float = _prob(0.05, "Probability that a contribution is missed entirely.")
    member_drop_rate: float = _prob(0.03, "Probability that a member drops out per cycle.")
    failure_rate: float = _prob(0.05, "Probability that a running circle fails before completion.")


class RemittancesConfig(_Section):
    """Cross-border remittances (US to Haiti by default)."""

    corridor_country: str = Field("HT", min_length=2, max_length=2, description="ISO code of the receiving country.")
    corridor_currency: str = Field("HTG", min_length=3, max_length=3, description="Currency the recipient receives.")
    exchange_rate_base: float = Field(132.5, gt=0.0, le=1e6, description="Base exchange rate (receive currency per USD).")
    exchange_rate_volatility: float = Field(0.02, ge=0.0, le=0.5, description="Daily volatility of the rate's random walk.")
    sender_share: float = _prob(0.08, "Share of US persons who send money home.")
    monthly_count_mean: float = Field(1.5, gt=0.0, le=100.0, description="Mean remittances per sender per month.")
    common_amounts: list[float] = Field(default_factory=lambda: [50.0, 100.0, 200.0, 300.0, 500.0], description="Round amounts senders favour.")
    common_amount_probability: float = _prob(0.6, "Probability that a remittance uses a common amount.")
    random_mean: float = Field(200.0, gt=0.0, le=1e6, description="Mean of other amounts (Gaussian, floored at 10).")
    random_std: float = Field(150.0, ge=0.0, le=1e6, description="Standard deviation of other amounts.")
    delivery_method_weights: dict[str, float] = Field(
        default_factory=lambda: {"mobile_wallet": 0.45, "bank_deposit": 0.30, "cash_pickup_agent": 0.25},
        description="Weights of delivery methods.")
    success_rate: float = _prob(0.95, "Share of remittances that complete.")
    processing_hours_mean: float = Field(24.0, gt=0.0, le=720.0, description="Mean hours from initiation to delivery.")
    seasonal: bool = Field(True, description="Apply the seasonal volume multipliers (holidays x2.5, carnival x1.8, ...).")

    @field_validator("delivery_method_weights")
    @classmethod
    def _delivery(cls, v):
        return check_weights(v, ("mobile_wallet", "bank_deposit", "cash_pickup_agent"))

    @field_validator("common_amounts")
    @classmethod
    def _amounts(cls, v):
        if not v or any(a <= 0 for a in v):
            raise ValueError("must be a non-empty list of positive amounts")
        return v


class MarketsConfig(_Section):
    """Communications between persons, company news and brokerage trades."""

    messages_per_tie_monthly: float = Field(3.0, ge=0.0, le=1000.0, description="Mean communications per KNOWS tie per month.")
    coworker_messages_monthly: float = Field(2.0, ge=0.0, le=1000.0, description="Mean work communications per employee per month.")
    channel_weights: dict[str, float] = Field(default_factory=lambda: {"call": 0.3, "message": 0.55, "email": 0.15},
                                              description="Weights of communication channels.")
    announcements_per_company_monthly: float = Field(0.5, ge=0.0, le=100.0, description="Material announcements per listed company per month.")
    price_volatility: float = Field(0.02, ge=0.0, le=0.5, description="Daily volatility of share prices.")

    @field_validator("channel_weights")
    @classmethod
    def _channels(cls, v):
        return check_weights(v, ("call", "message", "email"))


class IdentityEventsConfig(_Section):
    """Account openings, device registrations, contact changes and bank links (node and edge lifetimes)."""

    changes_per_person_monthly: float = Field(
        0.005, ge=0.0, le=1.0,
        description="Everyday e-mail or phone changes per person per month (the patterns' scripted changes come on top).")


class DocumentsConfig(_Section):
    """Trade documents of SUPPLIES shipments and the payments of their invoices."""

    payment_terms_days: list[int] = Field(default_factory=lambda: [14, 30, 45, 60],
                                          description="Net payment terms (days) an invoice may carry; each supplier relationship draws one.")
    lading_hours_max: float = Field(72.0, gt=1.0, le=720.0,
                                    description="Most hours from an ordinary shipment's invoice to its bill of lading (drawn from 1 up to this).")
    pay_within_min: float = Field(0.3, ge=0.0, le=3.0, description="Earliest payment of an invoice, as a share of its terms.")
    pay_within_max: float = Field(1.1, ge=0.0, le=3.0, description="Latest payment of an invoice, as a share of its terms (above 1: late).")
    paid_share_min: float = Field(0.985, ge=0.5, le=1.0,
                                  description="Least share of an invoice its payment carries (bank charges, early-payment discounts).")

    @field_validator("payment_terms_days")
    @classmethod
    def _terms(cls, v):
        if not v or any(t < 0 or t > 365 for t in v):
            raise ValueError("must be a non-empty list of days from 0 to 365")
        return v


class EventsConfig(_Section):
    """Event streams derived by walking the graph over time."""

    streams: list[str] = Field(default_factory=lambda: list(STREAMS),
                               description="Event families to produce (kept in the order of STREAMS).")
    part_rows: int = Field(1_000_000, ge=1_000, le=100_000_000, description="Most events per part file.")
    window_days: int = Field(1, ge=1, le=366, description="Days released per batch (memory grows with it; never changes the output).")
    transactions: TransactionsConfig = Field(default_factory=TransactionsConfig)
    sessions: SessionsConfig = Field(default_factory=SessionsConfig)
    circles: CircleEventsConfig = Field(default_factory=CircleEventsConfig)
    remittances: RemittancesConfig = Field(default_factory=RemittancesConfig)
    identity: IdentityEventsConfig = Field(default_factory=IdentityEventsConfig)
    markets: MarketsConfig = Field(default_factory=MarketsConfig)
    documents: DocumentsConfig = Field(default_factory=DocumentsConfig)

    @field_validator("streams", mode="before")
    @classmethod
    def _streams(cls, v):
        if isinstance(v, str):
            v = v.split(",")
        v = [str(s).strip().lower() for s in v if str(s).strip()]
        unknown = [s for s in v if s not in STREAMS]
        if unknown:
            raise ValueError(f"has unknown stream {unknown[0]!r}; expected names from {list(STREAMS)}")
        return [s for s in STREAMS if s in v]  # one order, whatever the user's: the manifest must not depend on it


class DriftConfig(_Section):
    """Gradual change over the span, for drift-detection users."""

    strength: float = Field(0.0, ge=0.0, le=1.0, description="How far rates move by the end of the span (0 = no drift).")
    direction: Literal[-1, 1] = Field(1, description="+1: fraud and activity grow over the span; -1: they fade.")


class LifecycleConfig(_Section):
    """Customer lifecycle: each person moves through engagement phases (new, engaged, cooling, at risk, churned)."""

    enabled: bool = Field(True, description="Whether persons cool off and churn at all (off: everyone stays engaged).")
    low_share: float = _prob(0.70, "Share of persons in the low churn-risk tier (loyal, engaged).")
    high_share: float = _prob(0.10, "Share of persons in the high churn-risk tier (the rest are medium).")
    low_monthly_churn: float = _prob(0.004, "Monthly churn hazard of the low tier.")
    medium_monthly_churn: float = _prob(0.025, "Monthly churn hazard of the medium tier.")
    high_monthly_churn: float = _prob(0.10, "Monthly churn hazard of the high tier.")
    churn_drift: float = Field(0.0, ge=0.0, le=20.0, description="How much the churn hazard grows over the span: x(1 + churn_drift) by its end.")
    min_cooling_days: float = Field(20.0, ge=0.0, le=365.0, description="Shortest cooling phase before being at risk.")
    max_cooling_days: float = Field(60.0, ge=0.0, le=365.0, description="Longest cooling phase before being at risk.")
    min_at_risk_days: float = Field(14.0, ge=0.0, le=365.0, description="Shortest at-risk phase before churning.")
    max_at_risk_days: float = Field(45.0, ge=0.0, le=365.0, description="Longest at-risk phase before churning.")
    close_share: float = _prob(0.5, "Share of churned persons who close their accounts (the others leave them dormant).")
    cooling_activity: float = Field(0.6, ge=0.0, le=1.0, description="Activity (sessions, spending) while cooling, relative to engaged.")
    at_risk_activity: float = Field(0.3, ge=0.0, le=1.0, description="Activity while at risk, relative to engaged.")


class OutputConfig(_Section):
    """What to write."""

    formats: list[str] = Field(default_factory=lambda: ["csv", "jsonl", "parquet"],
                               description="Output formats (kept in alphabetical order).")
    typed_events: bool = Field(False, description="Parquet: also write the events as typed tables by family and "
                               "date (events/<family>/date=<D>/; a sharded dataset writes its events only so). Each "
                               "payload is parsed once more to fill them.")

    @field_validator("formats", mode="before")
    @classmethod
    def _formats(cls, v):
        if isinstance(v, str):
            v = [part for part in v.split(",")]
        v = [str(f).strip().lower() for f in v if str(f).strip()]
        if not v:
            raise ValueError("must name at least one format")
        return sorted(set(v))  # one order, whatever the user's: the manifest must not depend on it


class Scenario(_Section):
    """Every parameter of one generation run.

    Examples
    --------
    >>> from fraudgraph import Scenario
    >>> s = Scenario.from_preset("demo").override({"persons.count": 300})
    >>> s.persons.count
    300
    """

    name: str = Field("custom", description="Scenario name.")
    description: str = Field("", description="What the scenario is for.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root of the seed tree.")
    start_date: dt.date = Field(dt.date(2025, 1, 1), description="First simulated day (UTC).")
    days: int = Field(30, ge=1, le=3660, description="Length of the simulated span in days.")
    persons: PersonsConfig = Field(default_factory=PersonsConfig)
    devices: DevicesConfig = Field(default_factory=DevicesConfig)
    ips: IPsConfig = Field(default_factory=IPsConfig)
    travel: TravelConfig = Field(default_factory=TravelConfig)
    accounts: AccountsConfig = Field(default_factory=AccountsConfig)
    companies: CompaniesConfig = Field(default_factory=CompaniesConfig)
    social: SocialConfig = Field(default_factory=SocialConfig)
    circles: CirclesConfig = Field(default_factory=CirclesConfig)
    money: MoneyConfig = Field(default_factory=MoneyConfig)
    fraud: FraudConfig = Field(default_factory=FraudConfig)
    events: EventsConfig = Field(default_factory=EventsConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)

    # -- construction -------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "scenario") -> Scenario:
        """Validate a mapping, raising :class:`ConfigError` with a one-line message."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source} must be a mapping of parameters, got {type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, source)) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        """Load a scenario from a YAML file (a full dump or a partial one; defaults fill the rest)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"The 'config' file {str(path)!r} does not exist") from None
        except OSError as exc:
            raise ConfigError(f"The 'config' file {str(path)!r} cannot be read: {exc.strerror}") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"The 'config' file {str(path)!r} is not valid YAML{where}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_preset(cls, name: str) -> Scenario:
        """Load a preset shipped with the package (see :func:`preset_names`)."""
        names = preset_names()
        if name not in names:
            raise UnknownNameError(f"unknown scenario {name!r}; expected one of: {', '.join(names)}")
        text = resources.files("fraudgraph.scenarios").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
        return cls.from_dict(yaml.safe_load(text) or {}, source=f"preset {name!r}")

    def override(self, changes: dict[str, Any]) -> Scenario:
        """Return a copy with dotted-path parameters replaced and everything re-validated.

        Parameters
        ----------
        changes : dict
            Mapping such as ``{"persons.count": 500, "days": 30}``; ``None``
            values are ignored.
        """
        data = self.to_dict()
        for dotted, value in changes.items():
            if value is None:
                continue
            node = data
            *parents, leaf = dotted.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        return type(self).from_dict(data)

    # -- output ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The full resolved scenario as plain JSON-compatible values."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The full resolved scenario as YAML that :meth:`from_yaml` reads back."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days)


def preset_names() -> list[str]:
    """Names of the presets shipped in ``fraudgraph/scenarios``."""
    folder = resources.files("fraudgraph.scenarios")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve_scenario(scenario: Scenario | str | Path | dict | None) -> Scenario:
    """Accept a Scenario, a preset name, a YAML path or a mapping; default to ``"default"``."""
    if scenario is None:
        return Scenario.from_preset("default")
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return Scenario.from_dict(scenario)
    text = str(scenario)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return Scenario.from_yaml(text)
    return Scenario.from_preset(text)


# -- error messages -------------------------------------------------------------

def format_validation_error(exc: ValidationError, source: str = "scenario", model: Any = None, prefix: str = "") -> str:
    """Turn a pydantic error into one line naming the parameter, the value and the valid range.

    ``model`` is the pydantic model that was validated (default: :class:`Scenario`);
    ``prefix`` is prepended to parameter paths (e.g. ``"fraud.patterns.kiting_cycle."``).
    """
    model = model or Scenario
    errors = exc.errors()
    first = errors[0]
    more = f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    loc = [str(p) for p in first["loc"]]
    path = prefix + ".".join(loc)
    kind = first["type"]
    value = first.get("input")
    if kind == "extra_forbidden":
        parent = prefix + ".".join(loc[:-1])
        valid = _field_names(loc[:-1], model)
        where = f" in '{parent.rstrip('.')}'" if parent else ""
        return f"Unknown parameter '{path}'{where} of {source}; valid parameters: {', '.join(valid)}{more}"
    if kind == "range_order":
        ctx = first["ctx"]
        node = prefix + "".join(f"{part}." for part in loc)
        return (f"The '{node}{ctx['low']}' parameter of {source} must be <= '{node}{ctx['high']}' "
                f"({ctx['high_value']!r}). Got {ctx['low_value']!r} instead{more}.")
    if kind == "value_error" and not loc:
        return f"Invalid {source}: {_strip_value_error(first['msg'])}{more}"
    expected = _expected(loc, first, model)
    return f"The '{path}' parameter of {source} {expected}. Got {value!r} instead{more}."


def _strip_value_error(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _field_info(loc: list[str], model: Any):
    info = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        model = info.annotation
    return info


def _field_names(loc: list[str], model: Any) -> list[str]:
    for part in loc:
        model = model.model_fields[part].annotation
    return list(model.model_fields)


def _expected(loc: list[str], err: dict, model: Any) -> str:
    if err["type"] == "value_error":
        return _strip_value_error(err["msg"])
    info = _field_info(loc, model)
    if info is None:
        return f"is invalid ({err['msg']})"
    bounds = {}
    for meta in info.metadata:
        for attr in ("ge", "gt", "le", "lt"):
            if getattr(meta, attr, None) is not None:
                bounds[attr] = getattr(meta, attr)
    kind = getattr(info.annotation, "__name__", str(info.annotation))
    kind = {"int": "an int", "float": "a float"}.get(kind, f"a {kind}")
    if "ge" in bounds and "le" in bounds:
        return f"must be {kind} in the range [{bounds['ge']}, {bounds['le']}]"
    parts = []
    for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if attr in bounds:
            parts.append(f"{sym} {bounds[attr]}")
    if parts:
        return f"must be {kind} " + " and ".join(parts)
    return f"is invalid ({err['msg']})"
