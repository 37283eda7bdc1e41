"""The same files from one process, two local processes and a two-worker Dask cluster; bad engine input."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clirun import cli, one_line_exit_2

from fraudgraph.shards import engines, write_sharded

from .world import sharded_scenario


def _files(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_local_processes_write_the_same_bytes(sharded, tmp_path):
    out, _ = sharded
    write_sharded(sharded_scenario(), tmp_path / "two", workers=2)
    assert _files(tmp_path / "two") == _files(out)


def test_a_dask_cluster_writes_the_same_bytes(sharded, tmp_path):
    distributed = pytest.importorskip("distributed")
    out, _ = sharded
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        code, stdout, err = cli("generate", "--persons", 3000, "--shard-persons", 1000, "--days", 4, "--seed", 11,
                                "--engine", "dask", "--scheduler", cluster.scheduler_address, "--typed-events",
                                "--out", tmp_path / "dask")
    assert code == 0, err
    assert "partitioned Parquet" in stdout
    assert _files(tmp_path / "dask") == _files(out)


def test_the_command_line_writes_the_same_bytes_with_workers(sharded, tmp_path):
    out, _ = sharded
    code, _, err = cli("generate", "--persons", 3000, "--shard-persons", 1000, "--days", 4, "--seed", 11,
                       "--workers", 1, "--typed-events", "--out", tmp_path / "cli")
    assert code == 0, err
    assert _files(tmp_path / "cli") == _files(out)


@pytest.mark.parametrize("args, needles", [
    (["--engine", "dask"], ["--engine dask needs --scheduler"]),
    (["--workers", 0], ["--workers", "0"]),
    (["--scheduler", "tcp://127.0.0.1:9"], ["--scheduler", "only for --engine dask"]),
    (["--workers", 2, "--format", "csv"], ["--format", "csv"]),
    (["--workers", 2, "--labels-on-events"], ["--labels-on-events", "sharded"]),
    (["--shard-persons", 10], ["persons.per_shard", "10"]),
])
def test_bad_engine_input_is_one_line_and_writes_nothing(tmp_path, args, needles):
    code, _, err = cli("generate", "--persons", 2000, "--days", 2, "--out", tmp_path / "out", *args)
    one_line_exit_2(code, err, *needles)
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "CONNECT_TIMEOUT", 2)
    code, _, err = cli("generate", "--persons", 2000, "--days", 2, "--out", tmp_path / "out",
                       "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9")
    one_line_exit_2(code, err, "--scheduler", "tcp://127.0.0.1:9")
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_worker_processes_and_leaves_nothing(tmp_path, sig, status):
    proc = subprocess.Popen([sys.executable, "-m", "fraudgraph", "generate", "--persons", "8000", "--shard-persons",
                             "2000", "--days", "30", "--workers", "2", "--out", str(tmp_path / "X")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline:
        staging = [p for p in tmp_path.glob(".*.fraudgraph-tmp-*") if (p / "nodes").is_dir()]
        if staging:
            workers = [c for c in _children(proc.pid) if c != proc.pid]
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert workers, "no shard was ever written"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert len(err.strip().splitlines()) == 1, err
    time.sleep(0.5)
    assert list(tmp_path.iterdir()) == []
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and
                "Z" not in (Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0])]


def test_timings_add_up_the_shards_of_every_worker(tmp_path):
    import json

    reports = []
    for workers in (1, 2):
        code, _, err = cli("generate", "--persons", 3000, "--shard-persons", 1000, "--days", 4, "--seed", 11,
                           "--workers", workers, "--out", tmp_path / f"w{workers}",
                           "--timings", tmp_path / f"w{workers}.json")
        assert code == 0, err
        reports.append(json.loads((tmp_path / f"w{workers}.json").read_text()))
    one, two = reports
    assert one["money_movements"] == two["money_movements"] > 0 and one["events"] == two["events"]
    calls = [{r["stage"]: r["calls"] for r in report["stages"]} for report in reports]
    assert calls[0]["pattern fraud_ring"] == calls[1]["pattern fraud_ring"] == 3
    assert calls[0]["population persons"] == calls[1]["population persons"] == 3  # the census's are its own
    census = [{r["stage"]: r["cpu_s"] for r in report["stages"]}["shards census"] for report in reports]
    assert census[1] > 0.5 * census[0] > 0  # from the worker processes too
    assert two["cpu_s"] > 0.5 * one["cpu_s"]


def test_without_the_dask_extra_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what an install without fraudgraph[dask] looks like
    code, _, err = cli("generate", "--persons", 2000, "--days", 2, "--out", tmp_path / "out",
                       "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9")
    one_line_exit_2(code, err, "pip install 'fraudgraph[dask]'")
    assert list(tmp_path.iterdir()) == []
