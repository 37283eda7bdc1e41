"""The all-or-nothing output folder: signals, stale staging folders of killed runs, permissions.

The signal tests run the real command in a child process and send it a real
signal while it is writing.
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fraudgraph.errors import OutputError
from fraudgraph.output import Staging, atomic_folder, remove_stale

#: Big enough to be caught while writing events (about 4 s here), small enough for CI.
WRITING = ["generate", "--scenario", "demo", "--persons", "500", "--days", "30", "--format", "csv,jsonl,parquet"]


def start(args, cwd=None):
    return subprocess.Popen([sys.executable, "-m", "fraudgraph", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd)


def wait_until_writing_events(parent: Path, proc, timeout=120.0) -> Path:
    """The staging folder of ``proc``, once it has started writing event parts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in parent.glob(".*.fraudgraph-tmp-*"):
            parts = list((folder / "events").glob("part-*")) if folder.is_dir() else []
            if parts and any(p.stat().st_size > 0 for p in parts):
                return folder
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the run never reached the event phase")


@pytest.mark.parametrize("sig, status, message", [(signal.SIGTERM, 143, "error: terminated (SIGTERM)"),
                                                   (signal.SIGINT, 130, "error: aborted")], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_writing_cleans_up(tmp_path, sig, status, message):
    proc = start([*WRITING, "--out", tmp_path / "X"])
    wait_until_writing_events(tmp_path, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err
    assert err.strip().splitlines() == [message]
    assert list(tmp_path.iterdir()) == []


def test_after_sigkill_the_next_run_removes_only_stale_fraudgraph_folders(tmp_path):
    proc = start([*WRITING, "--out", tmp_path / "X"])
    staging = wait_until_writing_events(tmp_path, proc)
    proc.kill()
    proc.wait(timeout=60)
    lock = staging.with_name(staging.name + ".lock")
    assert staging.is_dir() and lock.is_file()  # a SIGKILL cannot be handled: this is the litter
    assert json.loads(lock.read_text())["pid"] == proc.pid

    # things that are not stale litter of fraudgraph, and must survive
    foreign = tmp_path / ".X.fraudgraph-tmp-0123456789ab"   # the right name, but no lock file: not ours
    foreign.mkdir()
    (foreign / "data").write_text("someone else's")
    live = Staging(tmp_path / "Y", "tmp")                   # a run that is still alive (this process)
    (live.path / "partial").write_text("in progress")
    mine = tmp_path / ".hidden-notes"
    mine.mkdir()

    r = subprocess.run([sys.executable, "-m", "fraudgraph", "generate", "--scenario", "demo", "--persons", "60",
                        "--days", "2", "--format", "csv", "--out", str(tmp_path / "Z")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not staging.exists() and not lock.exists()
    assert foreign.is_dir() and live.path.is_dir() and live.lock_path.is_file() and mine.is_dir()
    live.remove()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([foreign.name, mine.name, "Z"])


def test_remove_stale_ignores_locks_with_foreign_content(tmp_path):
    folder = tmp_path / ".X.fraudgraph-tmp-aaaaaaaaaaaa"
    folder.mkdir()
    Path(str(folder) + ".lock").write_text("not fraudgraph's\n")
    assert remove_stale(tmp_path) == []
    assert folder.is_dir()
    Path(str(folder) + ".lock").write_text(json.dumps({"fraudgraph": "0.0", "pid": 1}) + "\n")
    assert remove_stale(tmp_path) == [folder]
    assert list(tmp_path.iterdir()) == []


def test_a_held_lock_protects_the_folder(tmp_path):
    staging = Staging(tmp_path / "X", "tmp")
    fd = os.open(staging.lock_path, os.O_RDWR)
    try:
        with pytest.raises(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
    assert remove_stale(tmp_path) == []
    staging.remove()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o077, 0o700), (0o002, 0o775)])
def test_the_dataset_folder_follows_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        with atomic_folder(tmp_path / "X") as staging:
            (staging / "nodes").mkdir()
            (staging / "nodes" / "a.csv").write_text("id\n")
    finally:
        os.umask(old)
    assert (tmp_path / "X").stat().st_mode & 0o777 == mode
    assert (tmp_path / "X" / "nodes").stat().st_mode & 0o777 == mode
    assert (tmp_path / "X" / "nodes" / "a.csv").stat().st_mode & 0o777 == mode & 0o666
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X"]


def test_an_os_error_becomes_one_line_naming_the_folder_and_the_file(tmp_path):
    with pytest.raises(OutputError) as err:
        with atomic_folder(tmp_path / "X") as staging:
            raise PermissionError(13, "Permission denied", str(staging / "events" / "part-00000.csv"))
    message = str(err.value)
    assert message == (f"cannot write the dataset to {str(tmp_path / 'X')!r}: Permission denied (EACCES) "
                       f"(while writing {str(tmp_path / 'X' / 'events' / 'part-00000.csv')!r})")
    assert list(tmp_path.iterdir()) == []


def test_arrow_errors_carry_their_errno_in_the_text(tmp_path):
    with pytest.raises(OutputError, match=r"No space left on device \(ENOSPC\)$"):
        with atomic_folder(tmp_path / "X"):
            raise OSError("[Errno 28] Error writing bytes to file. Detail: [errno 28] No space left on device")
    assert list(tmp_path.iterdir()) == []
