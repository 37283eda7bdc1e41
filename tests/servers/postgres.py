"""A real PostgreSQL for the tests: Debian's ``postgresql`` package, a throwaway cluster per session.

``initdb`` and ``pg_ctl`` run as the ``postgres`` user when the tests run as root (the server refuses
root), in a temporary folder it owns, on a free loopback port; the cluster is stopped and removed after.
Local socket connections are trusted; TCP ones need the password, so a wrong one can be tested.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .process import free_port, port_open

PASSWORD = "fraudgraph-pg-pw"


@dataclass
class PostgresServer:
    port: int
    root: Path

    def dsn(self, password: str = PASSWORD, database: str = "postgres") -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("the tests need Debian's postgresql package (initdb, pg_ctl): .ci/run installs it")
    return Path(found[-1]).parent


def _as_postgres(command: list[str]) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        command = ["su", "postgres", "-c", " ".join(f"'{c}'" for c in command)]
    return subprocess.run(command, capture_output=True, text=True)


def start() -> PostgresServer:
    binaries = _binaries()
    root = Path(tempfile.mkdtemp(prefix="fraudgraph-pg-"))
    if os.geteuid() == 0:
        os.chown(root, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)
    (root / "pw").write_text(PASSWORD)
    os.chmod(root / "pw", 0o644)
    r = _as_postgres([str(binaries / "initdb"), "-D", str(root / "data"), "-U", "postgres", "--auth-local=trust",
                      "--auth-host=scram-sha-256", f"--pwfile={root / 'pw'}"])
    if r.returncode:
        raise RuntimeError(f"initdb failed: {r.stderr[-2000:]}")
    port = free_port()
    r = _as_postgres([str(binaries / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-o",
                      f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"])
    if r.returncode:
        raise RuntimeError(f"pg_ctl start failed: {r.stderr[-2000:]} {(root / 'log').read_text()[-2000:]}")
    deadline = time.monotonic() + 30
    while not port_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError("PostgreSQL did not open its port")
        time.sleep(0.1)
    return PostgresServer(port, root)


def stop(server: PostgresServer) -> None:
    _as_postgres([str(_binaries() / "pg_ctl"), "-D", str(server.root / "data"), "-m", "fast", "-w", "stop"])
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """PostgreSQL on a free loopback port for the whole session."""
    server = start()
    yield server
    stop(server)
