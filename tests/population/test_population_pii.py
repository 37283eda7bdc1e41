"""Safe synthetic PII: reserved e-mail domains, fictional phone ranges, never-issued id ranges."""

import re

import numpy as np
import pandas as pd
import pytest
from population_world import generate_legit

import fraudgraph
from fraudgraph.vocab import pii

NANP_RE = re.compile(r"^\+1[2-9][0-8]\d55501\d\d$")
US_ID_RE = re.compile(r"^9\d\d-(0[1-9]|[1-4]\d)-\d{4}$")
CA_ID_RE = re.compile(r"^0\d\d-\d{3}-\d{3}$")
GB_ID_RE = re.compile(r"^QQ\d{6}[A-D]$")
EMAIL_RE = re.compile(r"^[a-z0-9._]+@example\.(com|net|org)$")

#: Ofcom's "numbers for drama" blocks of 1000, written independently of the package as E.164 prefixes.
OFCOM_DRAMA_BLOCKS = {
    "+441134960",  # Leeds        0113 496 0xxx
    "+441144960",  # Sheffield    0114 496 0xxx
    "+441154960",  # Nottingham   0115 496 0xxx
    "+441164960",  # Leicester    0116 496 0xxx
    "+441174960",  # Bristol      0117 496 0xxx
    "+441184960",  # Reading      0118 496 0xxx
    "+441214960",  # Birmingham   0121 496 0xxx
    "+441314960",  # Edinburgh    0131 496 0xxx
    "+441414960",  # Glasgow      0141 496 0xxx
    "+441514960",  # Liverpool    0151 496 0xxx
    "+441614960",  # Manchester   0161 496 0xxx
    "+442079460",  # London       020 7946 0xxx
    "+441914980",  # Tyneside     0191 498 0xxx
    "+442896496",  # N. Ireland   028 9649 6xxx
    "+442920180",  # Cardiff      029 2018 0xxx
    "+441632960",  # no area      01632 960xxx
    "+447700900",  # mobile       07700 900xxx
}


def _all_match(values, pattern):
    bad = [v for v in values if not pattern.match(v)]
    assert not bad, f"{len(bad)} values do not match {pattern.pattern}, e.g. {bad[:3]}"


@pytest.fixture(scope="module")
def persons():
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.countries": {"US": 0.4, "CA": 0.3, "GB": 0.3}, "persons.count": 3000}
    )
    return generate_legit(scenario, seed=3).graph.nodes["Person"]


def test_all_three_countries_present(persons):
    counts = persons["country"].value_counts()
    assert set(counts.index) == {"US", "CA", "GB"}
    assert counts.min() > 500


def test_emails_on_reserved_domains_only(persons):
    _all_match(persons["email"], EMAIL_RE)
    assert persons["email"].str.endswith(("@example.com", "@example.net", "@example.org")).all()


def test_emails_unique_and_spread_over_domains(persons):
    assert persons["email"].is_unique
    assert persons["email"].str.split("@").str[1].nunique() == 3


@pytest.mark.parametrize("country", ["US", "CA"])
def test_nanp_phones_in_fictional_555_01xx(persons, country):
    _all_match(persons.loc[persons["country"] == country, "phone"], NANP_RE)


def test_gb_phones_in_drama_blocks(persons):
    phones = persons.loc[persons["country"] == "GB", "phone"]
    assert (phones.str.len() == 13).all()
    assert phones.str.startswith(pii.UK_DRAMA_BLOCKS).all()
    assert phones.str[:10].nunique() > 5  # spread over the blocks, not a single one


def test_phones_unique(persons):
    assert persons["phone"].is_unique


@pytest.mark.parametrize("country,pattern", [("US", US_ID_RE), ("CA", CA_ID_RE), ("GB", GB_ID_RE)])
def test_national_ids_in_never_issued_ranges(persons, country, pattern):
    _all_match(persons.loc[persons["country"] == country, "national_id"], pattern)


def test_national_ids_unique(persons):
    assert persons["national_id"].is_unique


# -- the functions themselves ----------------------------------------------------

