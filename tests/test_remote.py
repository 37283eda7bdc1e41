"""Datasets on object storage: written to a real S3 server (SeaweedFS), read back and validated."""
import os
import signal
import subprocess
import sys
import time

import pytest
from clirun import cli, one_line_exit_2

import fraudgraph
from fraudgraph.errors import DatasetError, OutputError
from fraudgraph.loading import validate_folder
from fraudgraph.remote import MARKER


@pytest.fixture
def s3(s3_server, monkeypatch):
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    return s3_server


def _objects(server, prefix):
    import pyarrow.fs as pafs

    infos = server.filesystem().get_file_info(pafs.FileSelector(f"{server.bucket}/{prefix}", recursive=True,
                                                                 allow_not_found=True))
    return sorted(i.path.split(f"{prefix}/", 1)[1] for i in infos if i.type == pafs.FileType.File)


@pytest.fixture(scope="module")
def world():
    return fraudgraph.generate("fraud_heavy", seed=2, persons=400, days=5)


def test_written_read_back_and_validated(s3, world):
    url = f"s3://{s3.bucket}/datasets/one"
    manifest = world.write(url, formats=["parquet", "jsonl"])
    assert manifest.path == url
    listed = sorted(f["path"] for f in manifest["files"])
    assert _objects(s3, "datasets/one") == sorted(listed + ["manifest.json"])  # no marker left
    problems, summary = validate_folder(url)
    assert problems == [] and summary["events"] == sum(manifest.event_counts.values())
    back = fraudgraph.Dataset.read(url)
    assert back.graph.counts() == world.graph.counts()
    code, out, err = cli("validate", url)
    assert code == 0 and "OK" in out, err


def test_refuses_a_dataset_without_force_and_a_foreign_prefix(s3, world, tmp_path):
    url = f"s3://{s3.bucket}/datasets/two"
    world.write(url, formats="csv")
    with pytest.raises(OutputError, match="already holds a dataset"):
        world.write(url, formats="csv")
    manifest = world.write(url, formats="parquet", force=True)   # replaced: only the new files remain
    assert _objects(s3, "datasets/two") == sorted([f["path"] for f in manifest["files"]] + ["manifest.json"])
    with s3.filesystem().open_output_stream(f"{s3.bucket}/foreign/notes.txt") as fh:
        fh.write(b"not a dataset")
    code, _, err = cli("generate", "--persons", "100", "--days", "2", "--out", f"s3://{s3.bucket}/foreign")
    one_line_exit_2(code, err, f"s3://{s3.bucket}/foreign", "not empty")


def test_a_killed_upload_leaves_no_manifest_and_the_next_run_clears_it(s3, tmp_path):
    url = f"s3://{s3.bucket}/datasets/killed"
    process = subprocess.Popen([sys.executable, "-m", "fraudgraph", "generate", "--persons", "6000", "--days", "15",
                                "--format", "csv,jsonl,parquet", "--out", url], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env={**os.environ, **s3.env(), "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_objects(s3, "datasets/killed")) < 5:  # uploading
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    left = _objects(s3, "datasets/killed")
    assert MARKER in left and "manifest.json" not in left
    with pytest.raises(DatasetError, match="no dataset"):
        fraudgraph.Dataset.read(url)
    code, _, err = cli("generate", "--persons", "200", "--days", "2", "--format", "parquet", "--out", url)
    assert code == 0, err
    assert validate_folder(url)[0] == []
    assert MARKER not in _objects(s3, "datasets/killed")


def test_unreachable_server_and_wrong_keys_are_one_line(s3, monkeypatch):
    from servers.process import free_port

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    code, _, err = cli("generate", "--persons", "100", "--days", "2", "--out", f"s3://{s3.bucket}/denied")
    one_line_exit_2(code, err, f"s3://{s3.bucket}/denied")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = cli("validate", f"s3://{s3.bucket}/nowhere")
    one_line_exit_2(code, err, f"s3://{s3.bucket}/nowhere")


def test_file_urls_work_too(tmp_path, world):
    url = (tmp_path / "local").as_uri()
    world.write(url, formats="parquet")
    assert validate_folder(url)[0] == []
    assert fraudgraph.Dataset.read(url).graph.counts() == world.graph.counts()
