"""The same files from one process, two local processes and a two-worker Dask cluster; bad engine input."""

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
                                "--engine", "dask", "--scheduler", cluster.scheduler_address,
                                "--out", tmp_path / "dask")
    assert code == 0, err
    assert "partitioned Parquet" in stdout
    assert _files(tmp_path / "dask") == _files(out)


def test_the_command_line_writes_the_same_bytes_with_workers(sharded, tmp_path):
    out, _ = sharded
    code, _, err = cli("generate", "--persons", 3000, "--shard-persons", 1000, "--days", 4, "--seed", 11,
                       "--workers", 1, "--out", tmp_path / "cli")
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
