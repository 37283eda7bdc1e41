import json
import uuid

import numpy as np
import pyarrow as pa

from fraudgraph.timeline import envelope as env


def test_uuids_are_valid_version4_and_reproducible():
    a = env.uuids(np.random.default_rng(5), 1000).to_pylist()
    b = env.uuids(np.random.default_rng(5), 1000).to_pylist()
    assert a == b
    parsed = [uuid.UUID(u) for u in a]
    assert all(u.version == 4 and str(u) == s for u, s in zip(parsed, a))
    assert len(set(a)) == 1000


def test_uuid_sort_keys_follow_string_order():
    ids = env.uuids(np.random.default_rng(1), 500)
    hi, lo = env.uuid_sort_keys(ids)
    assert np.array_equal(np.lexsort((lo, hi)), np.argsort(np.array(ids.to_pylist())))


def test_json_object_escapes_and_formats():
    payload = env.json_object([
        ("name", env.text(pa.array(['a "quoted" \\ name', None]))),
        ("amount", env.money([1234.5, -0.456])),
        ("n", env.number(pa.array([1, None]))),
        ("ok", env.boolean([True, False])),
        ("geo", env.nested([("lat", env.fixed([12.34567, -1.0], 4))])),
    ]).to_pylist()
    rows = [json.loads(p) for p in payload]
    assert rows[0] == {"name": 'a "quoted" \\ name', "amount": "1234.50", "n": 1, "ok": True, "geo": {"lat": 12.3457}}
    assert rows[1] == {"name": None, "amount": "-0.46", "n": None, "ok": False, "geo": {"lat": -1.0}}


def test_iso_seconds():
    assert env.iso_seconds(np.array([1735689600, 1735775999])).to_pylist() == ["2025-01-01T00:00:00Z", "2025-01-01T23:59:59Z"]


def test_keyed_uuids_give_the_same_ids_and_keys_in_string_order():
    ids, hi, lo = env.keyed_uuids(np.random.default_rng(9), 2000)
    assert ids.equals(env.uuids(np.random.default_rng(9), 2000))
    parsed_hi, parsed_lo = env.uuid_sort_keys(ids)
    assert np.array_equal(hi, parsed_hi) and np.array_equal(lo, parsed_lo)
    assert np.array_equal(np.lexsort((lo, hi)), np.argsort(np.array(ids.to_pylist())))


def test_iso_seconds_agrees_with_arrows_formatter_across_centuries():
    import pyarrow.compute as pc

    rng = np.random.default_rng(8)
    seconds = np.r_[rng.integers(-2_000_000_000, 4_000_000_000, 50_000), 0, -1, 86_399, 951_782_400]  # 2000-02-29
    reference = pc.cast(pa.array(seconds.astype("datetime64[s]")), pa.large_string()).to_pylist()
    assert env.iso_seconds(seconds).to_pylist() == [r.replace(" ", "T") + "Z" for r in reference]
    assert env.iso_seconds(np.zeros(0, np.int64)).to_pylist() == []
