"""Synthetic PII that can never name a real person.

- E-mail addresses only on the reserved domains example.com, example.net and
  example.org (RFC 2606).
- Phone numbers only in ranges reserved for fiction: NANP ``555-0100`` to
  ``555-0199`` in any area code (US and Canada); Ofcom's drama ranges for the
  UK (``07700 900xxx``, ``020 7946 0xxx``, ``0113 496 0xxx`` ...).
- Identity numbers only from never-issued ranges: US SSN-like numbers with
  area 900-999 and group 01-49 (neither SSNs nor ITINs, which use groups 50-99),
  Canadian SIN-like numbers starting with 0 (never assigned to a person), UK
  National Insurance-like numbers with prefix ``QQ`` (Q is never a first letter).

Names, streets and company words come from Faker's locale vocabularies, drawn
once with a seeded Faker instance; columns are then sampled with numpy.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from fraudgraph.vocab.draw import slots, unique_integers

EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
LOCALES = {"US": "en_US", "CA": "en_CA", "GB": "en_GB"}

#: UK number blocks Ofcom reserves for drama, as E.164 prefixes of 1000 numbers each.
UK_DRAMA_BLOCKS = (
    "+447700900", "+442079460", "+441134960", "+441144960", "+441154960", "+441164960",
    "+441174960", "+441184960", "+441214960", "+441314960", "+441414960", "+441514960",
    "+441614960", "+441914980", "+442896496", "+442920180", "+441632960",
)


def _nanp_area_codes() -> np.ndarray:
    """Area codes of NANP form NXX (N=2-9, middle digit 0-8), excluding N11 service codes."""
    codes = [a for a in range(200, 1000) if (a // 10) % 10 != 9 and a % 100 != 11]
    return np.array(codes, dtype=np.int64)


NANP_AREA_CODES = _nanp_area_codes()
NANP_FICTIONAL_CAPACITY = NANP_AREA_CODES.size * 100




def nanp_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """E.164 numbers ``+1 NXX 555 01XX``: fictional in every NANP area code.

    Distinct while ``n`` is at most :data:`NANP_FICTIONAL_CAPACITY` (71,200);
    the fictional range is exhausted beyond that, and numbers repeat.
    """
    slot = slots(rng, n, NANP_FICTIONAL_CAPACITY)
    area = NANP_AREA_CODES[slot // 100]
    line = 100 + slot % 100
    return ("+1" + pd.Series(area).astype(str) + "5550" + pd.Series(line).astype(str)).to_numpy(dtype=object)


def uk_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """E.164 numbers from Ofcom's drama ranges (17,000 numbers, then they repeat)."""
    slot = slots(rng, n, len(UK_DRAMA_BLOCKS) * 1000)
    blocks = np.array(UK_DRAMA_BLOCKS, dtype=object)[slot // 1000]
    return (pd.Series(blocks, dtype=str) + pd.Series(slot % 1000).astype(str).str.zfill(3)).to_numpy(dtype=object)


def us_national_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """SSN-shaped ``9AA-GG-SSSS`` with group 01-49: never issued as an SSN or an ITIN."""
    v = unique_integers(rng, 0, 100 * 49 * 9999, n)
    area = 900 + v // (49 * 9999)
    group = 1 + (v // 9999) % 49
    serial = 1 + v % 9999
    return (pd.Series(area).astype(str) + "-" + pd.Series(group).astype(str).str.zfill(2) + "-"
            + pd.Series(serial).astype(str).str.zfill(4)).to_numpy(dtype=object)


def ca_national_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """SIN-shaped ``0XX-XXX-XXX``: the first digit 0 is never assigned to a person."""
    v = pd.Series(unique_integers(rng, 0, 10**8, n)).astype(str).str.zfill(8)
    return ("0" + v.str[:2] + "-" + v.str[2:5] + "-" + v.str[5:]).to_numpy(dtype=object)


def gb_national_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """National-Insurance-shaped ``QQ123456A``: Q is never used as a first letter."""
    v = unique_integers(rng, 0, 4 * 10**6, n)
    digits = pd.Series(v // 4).astype(str).str.zfill(6)
    suffix = pd.Series(np.array(list("ABCD"))[v % 4])
    return ("QQ" + digits + suffix).to_numpy(dtype=object)


PHONES = {"US": nanp_phones, "CA": nanp_phones, "GB": uk_phones}
NATIONAL_IDS = {"US": us_national_ids, "CA": ca_national_ids, "GB": gb_national_ids}


class Vocabulary:
    """Words drawn once from Faker for one locale: first names, last names, streets.

    Parameters
    ----------
    locale : str
        Faker locale such as ``"en_US"``.
    seed : int
        Seed for Faker's ``seed_instance``.
    size : int
        How many words of each kind to draw (with Faker's own frequencies).
    """

    def __init__(self, locale: str, seed: int, size: int = 1500):
        from faker import Faker

        fake = Faker(locale)
        fake.seed_instance(seed)
        person = next(p for p in fake.get_providers() if hasattr(p, "first_names") and hasattr(p, "last_names"))
        # one weighted draw per vocabulary (Faker's per-call overhead dominates otherwise)
        self.first_names = np.array(fake.random_elements(person.first_names, length=size, use_weighting=True), dtype=object)
        self.last_names = np.array(fake.random_elements(person.last_names, length=size, use_weighting=True), dtype=object)
        self.streets = np.array([fake.street_name() for _ in range(size // 3)], dtype=object)
        self.first_slugs = np.array([_slug(w) for w in self.first_names], dtype=object)
        self.last_slugs = np.array([_slug(w) for w in self.last_names], dtype=object)


def _slug(word: str) -> str:
    return re.sub(r"[^a-z]", "", word.lower()) or "user"


def emails(rng: np.random.Generator, first_slugs: np.ndarray, last_slugs: np.ndarray) -> np.ndarray:
    """Distinct e-mail addresses on reserved domains, in a few everyday styles."""
    n = first_slugs.size
    first = pd.Series(first_slugs, dtype=str)
    last = pd.Series(last_slugs, dtype=str)
    style = rng.integers(0, 4, n)
    local = first + "." + last
    local = local.where(style != 1, first + last)
    local = local.where(style != 2, first.str[:1] + last)
    local = local.where(style != 3, first + "_" + last)
    domain = pd.Series(np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, 3, n)], dtype=str)
    number = rng.integers(1, 100, n)
    with_number = rng.random(n) < 0.6
    out = local + pd.Series(np.where(with_number, number, 0)).astype(str).replace("0", "") + "@" + domain
    for width in (3, 4, 5, 6, 7):  # make duplicates unique with a longer random number
        dup = out.duplicated(keep="first").to_numpy()
        if not dup.any():
            break
        k = int(dup.sum())
        extra = pd.Series(rng.integers(10 ** (width - 1), 10**width, k)).astype(str).to_numpy()
        out[dup] = local[dup] + extra + "@" + domain[dup]
    dup = out.duplicated(keep="first").to_numpy()
    if dup.any():  # astronomically unlikely; a counter keeps the guarantee
        out[dup] = local[dup] + "." + pd.Series(np.arange(int(dup.sum()))).astype(str).to_numpy() + "@" + domain[dup]
    return out.to_numpy(dtype=object)
