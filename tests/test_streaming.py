"""``fraudgraph stream``: paced JSON lines on stdout, and an honest count of what reached the reader."""

import json
import os
import subprocess
import sys
import time

STREAM = [sys.executable, "-m", "fraudgraph", "stream", "--scenario", "demo", "--persons", "200", "--days", "3"]


def test_a_reader_that_takes_two_lines_and_closes_gets_two_counted():
    proc = subprocess.Popen([*STREAM, "--rate", "20000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    taken = b""
    while taken.count(b"\n") < 2:
        byte = os.read(proc.stdout.fileno(), 1)  # one byte at a time: the reader takes exactly two lines
        assert byte, proc.stderr.read()
        taken += byte
    time.sleep(0.5)  # the writer fills the pipe meanwhile
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err.decode().strip().splitlines() == ["streamed 2 events"]
    assert [json.loads(line)["event_type"] for line in taken.splitlines()]


def test_a_reader_that_reads_everything_gets_every_line_counted():
    r = subprocess.run([*STREAM, "--rate", "3000", "--duration", "1"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert 0 < len(lines) <= 3000
    assert r.stderr.decode().strip() == f"streamed {len(lines):,} events"
    first = json.loads(lines[0])
    assert set(first) >= {"event_id", "event_type", "timestamp", "payload"}


def test_sigterm_stops_the_stream_cleanly():
    proc = subprocess.Popen([*STREAM, "--rate", "200"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline()
    proc.terminate()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err.decode().startswith("streamed ")
