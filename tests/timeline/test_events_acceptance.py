"""The issue's checks, end to end through written files (scaled down to run in CI)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.timeline.returns import PULLED, RETURN_AFTER_BANKING_DAYS


@pytest.fixture(scope="module")
def written(tmp_path_factory, small_dataset):
    out = tmp_path_factory.mktemp("events") / "ds"
    small_dataset.write(out, formats=["jsonl", "parquet", "csv"])
    return out, small_dataset


def _events(out: Path, fmt: str = "parquet") -> pd.DataFrame:
    parts = sorted((out / "events").glob(f"part-*.{fmt}"))
    if fmt == "parquet":
        return pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
    if fmt == "jsonl":
        rows = [json.loads(line) for p in parts for line in p.read_text(encoding="utf-8").splitlines()]
        return pd.DataFrame(rows)
    return pd.concat([pd.read_csv(p, keep_default_na=False) for p in parts], ignore_index=True)


def test_every_family_and_event_type_appears(written):
    out, ds = written
    ev = _events(out)
    missing = set(schema.EVENT_TYPES) - set(ev["event_type"])
    assert not missing, f"event types never produced: {sorted(missing)}"
    services = dict(zip(ev["event_type"], ev["source_service"]))
    assert all(services[t] == et.service for t, et in schema.EVENT_TYPES.items())


def test_global_order_and_envelope(written):
    out, _ = written
    ev = _events(out)
    key = list(zip(ev["timestamp"], ev["event_id"]))
    assert key == sorted(key), "events are not ordered by (timestamp, event_id) across part files"
    assert ev["event_id"].is_unique
    assert (ev["event_version"] == "1.0").all()
    assert ev["timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()


def test_formats_hold_the_same_events(written):
    out, _ = written
    pq_ev, js_ev, csv_ev = _events(out, "parquet"), _events(out, "jsonl"), _events(out, "csv")
    assert len(pq_ev) == len(js_ev) == len(csv_ev)
    sample = np.random.default_rng(0).choice(len(pq_ev), 500, replace=False)
    for i in sample:
        assert json.loads(pq_ev["payload"].iat[i]) == js_ev["payload"].iat[i] == json.loads(csv_ev["payload"].iat[i])


def test_every_id_in_a_payload_exists_in_the_graph(written):
    out, ds = written
    ev = _events(out)
    known = set()
    for frame in ds.graph.nodes.values():
        known.update(frame["id"].astype(str))
    prefixes = tuple(nt.id_prefix for nt in schema.NODE_TYPES.values())

    def ids(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from ids(v)
        elif isinstance(value, list):
            for v in value:
                yield from ids(v)
        elif isinstance(value, str) and value.startswith(prefixes) and len(value) == 16:
            yield value

    sample = ev.sample(n=min(20_000, len(ev)), random_state=1)
    unknown = {i for p in sample["payload"] for i in ids(json.loads(p))} - known
    assert not unknown, f"{len(unknown)} ids not in the graph, e.g. {sorted(unknown)[:3]}"


def test_balances_never_go_below_their_limit(written):
    out, ds = written
    ev = _events(out)
    accounts = ds.graph.nodes["Account"].set_index("id")
    init = ev[ev["event_type"] == "transaction-initiated"]["payload"].map(json.loads)
    source = {p["transaction_id"]: p["account_id"] for p in init}
    # a pulled debit whose return could fall after the span (up to the latest banking day a return takes)
    end = np.datetime64(ds.scenario.end_date, "D")
    latest = max(RETURN_AFTER_BANKING_DAYS)
    unseen_return = {p["transaction_id"] for p in init if p["type"] in PULLED
                     and np.busday_offset(np.datetime64(p["initiated_at"][:10], "D"), latest, roll="forward") >= end}
    done = ev[ev["event_type"] == "transaction-completed"]["payload"].map(json.loads)
    rows = [(source[p["transaction_id"]], float(p["balance_after"]), p["transaction_id"], p["completed_at"])
            for p in done if p["balance_after"] is not None]
    frame = pd.DataFrame(rows, columns=["account", "balance", "transaction_id", "completed_at"])
    # a biller's pulled debit may overdraw; then it comes back for funds (R01)
    returned = ev[ev["event_type"] == "transaction-returned"]["payload"].map(json.loads)
    nsf = {p["transaction_id"] for p in returned if p["return_code"] == "R01"}
    overdrew = frame["transaction_id"].isin(nsf).to_numpy()
    assert overdrew.any()
    frame = frame[~overdrew & ~frame["transaction_id"].isin(unseen_return).to_numpy()]
    limit = accounts.loc[frame["account"], "credit_limit"].to_numpy()
    opening = accounts.loc[frame["account"], "opening_balance"].to_numpy()
    is_card = accounts.loc[frame["account"], "account_type"].to_numpy() == "credit_card"
    floor = np.minimum(-limit, np.where(is_card, -opening, opening))
    assert len(frame) > 1000
    assert (frame["balance"].to_numpy() >= floor - 0.01).all()
    failed = ev[ev["event_type"] == "transaction-failed"]["payload"].map(json.loads)
    assert {"insufficient_funds"} <= {p["error_code"] for p in failed}


def test_scripted_schedules_show_up_as_events(written):
    out, ds = written
    truth = pd.concat([pq.read_table(p).to_pandas() for p in sorted((out / "truth" / "events").glob("*.parquet"))])
    scripted = ds.truth.schedule
    money = scripted[scripted["kind"].isin(["transfer", "card_payment", "refund", "cash_deposit", "bill_payment"])
                     & (scripted["time"] < pd.Timestamp(ds.scenario.end_date))]
    per_pattern = truth[truth["event_type"] == "transaction-initiated"].groupby("pattern_id").size()
    expected = money.groupby("pattern_id").size()
    assert (per_pattern.reindex(expected.index).fillna(0) >= expected).all()
    fraud_rows = truth[truth["is_fraud"]]
    assert len(fraud_rows) and fraud_rows["fraud_type"].notna().all()
    assert set(fraud_rows["pattern_id"]) <= set(ds.truth.patterns["pattern_id"])


def test_truth_carries_leakage_metadata_and_accidents(written):
    out, _ = written
    truth = pd.concat([pq.read_table(p).to_pandas() for p in sorted((out / "truth" / "events").glob("*.parquet"))])
    fraud_person_rows = truth[truth["fraud_started_at"].notna()]
    assert len(fraud_person_rows)
    pre = fraud_person_rows["timestamp"] < fraud_person_rows["fraud_started_at"]
    assert (fraud_person_rows["is_pre_fraud"] == pre).all()
    assert ((fraud_person_rows["days_to_fraud"] > 0) == pre).all()
    for column in ("is_accident_burst", "is_high_amount_accident", "is_mistyped_recipient"):
        assert truth[column].any(), column
    mistyped = truth[truth["is_mistyped_recipient"]]
    assert mistyped["original_recipient"].str.startswith("acc_").all()


def test_same_seed_same_bytes_whatever_the_window(tmp_path, small_dataset):
    small = fraudgraph.generate("fraud_heavy", seed=9, persons=600, days=20)
    small.scenario.output.typed_events = True
    small.scenario.events.window_days = 7
    a = small.write(tmp_path / "a", formats=["jsonl", "parquet"]).path
    small.scenario.events.window_days = 1
    small.scenario.events.part_rows = 5_000
    b = small.write(tmp_path / "b", formats=["jsonl", "parquet"]).path

    def joined(root, ext):
        return b"".join(p.read_bytes() for p in sorted((root / "events").glob(f"part-*.{ext}")))

    assert joined(a, "jsonl") == joined(b, "jsonl")
    parts = sorted((b / "events").glob("part-*.jsonl"))
    assert len(parts) > 1
    assert all(len(p.read_text().splitlines()) <= 5_000 for p in parts)
    small.scenario.events.window_days = 3
    small.scenario.events.part_rows = 1_000_000
    c = small.write(tmp_path / "c", formats=["jsonl", "parquet"]).path
    files = sorted(p.relative_to(c) for p in (c / "events").rglob("*") if p.is_file())
    assert any(p.parts[1] == "transactions" for p in files)  # the typed tables by family and date too
    for rel in files:
        assert (c / rel).read_bytes() == (a / rel).read_bytes(), rel