def test_nanp_area_codes_are_valid_nxx():
    codes = pii.NANP_AREA_CODES
    assert codes.min() >= 200 and codes.max() <= 999
    assert not np.any((codes // 10) % 10 == 9)  # middle digit 9 is reserved
    assert not np.any(codes % 100 == 11)  # N11 service codes
    assert np.unique(codes).size == codes.size
    assert pii.NANP_FICTIONAL_CAPACITY == codes.size * 100


def test_nanp_phones_distinct_up_to_capacity():
    cap = pii.NANP_FICTIONAL_CAPACITY
    phones = pii.nanp_phones(np.random.default_rng(0), cap)
    assert len(set(phones)) == cap
    _all_match(phones, NANP_RE)


def test_nanp_phones_beyond_capacity_repeat_but_stay_fictional():
    cap = pii.NANP_FICTIONAL_CAPACITY
    phones = pii.nanp_phones(np.random.default_rng(1), cap + 500)
    assert len(set(phones)) == cap  # every fictional number used once before any repeats
    _all_match(phones, NANP_RE)


def test_nanp_docstring_states_the_real_capacity():
    assert f"{pii.NANP_FICTIONAL_CAPACITY:,}" in pii.nanp_phones.__doc__


def test_nanp_phones_of_zero_is_empty():
    assert len(pii.nanp_phones(np.random.default_rng(0), 0)) == 0


def test_uk_phones_distinct_over_all_blocks():
    cap = len(pii.UK_DRAMA_BLOCKS) * 1000
    phones = pd.Series(pii.uk_phones(np.random.default_rng(2), cap))
    assert phones.is_unique
    assert (phones.str.len() == 13).all()
    assert phones.str.startswith(pii.UK_DRAMA_BLOCKS).all()
    assert set(phones.str[:10]) == set(pii.UK_DRAMA_BLOCKS)


def test_uk_blocks_are_ofcom_drama_ranges():
    assert set(pii.UK_DRAMA_BLOCKS) <= OFCOM_DRAMA_BLOCKS


@pytest.mark.parametrize("func,pattern", [
    (pii.us_national_ids, US_ID_RE), (pii.ca_national_ids, CA_ID_RE), (pii.gb_national_ids, GB_ID_RE),
])
def test_national_id_functions(func, pattern):
    ids = pd.Series(func(np.random.default_rng(4), 20_000))
    assert ids.is_unique
    _all_match(ids, pattern)


def test_us_national_ids_cover_the_whole_range():
    ids = pd.Series(pii.us_national_ids(np.random.default_rng(5), 200_000))
    area = ids.str[:3].astype(int)
    group = ids.str[4:6].astype(int)
    serial = ids.str[7:].astype(int)
    assert area.between(900, 999).all() and area.nunique() == 100
    assert group.between(1, 49).all() and group.nunique() == 49  # never 50-99 (ITIN groups)
    assert serial.between(1, 9999).all()


def test_emails_unique_under_heavy_collisions():
    n = 5000
    first = np.array(["ann"] * n, dtype=object)
    last = np.array(["lee"] * n, dtype=object)
    out = pd.Series(pii.emails(np.random.default_rng(6), first, last))
    assert out.is_unique
    _all_match(out, EMAIL_RE)


# -- at scale: the NANP boundary -------------------------------------------------

@pytest.fixture(scope="module")
def big_persons():
    return generate_legit("default", seed=5, persons=80_000).graph.nodes["Person"]


def test_nanp_phones_at_scale(big_persons):
    nanp = big_persons.loc[big_persons["country"].isin(["US", "CA"]), "phone"]
    assert len(nanp) > pii.NANP_FICTIONAL_CAPACITY  # the run crosses the boundary
    _all_match(nanp, NANP_RE)
    assert nanp.nunique() == pii.NANP_FICTIONAL_CAPACITY  # exhausted before anything repeats


def test_emails_and_ids_unique_at_scale(big_persons):
    assert big_persons["email"].is_unique
    assert big_persons["national_id"].is_unique
    assert big_persons.loc[big_persons["country"] == "GB", "phone"].is_unique


def test_address_identifies_one_city_at_scale(big_persons):
    assert (big_persons.groupby("address")["city"].nunique() == 1).all()


def test_generated_gb_phones_in_ofcom_drama_ranges(persons):
    phones = persons.loc[persons["country"] == "GB", "phone"]
    assert phones.str[:10].isin(OFCOM_DRAMA_BLOCKS).all()
