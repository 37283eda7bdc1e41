"""Validation of the event streams: a sound dataset passes, and each corruption is reported as exactly its problem.

The dataset is generated once (800 persons, 15 days, all three formats, parts of
5,000 rows so that the streams span several parts). Each test corrupts a copy,
re-reading and re-writing part files with real parsers (pyarrow.parquet, pandas
for CSV, json for JSON Lines), and updates the manifest's checksums so that only
the corruption under test is left to find.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fraudgraph
from fraudgraph.checks import readers
from fraudgraph.checks.keys import folded_keys
from fraudgraph.loading import validate_folder
from fraudgraph.pipeline import prepare

FORMATS = ("parquet", "csv", "jsonl")  # the order in which validate reports per-format problems
FRESH_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    scenario = prepare("default", seed=3, persons=800, days=15).override({"events.part_rows": 5_000})
    out = tmp_path_factory.mktemp("streams") / "ds"
    fraudgraph.generate(scenario).write(out, formats=["csv", "jsonl", "parquet"])
    return out


@pytest.fixture
def copy(dataset, tmp_path):
    return shutil.copytree(dataset, tmp_path / "ds")


# -- reading and writing parts with real parsers --------------------------------------
def read_part(file):
    if file.suffix == ".parquet":
        return pq.read_table(file).to_pandas()
    if file.suffix == ".csv":
        return pd.read_csv(file, dtype=str, keep_default_na=False)
    with open(file, encoding="utf-8") as fh:
        return pd.DataFrame([json.loads(line) for line in fh])


def write_part(file, frame):
    if file.suffix == ".parquet":
        schema = pq.read_schema(file)
        pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), file)
    elif file.suffix == ".csv":
        frame.to_csv(file, index=False)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        file.write_text("".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records),
                        encoding="utf-8")


def manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def save_manifest(folder, data):
    (folder / "manifest.json").write_text(json.dumps(data, indent=2))


def restamp(folder, rels, rows=False):
    """Give the manifest the new size and sha256 (and with ``rows``, the row count) of files we changed."""
    data = manifest(folder)
    for entry in data["files"]:
        if entry["path"] in rels:
            file = folder / entry["path"]
            entry["bytes"] = file.stat().st_size
            entry["sha256"] = hashlib.sha256(file.read_bytes()).hexdigest()
            if rows:
                entry["rows"] = len(read_part(file))
    save_manifest(folder, data)


def edit(folder, stem, change, formats=FORMATS, rows=False):
    """Apply ``change(frame, fmt)`` to the part ``stem`` (path without extension) in ``formats``."""
    rels = []
    for fmt in formats:
        file = folder / f"{stem}.{fmt}"
        write_part(file, change(read_part(file), fmt))
        rels.append(f"{stem}.{fmt}")
    restamp(folder, rels, rows=rows)


def truth_ids(folder):
    return set(pd.concat([read_part(f)["event_id"] for f in sorted((folder / "truth/events").glob("*.parquet"))]))


def singleton_row(frame, avoid=(), types=None):
    """A row whose timestamp no neighbour shares (so its id does not decide the order), not in ``avoid``."""
    ts = frame["timestamp"]
    alone = (ts != ts.shift(1)) & (ts != ts.shift(-1))
    alone &= ~frame["event_id"].isin(avoid)
    if types is not None:
        alone &= frame["event_type"].isin(types)
    return int(np.flatnonzero(alone.to_numpy())[5])


def problems(folder):
    found, _ = validate_folder(folder)
    return found


def swap(frame, i, j):
    frame = frame.copy()
    frame.iloc[[i, j]] = frame.iloc[[j, i]].to_numpy()
    return frame


NON_TX = ["login-attempt", "login-success", "session-started", "session-ended", "user-action-performed"]


# -- tests ----------------------------------------------------------------------------
def test_sound_dataset_passes_with_summary(dataset):
    found, summary = validate_folder(dataset)
    assert found == []
    data = manifest(dataset)
    assert summary["events"] == sum(data["counts"]["events"].values()) > 40_000
    assert summary["event_parts"] == len([f for f in data["files"] if f["kind"] == "events"]) // 3 >= 8
    assert len([f for f in data["files"] if f["kind"] == "event_truth"]) // 3 >= 2


def test_small_batches_find_the_same_problems(copy, monkeypatch):
    """Order carries across batches as across parts, and digests do not depend on batch boundaries."""
    edit(copy, "events/part-00002", lambda f, fmt: swap(f, 10, 4_000), formats=("csv",))
    expected = problems(copy)
    assert len(expected) == 2
    monkeypatch.setattr(readers, "BATCH_ROWS", 700)
    monkeypatch.setattr(readers, "BLOCK_BYTES", 100_000)
    assert problems(copy) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_swapped_in_one_format(copy, fmt):
    frame = read_part(copy / "events/part-00002.parquet")
    i, j = 10, 4_000
    assert frame["timestamp"][i] < frame["timestamp"][j]
    edit(copy, "events/part-00002", lambda f, _: swap(f, i, j), formats=(fmt,))
    ids, ts = frame["event_id"], frame["timestamp"]
    others = " and ".join(f"events/part-00002.{f}" for f in FORMATS if f != fmt)
    assert problems(copy) == [
        (f"events/part-00002.{fmt}: row {i + 2} ({ts[i + 1]}, {ids[i + 1]}) sorts before the row before it "
         f"({ts[j]}, {ids[j]}); events must be in (timestamp, event_id) order (2 rows in all)"),
        (f"events/part-00002.{fmt}: event_id column differs from {others} from row {i + 1}: "
         f"{ids[j]!r} where they have {ids[i]!r}"),
    ]


def test_order_broken_across_a_part_boundary(copy):
    first = read_part(copy / "events/part-00001.parquet")
    second = read_part(copy / "events/part-00002.parquet")
    a, b = first.iloc[-1], second.iloc[0]
    for fmt in FORMATS:
        one, two = read_part(copy / f"events/part-00001.{fmt}"), read_part(copy / f"events/part-00002.{fmt}")
        one.iloc[-1], two.iloc[0] = two.iloc[0].to_numpy(), one.iloc[-1].to_numpy()
        write_part(copy / f"events/part-00001.{fmt}", one)
        write_part(copy / f"events/part-00002.{fmt}", two)
    restamp(copy, {f"events/part-0000{p}.{fmt}" for p in (1, 2) for fmt in FORMATS})
    assert problems(copy) == [
        f"events/part-00002.{fmt}: row 1 ({a['timestamp']}, {a['event_id']}) sorts before the last row of "
        f"events/part-00001.{fmt} ({b['timestamp']}, {b['event_id']}); events must be in (timestamp, event_id) order"
        for fmt in FORMATS
    ]


def test_duplicate_event_id_across_parts(copy):
    first = read_part(copy / "events/part-00000.parquet")["event_id"][0]
    frame = read_part(copy / "events/part-00003.parquet")
    k = singleton_row(frame, avoid=truth_ids(copy))

    def duplicate(f, _):
        f.loc[k, "event_id"] = first
        return f

    edit(copy, "events/part-00003", duplicate)
    assert problems(copy) == [
        (f"events/part-00000.parquet: event_id {first!r} is not unique: events/part-00000.parquet row 1, "
         f"events/part-00003.parquet row {k + 1:,}")
    ]


def test_event_count_differs_from_manifest(copy):
    data = manifest(copy)
    real = data["counts"]["events"]["login-failed"]
    data["counts"]["events"]["login-failed"] = real + 1
    save_manifest(copy, data)
    assert problems(copy) == [
        (f"events/part-*.{{parquet,csv,jsonl}}: {real:,} 'login-failed' events, "
         f"the manifest's counts.events says {real + 1:,}")
    ]


def test_file_rows_differ_from_manifest(copy):
    data = manifest(copy)
    entry = next(e for e in data["files"] if e["path"] == "events/part-00001.jsonl")
    entry["rows"] += 1
    save_manifest(copy, data)
    assert problems(copy) == [f"events/part-00001.jsonl: 5,000 rows, the manifest says {entry['rows']}"]


def test_unknown_event_type(copy):
    frame = read_part(copy / "events/part-00001.parquet")
    r = int(np.flatnonzero(frame["event_type"] == "session-started")[3])

    def rename(f, _):
        f.loc[r, "event_type"] = "session-teleported"
        return f

    edit(copy, "events/part-00001", rename)
    data = manifest(copy)  # the counts agree with the files, so only the unknown type is left
    data["counts"]["events"]["session-started"] -= 1
    data["counts"]["events"]["session-teleported"] = 1
    save_manifest(copy, data)
    assert problems(copy) == [
        f"events/part-00001.{fmt}: unknown event_type 'session-teleported' on row {r + 1:,}; "
        "expected one of fraudgraph.schema.EVENT_TYPES" for fmt in FORMATS
    ]


def test_source_service_does_not_match_type(copy):
    frame = read_part(copy / "events/part-00000.parquet")
    r = int(np.flatnonzero(frame["event_type"] == "login-attempt")[0])

    def reroute(f, _):
        f.loc[r, "source_service"] = "transaction-service"
        return f

    edit(copy, "events/part-00000", reroute, formats=("parquet",))
    assert problems(copy) == [
        (f"events/part-00000.parquet: event_type 'login-attempt' on row {r + 1:,} has source_service "
         "'transaction-service', expected 'user-service'")
    ]


@pytest.mark.parametrize("fmt, value", [("csv", "2025-01-03 10:00:00"), ("parquet", "2025-02-30T00:00:00Z"),
                                        ("jsonl", "2025-01-03T10:00:00+02:00"), ("csv", "yesterday")])
def test_timestamp_not_iso_utc(copy, fmt, value):
    r = 77

    def retime(f, _):
        f.loc[r, "timestamp"] = value
        return f

    edit(copy, "events/part-00001", retime, formats=(fmt,))
    assert problems(copy) == [
        f"events/part-00001.{fmt}: timestamp {value!r} on row {r + 1} is not ISO-8601 UTC (expected YYYY-MM-DDTHH:MM:SSZ)"
    ]


@pytest.mark.parametrize("fmt, payload, shown", [
    ("parquet", "not json {", ": 'not json {'"),
    ("csv", "[1, 2]", ": '[1, 2]'"),
    ("csv", '{"a": 1,}', ": '{\"a\": 1,}'"),
    ("jsonl", "a string", ""),  # JSON Lines embeds the payload: a JSON string instead of an object
    ("csv", '{\n  "spread": "over lines"\n}', None),  # a valid object on several lines is fine
])
def test_payload_not_a_json_object(copy, fmt, payload, shown):
    frame = read_part(copy / "events/part-00001.parquet")
    r = int(np.flatnonzero(frame["event_type"] == "login-success")[2])

    def spoil(f, _):
        f.at[r, "payload"] = payload
        return f

    edit(copy, "events/part-00001", spoil, formats=(fmt,))
    expected = [] if shown is None else [
        (f"events/part-00001.{fmt}: payload of row {r + 1:,} (event_id {frame['event_id'][r]!r}) "
         f"is not a JSON object{shown}")
    ]
    assert problems(copy) == expected


def test_truth_row_whose_event_was_dropped(copy):
    events = read_part(copy / "events/part-00002.parquet")
    truth = pd.concat([read_part(f).assign(part=f.stem)
                       for f in sorted((copy / "truth/events").glob("*.parquet"))], ignore_index=True)
    labelled = events[events["event_id"].isin(truth["event_id"]) & events["event_type"].isin(NON_TX)]
    r = int(labelled.index[0])
    gone, etype = events["event_id"][r], events["event_type"][r]
    where = truth.index[truth["event_id"] == gone][0]
    part = truth["part"][where]
    row = int(where - truth.index[truth["part"] == part][0])
    edit(copy, "events/part-00002", lambda f, _: f.drop(index=r).reset_index(drop=True), rows=True)
    data = manifest(copy)
    data["counts"]["events"][etype] -= 1
    save_manifest(copy, data)
    assert problems(copy) == [
        f"truth/events/{part}.{fmt}: event_id {gone!r} on row {row + 1:,} is not an event" for fmt in FORMATS
    ]


def test_feature_transaction_without_event(copy):
    r = 123

    def invent(f, _):
        f.loc[r, "transaction_id"] = FRESH_ID
        return f

    edit(copy, "features/transactions/part-00001", invent)
    assert problems(copy) == [
        f"features/transactions/part-00001.{fmt}: transaction_id {FRESH_ID!r} on row {r + 1} "
        "appears in no transaction event's payload" for fmt in FORMATS
    ]


def test_one_format_holds_another_event_id(copy):
    frame = read_part(copy / "events/part-00002.parquet")
    k = singleton_row(frame, avoid=truth_ids(copy))

    def replace(f, _):
        f.loc[k, "event_id"] = FRESH_ID
        return f

    edit(copy, "events/part-00002", replace, formats=("jsonl",))
    assert problems(copy) == [
        (f"events/part-00002.jsonl: event_id column differs from events/part-00002.parquet and "
         f"events/part-00002.csv from row {k + 1:,}: {FRESH_ID!r} where they have {frame['event_id'][k]!r}")
    ]


def test_unreadable_part_is_one_problem_and_other_formats_stand_in(copy):
    """The Parquet part would give this part's keys; the CSV part does instead, so truth and features still check."""
    file = copy / "events/part-00004.parquet"
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    restamp(copy, {"events/part-00004.parquet"})
    found = problems(copy)
    assert len(found) == 1 and found[0].startswith("events/part-00004.parquet: cannot be read as parquet: ")


