"""A wheel built from the repository installs fraudgraph, fraudgraph.patterns and
fraudgraph.exporters into a fresh virtual environment, and no bare top-level
'patterns' or 'exporters' package."""

import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    # build from a clean copy: a stale build/ folder in the checkout would hide packages missing from pyproject
    source = tmp_path_factory.mktemp("source") / "fraudgraph"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns("build", "dist", ".venv", ".git", "*.egg-info",
                                                                  "__pycache__", ".pytest_cache", "out"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(source)], check=True, capture_output=True)
    (path,) = dist.glob("fraudgraph-*.whl")
    return path


def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert "patterns" not in top and "exporters" not in top
    assert "fraudgraph/patterns/__init__.py" in names
    assert "fraudgraph/exporters/csv.py" in names
    assert "fraudgraph/scenarios/default.yaml" in names
    assert "fraudgraph/timeline/families/transactions.py" in names
    assert "fraudgraph/vocab/pii.py" in names and "fraudgraph/units.py" in names
    assert "fraudgraph/patterns/kit/ledger.py" in names
    licence = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert licence, "the MIT licence that pyproject.toml declares ships in the wheel"
    assert zipfile.ZipFile(wheel).read(licence[0]).startswith(b"MIT License")


def test_wheel_installs_into_fresh_venv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, str(wheel)],
                   check=True, capture_output=True)
    # dependencies come from this environment's site-packages, appended after the venv's own
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    assert not (Path(site) / "patterns").exists() and not (Path(site) / "exporters").exists()
    probe = (
        "import importlib.util, fraudgraph, fraudgraph.patterns, fraudgraph.exporters\n"
        f"assert fraudgraph.__file__.startswith({site!r}), fraudgraph.__file__\n"
        "assert importlib.util.find_spec('patterns') is None\n"
        "assert importlib.util.find_spec('exporters') is None\n"
        "ds = fraudgraph.generate('demo', seed=1, persons=50, days=5)\n"
        "ds.write('out', formats=fraudgraph.exporters.available_formats())  # every sink's modules are in the wheel\n"
        "import pathlib; assert pathlib.Path('out/events/part-00000.jsonl').stat().st_size > 0\n"
        "assert pathlib.Path('out/gnn/money.parquet').is_file()\n"
        "print(ds.graph.num_nodes('Person'), sorted(fraudgraph.exporters.available_formats()))\n"
    )
    r = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "50 ['csv', 'cypher', 'gnn', 'jsonl', 'neo4j-admin', 'parquet', 'report']"
