"""gnn/: arrays read back with numpy (no pickles), labels and masks that match the truth, edges that map back."""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from fraudgraph.gnn.splits import PARTIES
from fraudgraph.loading import validate_folder


@pytest.fixture(scope="module")
def world(event_world):
    return event_world


@pytest.fixture(scope="module")
def folder(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("gnn") / "ds"
    world.write(out, formats=["gnn", "parquet"], streams=[])
    return out


def load(path):
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def test_every_node_type_reads_back_with_labels_from_the_truth(folder, world):
    meta = json.loads((folder / "gnn" / "metadata.json").read_text())
    truth = world.truth.node_labels
    for label, frame in world.graph.nodes.items():
        arrays = load(folder / "gnn" / "nodes" / f"{label}.npz")
        n = len(frame)
        assert arrays["ids"].tolist() == frame["id"].tolist() and meta["nodes"][label]["count"] == n
        assert arrays["x"].shape == (n, len(meta["nodes"][label]["numeric"])) and arrays["x"].dtype == np.float32
        assert arrays["x_cat"].shape == (n, len(meta["nodes"][label]["categorical"]))
        fraud = set(truth.loc[(truth["label"] == label) & truth["is_fraud"], "id"])
        assert set(arrays["ids"][arrays["y_fraud"] == 1]) == fraud
        assert ((arrays["y_typology"] > 0) == (arrays["y_fraud"] == 1)).all()
        assert (arrays["y_fraud_visible"] <= arrays["y_fraud"]).all()
        masks = np.stack([arrays["train_mask"], arrays["valid_mask"], arrays["test_mask"]])
        assert (masks.sum(axis=0) == 1).all()
    people = load(folder / "gnn" / "nodes" / "Person.npz")
    named = np.array(meta["typologies"])[people["y_typology"][people["y_typology"] > 0] - 1]
    first = truth[(truth["label"] == "Person") & truth["is_fraud"]]
    assert set(named) <= set(first["fraud_type"])


def test_no_instance_crosses_splits(folder, world):
    split = {}
    for label in world.graph.nodes:
        arrays = load(folder / "gnn" / "nodes" / f"{label}.npz")
        code = arrays["valid_mask"].astype(int) + 2 * arrays["test_mask"].astype(int)
        split.update({(label, i): c for i, c in zip(arrays["ids"], code)})
    rows = world.truth.node_labels
    rows = rows[rows["label"].isin(PARTIES)]  # a shared company or device may sit in a later split
    per_pattern = pd.Series([split[(lbl, i)] for lbl, i in zip(rows["label"], rows["id"])]).groupby(
        rows["pattern_id"].to_numpy()).nunique()
    assert (per_pattern == 1).all() and len(per_pattern) == world.truth.patterns["pattern_id"].nunique()


def test_edges_map_back_to_the_written_tables(folder, world):
    meta = json.loads((folder / "gnn" / "metadata.json").read_text())
    ids = {label: load(folder / "gnn" / "nodes" / f"{label}.npz")["ids"] for label in world.graph.nodes}
    for stem, info in meta["edges"].items():
        arrays = load(folder / "gnn" / "edges" / f"{stem}.npz")
        table = pq.read_table(folder / "edges" / f"{stem}.parquet").to_pandas()
        index = arrays["edge_index"]
        assert index.shape == (2, len(table)) and index.dtype == np.int64
        assert ids[info["src"]][index[0]].tolist() == table["src"].tolist()
        assert ids[info["dst"]][index[1]].tolist() == table["dst"].tolist()
        expected = table[info["time_property"]].to_numpy("datetime64[s]").astype(np.int64)
        assert np.array_equal(arrays["edge_time"], expected)
        assert arrays["edge_attr"].shape == (len(table), len(info["numeric"]))


def test_cutoffs_are_ordered_and_the_training_graph_is_the_past(folder):
    meta = json.loads((folder / "gnn" / "metadata.json").read_text())
    cut = {k: np.datetime64(v.rstrip("Z"), "s") for k, v in meta["cutoffs"].items()}
    assert cut["start"] < cut["train_end"] < cut["valid_end"] < cut["end"]
    arrays = load(folder / "gnn" / "edges" / "Account_TRANSFERS_TO_Account.npz")
    train = arrays["edge_time"] < cut["train_end"].astype(np.int64)
    assert 0 < train.sum() < len(train)


def test_same_seed_same_bytes_and_the_manifest_lists_every_file(folder, world, tmp_path):
    world.write(tmp_path / "again", formats=["gnn"], streams=[])
    files = sorted(p for p in (folder / "gnn").rglob("*") if p.is_file())
    assert files
    for path in files:
        assert (tmp_path / "again" / path.relative_to(folder)).read_bytes() == path.read_bytes(), path.name
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {f["path"] for f in manifest["files"] if f["format"] == "gnn"}
    assert listed == {p.relative_to(folder).as_posix() for p in files}
    assert validate_folder(folder)[0] == []


# -- money movements as a temporal edge list --------------------------------------------------------------
@pytest.fixture(scope="module")
def with_money(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("gnn-money") / "ds"
    world.write(out, formats=["gnn", "csv"], streams=["transactions", "sessions", "circles"])
    return out


def test_every_transfer_is_a_temporal_edge_with_its_truth(with_money, payloads, fraud_transactions):
    money = pq.read_table(with_money / "gnn" / "money.parquet").to_pandas()
    both = [p for p in payloads(with_money, "transaction-initiated") if p["account_id"] and p["counterparty_account_id"]]
    assert sorted(money["transaction_id"]) == sorted(p["transaction_id"] for p in both) and len(both) > 0
    order = {p["transaction_id"]: i for i, p in enumerate(both)}
    both = [both[order[t]] for t in money["transaction_id"]]
    accounts = load(with_money / "gnn" / "nodes" / "Account.npz")["ids"]
    assert accounts[money["src"]].tolist() == [p["account_id"] for p in both]
    assert accounts[money["dst"]].tolist() == [p["counterparty_account_id"] for p in both]
    assert np.allclose(money["amount"], [float(p["amount"]) for p in both])
    flagged = set(money.loc[money["y_fraud"] == 1, "transaction_id"])
    assert flagged == fraud_transactions(with_money) & set(money["transaction_id"]) and flagged
    assert ((money["y_typology"] > 0) == (money["y_fraud"] == 1)).all()
    meta = json.loads((with_money / "gnn" / "metadata.json").read_text())
    cut = {k: np.datetime64(v.rstrip("Z"), "s").astype(np.int64) for k, v in meta["cutoffs"].items()}
    period = (money["time"] >= cut["train_end"]).astype(int) + (money["time"] >= cut["valid_end"]).astype(int)
    assert (money["split"] == period).all() and set(money["split"]) == {0, 1, 2}
    assert (money["y_fraud_visible"] <= money["y_fraud"]).all()
    assert (money["time"].diff().dropna() >= 0).all()


def test_transfers_carry_the_point_in_time_features_of_features_folder(with_money):
    from fraudgraph.gnn.money import POINT_IN_TIME
    from fraudgraph.timeline.features import SCHEMA

    assert set(POINT_IN_TIME) <= set(SCHEMA.names)
    parts = sorted((with_money / "features" / "transactions").glob("part-*.csv"))
    features = pd.concat([pd.read_csv(p) for p in parts]).set_index("transaction_id")
    money = pq.read_table(with_money / "gnn" / "money.parquet").to_pandas().set_index("transaction_id")
    assert len(money) and money.index.isin(features.index).all()
    expected = features.loc[money.index]
    for name in POINT_IN_TIME:
        assert np.allclose(money[name].to_numpy(float), expected[name].astype(float).to_numpy(), equal_nan=True), name
    assert money["velocity_7d"].max() > 0 and money["amount_to_avg_30d"].notna().any()


def test_visible_transaction_labels_were_confirmed_before_the_training_cutoff(with_money):
    import csv

    meta = json.loads((with_money / "gnn" / "metadata.json").read_text())
    confirmed = {}
    for path in sorted((with_money / "truth" / "events").glob("part-*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            confirmed.update({r["event_id"]: r["fraud_confirmed_at"] for r in csv.DictReader(fh)})
    ids = {}
    for path in sorted((with_money / "events").glob("part-*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            ids.update({json.loads(r["payload"])["transaction_id"]: r["event_id"] for r in csv.DictReader(fh)
                        if r["event_type"] == "transaction-initiated"})
    money = pq.read_table(with_money / "gnn" / "money.parquet").to_pandas()
    at = money["transaction_id"].map(lambda t: confirmed.get(ids[t]) or "9999")
    early = (at < meta["cutoffs"]["train_end"]).to_numpy()
    assert np.array_equal(money["y_fraud_visible"].to_numpy() == 1, early & (money["y_fraud"] == 1).to_numpy())


def test_money_file_does_not_depend_on_the_windows(world, with_money, tmp_path, monkeypatch):
    from fraudgraph.exporters.gnn import MoneyEdges

    monkeypatch.setattr(MoneyEdges, "ROW_GROUP", 700)
    days = world.scenario.events.window_days
    try:
        for name, window in (("a", 1), ("b", 5)):
            world.scenario.events.window_days = window
            world.write(tmp_path / name, formats=["gnn"], streams=["transactions", "sessions", "circles"])
    finally:
        world.scenario.events.window_days = days
    for path in sorted((tmp_path / "a" / "gnn").rglob("*.*")):
        assert (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes() == path.read_bytes(), path.name
    a = tmp_path / "a" / "gnn" / "money.parquet"
    assert pq.ParquetFile(a).metadata.num_row_groups > 1
    # pandas compares NaN (features without history) as equal, Arrow's equals does not
    assert pq.read_table(a).to_pandas().equals(pq.read_table(with_money / "gnn" / "money.parquet").to_pandas())


def test_export_from_a_written_dataset_gives_the_same_files(with_money, tmp_path):
    from fraudgraph.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["export", "gnn", str(with_money), "--out", str(tmp_path / "out")])
    assert exit_info.value.code in (None, 0)
    for path in sorted((with_money / "gnn").rglob("*")):
        if path.is_file():
            assert (tmp_path / "out" / path.relative_to(with_money)).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("args, needle", [(["--train", "1.5"], "'train'"), (["--valid", "0.6"], "'valid'")])
def test_export_refuses_bad_shares_in_one_line(with_money, tmp_path, capsys, args, needle):
    from fraudgraph.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["export", "gnn", str(with_money), "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(err) == 1 and needle in err[0]
    assert not (tmp_path / "out").exists()


def _busiest_week(times) -> int:
    days = np.bincount(times.astype("datetime64[D]").astype(np.int64) - 19_000) if len(times) else np.zeros(1)
    return int(np.convolve(days, np.ones(7))[: len(days) + 6].max())


def test_activity_counts_only_the_past_of_each_cutoff(with_money):
    import csv

    meta = json.loads((with_money / "gnn" / "metadata.json").read_text())
    activity = load(with_money / "gnn" / "activity" / "Account.npz")
    names = activity["names"].tolist()
    assert names == meta["activity"]["Account"]
    raw = {s: np.expm1(activity[s] * np.where(activity["std"] > 0, activity["std"], 1) + activity["mean"])
           for s in ("train", "valid", "test")}
    total = [i for i, name in enumerate(names) if not name.startswith("days_since_") and not name.endswith("d")]
    total += [i for i, name in enumerate(names) if name.endswith("_peak_7d")]  # a peak never falls either
    assert (raw["train"][:, total] <= raw["valid"][:, total] + 1e-6).all()
    assert (raw["valid"][:, total] <= raw["test"][:, total] + 1e-6).all()
    ids = load(with_money / "gnn" / "nodes" / "Account.npz")["ids"].tolist()
    cut = {name: np.datetime64(meta["cutoffs"][name].rstrip("Z"), "s") for name in ("start", "train_end", "end")}
    times = {account: [] for account in ids}
    for path in sorted((with_money / "events").glob("part-*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["event_type"] == "transaction-initiated":
                    account = json.loads(r["payload"])["account_id"]
                    if account:
                        times[account].append(np.datetime64(r["timestamp"].rstrip("Z"), "s"))
    day = np.timedelta64(86_400, "s")
    for snapshot, limit in (("train", cut["train_end"]), ("test", cut["end"])):
        past = [np.array([t for t in times[a] if t < limit], dtype="datetime64[s]") for a in ids]
        expected = {"sent_count": [len(t) for t in past],
                    "sent_count_7d": [(t >= limit - 7 * day).sum() for t in past],
                    "sent_count_30d": [(t >= limit - 30 * day).sum() for t in past],
                    "days_since_sent": [(limit - t.max()) / day if len(t) else (limit - cut["start"]) / day + 1
                                        for t in past],
                    "sent_count_peak_7d": [_busiest_week(t) for t in past]}
        for name, values in expected.items():
            assert np.allclose(raw[snapshot][:, names.index(name)], values, rtol=1e-4, atol=1e-3), (snapshot, name)
    assert sum(expected["sent_count_7d"]) < sum(expected["sent_count_30d"]) <= sum(expected["sent_count"])
