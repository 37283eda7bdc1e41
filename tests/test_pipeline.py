"""Determinism and the all-or-nothing output folder."""

import json

import pytest

import fraudgraph
from fraudgraph import schema, truth
from fraudgraph.errors import OutputError, UnknownNameError
from fraudgraph.loading import read_dataset, validate_folder
from fraudgraph.queries import load_pack


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_byte_identical_in_every_format(tmp_path):
    for run in ("a", "b"):
        fraudgraph.generate("demo", seed=21, persons=700).write(tmp_path / run, formats="jsonl,csv,parquet")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) == 1 + 3 * (len(schema.NODE_TYPES) + len(schema.EDGE_TYPES) + len(truth.TABLES) + 3) + len(load_pack())
    for name in a:
        assert a[name] == b[name], name


def test_different_seeds_differ(tmp_path):
    fraudgraph.generate("demo", seed=1, persons=300).write(tmp_path / "a", formats="csv")
    fraudgraph.generate("demo", seed=2, persons=300).write(tmp_path / "b", formats="csv")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a["nodes/Person.csv"] != b["nodes/Person.csv"]
    assert a["edges/Person_KNOWS_Person.csv"] != b["edges/Person_KNOWS_Person.csv"]


def test_manifest_contents(written, small_dataset):
    manifest = json.loads((written / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert manifest["fraudgraph_version"] == fraudgraph.__version__
    assert manifest["scenario"] == small_dataset.scenario.to_dict()
    assert manifest["counts"]["nodes"] == small_dataset.graph.counts()["nodes"]
    assert manifest["counts"]["nodes"]["Person"] >= 600  # legitimate persons, plus any synthetic identities
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file()} - {"manifest.json"}
    assert listed == on_disk
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])


def test_validate_folder_and_read_back(written, small_dataset):
    problems, summary = validate_folder(written)
    assert problems == [] and summary["formats"] == ["csv", "cypher-pack", "jsonl", "parquet"]
    back = read_dataset(written, format="jsonl")
    assert back.graph.counts() == small_dataset.graph.counts()
    assert back.scenario == small_dataset.scenario


def test_validate_folder_reports_tampering(written, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(written, copy)
    path = copy / "edges" / "Person_OWNS_Account.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1] + [lines[-1].replace("acc_", "acc_f", 1)]) + "\n")
    (copy / "nodes" / "Circle.jsonl").unlink()
    problems, _ = validate_folder(copy)
    text = "\n".join(problems)
    assert "Person_OWNS_Account.csv: sha256 differs" in text or "bytes, the manifest says" in text
    assert "Circle.jsonl: listed in the manifest but missing" in text
    assert "[csv] Person_OWNS_Account: 1 dst ids are not Account nodes" in text


def test_every_unlisted_file_fails_validate(written, tmp_path):
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "copy"
    shutil.copytree(written, copy)
    assert validate_folder(copy)[0] == []
    (copy / "hardness.json").write_text("{}")
    (copy / "nodes" / "Person.csv.bak").write_text("id\n")
    (copy / "extra").mkdir()
    (copy / "extra" / "notes.txt").write_text("mine")
    (copy / "link").symlink_to(copy / "extra")
    problems, _ = validate_folder(copy)
    assert problems == [f"{rel}: present in the folder but not listed in the manifest"
                        for rel in ("extra/notes.txt", "hardness.json", "link", "nodes/Person.csv.bak")]
    r = subprocess.run([sys.executable, "-m", "fraudgraph", "validate", str(copy)], capture_output=True, text=True)
    assert r.returncode == 1 and "hardness.json: present in the folder but not listed" in r.stderr


def test_non_empty_folder_refused_and_untouched(tmp_path, small_dataset):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        small_dataset.write(out, formats="csv")
    with pytest.raises(OutputError, match="holds no fraudgraph dataset"):
        small_dataset.write(out, formats="csv", force=True)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_replaces_a_dataset(tmp_path):
    out = tmp_path / "out"
    fraudgraph.generate("demo", seed=1, persons=100).write(out, formats="csv")
    fraudgraph.generate("demo", seed=2, persons=120).write(out, formats="parquet", force=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2 and not list(out.rglob("*.csv"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_leaves_nothing_behind(tmp_path, small_dataset, monkeypatch):
    from fraudgraph.exporters import parquet

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(parquet.ParquetExporter, "write_table", boom)
    with pytest.raises(RuntimeError):
        small_dataset.write(tmp_path / "out", formats="csv,parquet")
    assert list(tmp_path.iterdir()) == []


def test_missing_parent_refused(tmp_path, small_dataset):
    with pytest.raises(OutputError, match="does not exist"):
        small_dataset.write(tmp_path / "no" / "such" / "out", formats="csv")
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_rejected_before_work():
    with pytest.raises(UnknownNameError, match="csv, cypher, gnn, jsonl, neo4j-admin, parquet, report"):
        fraudgraph.pipeline.prepare("demo", formats="csv,xml")


def test_bytes_do_not_depend_on_chunk_size_or_workers(tmp_path, monkeypatch, small_dataset):
    from fraudgraph.exporters import jsonl

    small_dataset.write(tmp_path / "a", formats="jsonl,parquet")
    monkeypatch.setattr(jsonl, "BLOCK_ROWS", 7)                # many tiny blocks
    monkeypatch.setattr("fraudgraph.writing.os.cpu_count", lambda: 1)  # formats one after another
    small_dataset.write(tmp_path / "b", formats="jsonl,parquet")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_manifest_does_not_depend_on_the_order_of_formats_or_streams(tmp_path):
    for name, formats, streams in (("a", "csv,jsonl,parquet", "transactions,sessions,circles"),
                                   ("b", "parquet,jsonl,csv", "circles,sessions,transactions")):
        scenario = fraudgraph.pipeline.prepare("demo", seed=4, persons=150, days=4, formats=formats, streams=streams)
        assert scenario.output.formats == ["csv", "jsonl", "parquet"]
        assert scenario.events.streams == ["transactions", "sessions", "circles"]
        fraudgraph.generate(scenario).write(tmp_path / name)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_streams_and_formats_never_change_the_graph_or_the_truth(tmp_path):
    dataset = fraudgraph.generate("demo", seed=9, persons=300, days=6)
    dataset.write(tmp_path / "none", formats="parquet", streams=[])
    dataset.write(tmp_path / "some", formats="parquet", streams=["circles"])
    dataset.write(tmp_path / "all", formats="csv,jsonl,parquet")
    again = fraudgraph.generate("demo", seed=9, persons=300, days=6)
    again.write(tmp_path / "again", formats="jsonl,parquet", streams=["markets", "identity"], labels_on_events=True)
    tables = {name: data for name, data in _files(tmp_path / "none").items()
              if name.split("/")[0] in ("nodes", "edges", "truth") and not name.startswith("truth/events/")}
    assert len(tables) == len(schema.NODE_TYPES) + len(schema.EDGE_TYPES) + len(truth.TABLES)
    for other in ("some", "all", "again"):
        files = _files(tmp_path / other)
        for name, data in tables.items():
            assert files[name] == data, (other, name)
