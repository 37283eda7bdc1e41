"""The exporter contract: a sink declares what it does and lists what it wrote; the pipeline asks nothing else.

A toy sink that writes a folder of its own (tab-separated edge lists) and no
event streams goes through ``generate``, the manifest and ``validate`` like a
built-in format.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fraudgraph.exporters import (
    Capabilities,
    Exporter,
    ExporterError,
    WrittenFile,
    register_exporter,
)

import fraudgraph
from fraudgraph import schema
from fraudgraph.loading import validate_folder


class EdgeListExporter(Exporter):
    """``edgelist/<Src>_<REL>_<Dst>.tsv``: one ``src<TAB>dst`` line per edge, and a README."""

    name = "edgelist"
    extension = "tsv"
    capabilities = Capabilities(folder="edgelist")

    def write(self, dataset, out: Path, **options) -> list[WrittenFile]:
        folder = out / "edgelist"
        folder.mkdir()
        written = []
        for key, frame in dataset.graph.edges.items():
            stem = schema.edge_type(key).file_stem
            rel = Path("edgelist") / f"{stem}.tsv"
            (out / rel).write_text("".join(f"{s}\t{d}\n" for s, d in zip(frame["src"], frame["dst"])))
            written.append(WrittenFile.of(out, rel, "edge_list", stem, len(frame)))
        (folder / "README").write_text("src<TAB>dst per line\n")
        written.append(WrittenFile.of(out, "edgelist/README", "readme", "README", None))
        return written


class Trespasser(EdgeListExporter):
    name = "trespasser"

    def write(self, dataset, out, **options):
        (out / "nodes").mkdir(exist_ok=True)
        (out / "nodes" / "mine.txt").write_text("x")
        return [WrittenFile.of(out, "nodes/mine.txt", "x", "mine", None)]


class Liar(EdgeListExporter):
    name = "liar"

    def write(self, dataset, out, **options):
        return [WrittenFile("edgelist/ghost.tsv", "edge_list", "ghost", 0, 0, "0" * 64)]


@pytest.fixture(scope="module")
def dataset():
    return fraudgraph.generate("demo", seed=3, persons=150, days=3)


@pytest.fixture
def registered():
    for cls in (EdgeListExporter, Trespasser, Liar):
        register_exporter(cls.name, f"{__name__}.{cls.__name__}")


def test_a_sink_with_its_own_folder_and_no_streams(tmp_path, dataset, registered):
    out = tmp_path / "ds"
    dataset.write(out, formats=["csv", "edgelist"])
    manifest = json.loads((out / "manifest.json").read_text())
    mine = [f for f in manifest["files"] if f["format"] == "edgelist"]
    assert len(mine) == len(schema.EDGE_TYPES) + 1
    assert {f["kind"] for f in mine} == {"edge_list", "readme"}
    knows = next(f for f in mine if f["table"] == "Person_KNOWS_Person")
    lines = (out / knows["path"]).read_text().splitlines()
    assert knows["rows"] == len(lines) == len(dataset.graph.edges[("Person", "KNOWS", "Person")])
    # the sink declared no streams: the event parts are the csv format's alone
    parts = [f for f in manifest["files"] if f["kind"] == "events"]
    assert parts and {f["format"] for f in parts} == {"csv"}

    problems, summary = validate_folder(out)
    assert problems == [] and summary["formats"] == ["csv", "cypher-pack", "edgelist"] and summary["read_back"] == ["csv"]
    # a changed byte in the sink's folder is caught by its sha256
    (out / knows["path"]).write_text("tampered\n")
    assert any("Person_KNOWS_Person.tsv: " in p for p in validate_folder(out)[0])


def test_validate_needs_no_plugin_to_check_its_files(tmp_path, dataset, registered):
    out = tmp_path / "ds"
    dataset.write(out, formats=["parquet", "edgelist"])
    # a fresh process where the sink is not registered: its files are checked by sha256
    r = subprocess.run([sys.executable, "-m", "fraudgraph", "validate", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "edgelist checked by sha256 only" in r.stdout


@pytest.mark.parametrize("name, message", [("trespasser", "outside its folder 'edgelist'"),
                                           ("liar", "listed 'edgelist/ghost.tsv', which it did not write")])
def test_a_sink_that_breaks_its_contract_is_one_error(tmp_path, dataset, registered, name, message):
    with pytest.raises(ExporterError, match=message):
        dataset.write(tmp_path / "ds", formats=["csv", name])
    assert list(tmp_path.iterdir()) == []


def test_builtin_formats_declare_tables_streams_and_reading():
    from fraudgraph.exporters import get_exporter

    for name in ("csv", "jsonl"):
        assert get_exporter(name).capabilities == Capabilities(tables=True, streams=True, readable=True)
    # Parquet also takes the windows, for the typed event tables by family and date
    assert get_exporter("parquet").capabilities == Capabilities(tables=True, streams=True, readable=True, windows=True)