def test_broken_json_line_is_named(copy):
    file = copy / "events/part-00001.jsonl"
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    gone = json.loads(lines[99])["event_id"]
    after = json.loads(lines[100])["event_id"]
    lines[99] = '{"event_id": oops\n'
    file.write_text("".join(lines), encoding="utf-8")
    restamp(copy, {"events/part-00001.jsonl"})
    found = problems(copy)
    assert found[:3] == [
        "events/part-00001.jsonl: line 100 is not valid JSON (Expecting value: line 1 column 14 (char 13))",
        "events/part-00001.jsonl: 4,999 rows, the manifest says 5000",
        (f"events/part-00001.jsonl: event_id column differs from events/part-00001.parquet and "
         f"events/part-00001.csv from row 100: {after!r} where they have {gone!r}"),
    ]
    # and the event type whose row is lost no longer matches its count
    assert len(found) == 4 and found[3].startswith("events/part-*.jsonl: ")


def test_part_on_disk_but_not_in_manifest(copy):
    shutil.copy(copy / "events/part-00000.csv", copy / "events/part-00099.csv")
    assert problems(copy) == ["events/part-00099.csv: present in the folder but not listed in the manifest"]


def test_cli_lists_stream_problems_and_exits_1(copy):
    data = manifest(copy)
    data["counts"]["events"]["login-failed"] += 2
    save_manifest(copy, data)
    r = subprocess.run([sys.executable, "-m", "fraudgraph", "validate", str(copy)], capture_output=True, text=True,
                       check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert r.returncode == 1
    assert "1 problem(s)" in r.stderr and "'login-failed' events, the manifest's counts.events says" in r.stderr


def test_folded_keys_are_exact_on_canonical_ids():
    rng = np.random.default_rng(4)
    raw = [bytes(rng.integers(0, 256, 16, dtype=np.uint8)).hex() for _ in range(2_000)]
    ids = [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in raw]
    # ids one hex digit apart, in either half, must get different keys
    near = [ids[0][:-1] + ("0" if ids[0][-1] != "0" else "1"), ("0" if ids[0][0] != "0" else "1") + ids[0][1:]]
    keys, canonical = folded_keys(pa.array(ids + near + ids[:3] + ["ABC", None, ids[0].upper()]))
    assert canonical.tolist() == [True] * (len(ids) + 5) + [False] * 3
    assert len(np.unique(keys[: len(ids) + 2])) == len(ids) + 2
    assert keys[-3:].tolist() == keys[:3].tolist()
