"""Persons and the households they live in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import choice_from_weights
from fraudgraph.population.world import World
from fraudgraph.units import DAY, YEAR, to_datetime
from fraudgraph.vocab import pii
from fraudgraph.vocab.draw import unique_integers

#: Age range (years, at the scenario start) of each segment, in schema.SEGMENTS order.
SEGMENT_AGES = np.array([[18, 26], [22, 36], [27, 56], [30, 75], [62, 92], [19, 52]], dtype=float)
MAX_HOUSEHOLD = 8
ADDRESS_NUMBERS = 9_999   # house numbers 1..9999
ADDRESS_UNITS = 40        # slot block 0 = houses, blocks 1..39 = Apt 1..39


def household_sizes(rng: np.random.Generator, n_persons: int, mean: float) -> np.ndarray:
    """Household sizes (1 + Poisson, at most 8) that add up to exactly ``n_persons``."""
    sizes = np.empty(0, dtype=np.int64)
    while sizes.sum() < n_persons:
        more = 1 + rng.poisson(mean - 1.0, size=max(16, int(n_persons / mean * 1.1)))
        sizes = np.concatenate([sizes, np.minimum(more, MAX_HOUSEHOLD)])
    cum = np.cumsum(sizes)
    last = int(np.searchsorted(cum, n_persons))
    sizes = sizes[: last + 1]
    sizes[-1] -= cum[last] - n_persons
    return sizes[sizes > 0]


def build_persons(world: World, graph: PropertyGraph) -> None:
    """Add ``Person`` nodes, grouped in households that share a city, an address and often a surname."""
    cfg = world.scenario.persons
    rng = world.rng("persons")
    n = cfg.count

    sizes = household_sizes(rng, n, cfg.household_size_mean)
    n_households = sizes.size
    household = np.repeat(np.arange(n_households), sizes)
    household_city = world.geo.sample(rng, n_households)
    city = household_city[household]
    country = world.geo.country[city]

    segment = choice_from_weights(rng, cfg.segments, schema.SEGMENTS, n)
    kyc = choice_from_weights(rng, cfg.kyc_levels, schema.KYC_LEVELS, n)

    during = rng.random(n) < cfg.joined_during_span
    history = max(cfg.history_years * YEAR, DAY)
    created = np.where(
        during,
        world.start + (rng.random(n) * (world.end - world.start)).astype(np.int64),
        world.start - (history * rng.random(n) ** 1.6).astype(np.int64) - 1,
    )
    lo, hi = SEGMENT_AGES[segment, 0], SEGMENT_AGES[segment, 1]
    age_years = lo + rng.random(n) * (hi - lo)
    dob = np.minimum(world.start - (age_years * YEAR).astype(np.int64), created - int(18 * YEAR) - DAY)

    names = np.empty(n, dtype=object)
    first_slug = np.empty(n, dtype=object)
    last_slug = np.empty(n, dtype=object)
    phones = np.empty(n, dtype=object)
    national_ids = np.empty(n, dtype=object)
    addresses = np.empty(n, dtype=object)
    # NANP numbers are one pool for the US and Canada, so draw them together.
    nanp = np.isin(country, ["US", "CA"])
    phones[nanp] = pii.nanp_phones(world.rng("phones", "nanp"), int(nanp.sum()))
    for code in sorted(set(country.tolist())):
        members = np.flatnonzero(country == code)
        vocab = pii.Vocabulary(pii.LOCALES[code], int(world.seeds.sequence("faker", code).generate_state(1)[0]))
        crng = world.rng("persons", code)
        k = members.size
        first = crng.integers(0, vocab.first_names.size, k)
        hh = household[members]
        hh_last = crng.integers(0, vocab.last_names.size, n_households)[hh]
        own_last = crng.integers(0, vocab.last_names.size, k)
        last = np.where(crng.random(k) < 0.8, hh_last, own_last)
        names[members] = (pd.Series(vocab.first_names[first], dtype=str) + " "
                          + pd.Series(vocab.last_names[last], dtype=str)).to_numpy(dtype=object)
        first_slug[members] = vocab.first_slugs[first]
        last_slug[members] = vocab.last_slugs[last]
        if code == "GB":
            phones[members] = pii.uk_phones(world.rng("phones", code), k)
        national_ids[members] = pii.NATIONAL_IDS[code](world.rng("national_ids", code), k)
        # one distinct (number, street, apartment) per household of the country: unrelated
        # households never share an address, so a shared address always means a household
        country_hh = np.unique(hh)
        streets = np.unique(vocab.streets)
        in_flat = crng.random(country_hh.size) < 0.25
        houses = streets.size * ADDRESS_NUMBERS
        slot = np.empty(country_hh.size, dtype=np.int64)
        slot[~in_flat] = unique_integers(crng, 0, houses, int((~in_flat).sum()))
        slot[in_flat] = unique_integers(crng, houses, houses * ADDRESS_UNITS, int(in_flat.sum()))
        street = slot % streets.size
        number = 1 + (slot // streets.size) % ADDRESS_NUMBERS
        apt = slot // houses  # 0 for houses, 1..39 for flats
        unit = ", Apt " + pd.Series(apt).astype(str)
        hh_address = (pd.Series(number).astype(str) + " " + pd.Series(streets[street], dtype=str)
                      + unit.where(apt > 0, ""))
        lookup = np.empty(n_households, dtype=object)
        lookup[country_hh] = hh_address.to_numpy(dtype=object)
        addresses[members] = lookup[hh]

    email = pii.emails(world.rng("emails"), first_slug, last_slug)
    ids = graph.new_ids("Person", n, rng)
    graph.add_nodes("Person", pd.DataFrame({
        "id": ids,
        "name": names,
        "email": email,
        "phone": phones,
        "date_of_birth": to_datetime(dob),
        "address": addresses,
        "city": world.geo.city[city],
        "state": world.geo.state[city],
        "country": country,
        "national_id": national_ids,
        "segment": np.array(schema.SEGMENTS)[segment],
        "kyc_level": np.array(schema.KYC_LEVELS)[kyc],
        "created_at": to_datetime(created),
    }))
    world["person_id"] = ids
    world["person_city"] = city
    world["person_country"] = country
    world["person_household"] = household
    world["person_segment"] = segment
    world["person_created"] = created
    world["household_size"] = sizes
    world["household_city"] = household_city
