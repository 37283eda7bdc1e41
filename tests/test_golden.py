"""The same seed gives the same files, byte for byte, across refactors.

``tests/golden.json`` holds the sha256 of every file of three runs, recorded
before a renovation of the code; the test regenerates them and compares. A
change that is meant to change the data updates the record and says so in its
commit::

    python tests/test_golden.py --update

Parquet files carry the writer's version in their metadata, so they are
compared only when pyarrow is the version that recorded them; CSV and JSON Lines
always.
"""

import json
import sys
from pathlib import Path

import pyarrow
import pytest

HERE = Path(__file__).resolve().parent
RECORD = HERE / "golden.json"

#: (name, preset, overrides, formats, streams)
RUNS = [
    ("default", "default", {}, "csv,jsonl,parquet", None),
    ("fraud_heavy_graph", "fraud_heavy", {}, "parquet", []),
    ("fraud_heavy_events", "fraud_heavy", {"persons": 2000, "days": 60}, "jsonl", None),
]


def checksums(folder: Path, preset, overrides, formats, streams) -> dict[str, str]:
    import fraudgraph

    out = folder / "ds"
    fraudgraph.generate(preset, **overrides).write(out, formats=formats, streams=streams)
    manifest = json.loads((out / "manifest.json").read_text())
    return {f["path"]: f["sha256"] for f in manifest["files"]}


@pytest.mark.parametrize("name, preset, overrides, formats, streams", RUNS, ids=[r[0] for r in RUNS])
def test_same_files_as_recorded(tmp_path, name, preset, overrides, formats, streams):
    record = json.loads(RECORD.read_text())
    expected = record["runs"][name]
    got = checksums(tmp_path, preset, overrides, formats, streams)
    assert sorted(got) == sorted(expected)
    same_writer = record["pyarrow"] == pyarrow.__version__
    differ = [path for path, digest in expected.items()
              if got[path] != digest and (same_writer or not path.endswith(".parquet"))]
    assert differ == [], f"{len(differ)} files changed since the record, e.g. {differ[:5]}"


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_golden.py --update")
    import tempfile

    runs = {}
    for name, *spec in RUNS:
        with tempfile.TemporaryDirectory() as folder:
            runs[name] = checksums(Path(folder), *spec)
    RECORD.write_text(json.dumps({"pyarrow": pyarrow.__version__, "runs": runs}, indent=1, sort_keys=True) + "\n")
    print(f"recorded {sum(len(r) for r in runs.values())} files of {len(runs)} runs in {RECORD}")
