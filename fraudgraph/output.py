"""All-or-nothing output folders.

A dataset is written into a hidden staging sibling of the target folder and
renamed into place only when complete, so a failure or an interruption never
leaves a half-written dataset behind. Each staging folder has a lock file
beside it, ``<folder>.lock``, holding an exclusive ``flock`` for as long as the
run that made it lives. The kernel drops the lock when that process dies, even
by SIGKILL, so a later run into the same parent recognises the folder as stale
and removes it. Nothing without such a lock file, or whose lock is still
held, is ever touched.
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from fraudgraph._version import __version__
from fraudgraph.errors import OutputError

try:  # POSIX; elsewhere stale folders are not recognised (nothing is removed)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

MANIFEST = "manifest.json"
#: Middle of every staging folder's name: ``.<target>.fraudgraph-<kind>-<token>``.
STAGING_INFIX = ".fraudgraph-"
_STAGING_NAME = re.compile(r"^\..+\.fraudgraph-(tmp|old|probe)-[0-9a-f]{12}$")
_ERRNO_IN_TEXT = re.compile(r"\[errno (\d+)\]", re.IGNORECASE)


class Staging:
    """A hidden folder beside ``target`` with its held lock file; :meth:`remove` deletes both."""

    def __init__(self, target: Path, kind: str):
        parent = target.parent
        for _ in range(100):
            path = parent / f".{target.name}{STAGING_INFIX}{kind}-{secrets.token_hex(6)}"
            lock = path.with_name(path.name + ".lock")
            try:
                fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            break
        else:  # pragma: no cover - 100 collisions of 48 random bits
            raise OutputError(f"The 'out' folder's parent {str(parent)!r} has no free staging name")
        self.path, self.lock_path, self._fd = path, lock, fd
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, json.dumps({"fraudgraph": __version__, "pid": os.getpid(), "host": socket.gethostname(),
                                     "target": target.name}).encode() + b"\n")
            os.mkdir(path, 0o777)  # the umask decides who may read the dataset, as for any other folder
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        """Delete the folder (if still here), then the lock file, then let the lock go."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.release()

    def release(self) -> None:
        """Delete the lock file and let the lock go (the folder has been renamed away or removed)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.lock_path)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def remove_stale(parent: Path) -> list[Path]:
    """Remove the staging folders in ``parent`` that a dead fraudgraph run left behind.

    A folder counts as stale only when its name has fraudgraph's staging form,
    its lock file beside it says fraudgraph made it, and no live process holds
    that lock. Returns the folders removed.
    """
    if fcntl is None:  # pragma: no cover
        return []
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.endswith(".lock") or not _STAGING_NAME.match(entry.name[: -len(".lock")]):
            continue
        lock = Path(entry.path)
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run holds it
            try:
                marker = json.loads(os.read(fd, 4096) or b"{}")
            except ValueError:
                continue
            if not isinstance(marker, dict) or "fraudgraph" not in marker:
                continue
            folder = lock.with_name(lock.name[: -len(".lock")])
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)
        finally:
            os.close(fd)
    return removed


def check_target(out: Path, force: bool) -> None:
    """Refuse a target that cannot be written or would be overwritten by surprise.

    Besides the checks of names, the parent is probed for real: a staging
    folder and a small file are created in it, synced and removed, so that a
    read-only, full or pseudo file system fails here, before any work is done.
    Stale staging folders of killed runs are removed on the way.
    """
    out = Path(out).absolute()
    parent = out.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"The 'out' folder's parent {str(parent)!r} is a file, expected a folder")
    if not parent.is_dir():
        raise OutputError(f"The 'out' folder's parent {str(parent)!r} does not exist; create it first")
    if out.exists() and not out.is_dir():
        raise OutputError(f"The 'out' path {str(out)!r} is a file, expected a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise OutputError(f"The 'out' folder {str(out)!r} is not empty; pass --force (force=True) to replace it")
        if not (out / MANIFEST).is_file():
            raise OutputError(
                f"The 'out' folder {str(out)!r} is not empty and holds no fraudgraph dataset ({MANIFEST}); "
                "refusing to replace it even with --force"
            )
    remove_stale(parent)
    try:
        probe = Staging(out, "probe")
    except OSError as exc:
        raise OutputError(f"The 'out' folder's parent {str(parent)!r} cannot be written: {_cause(exc)}") from None
    try:
        with open(probe.path / "probe", "wb") as fh:
            fh.write(b"fraudgraph\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError(f"The 'out' folder's parent {str(parent)!r} cannot be written: {_cause(exc)}") from None
    finally:
        probe.remove()


@contextlib.contextmanager
def atomic_folder(out: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a staging folder that replaces ``out`` when the block succeeds.

    On any exception, interruptions included, the staging folder is removed and
    ``out`` is untouched; an operating-system error (no space, permission,
    read-only file system) becomes one :class:`OutputError` line naming ``out``
    and the cause.
    """
    out = Path(out).absolute()
    check_target(out, force)
    staging = Staging(out, "tmp")
    try:
        yield staging.path
        if out.exists():
            old = Staging(out, "old")
            os.replace(out, old.path / "previous")
            os.replace(staging.path, out)
            staging.release()
            old.remove()
        else:
            os.replace(staging.path, out)
            staging.release()
    except BaseException as exc:
        with _signals_held():
            staging.remove()
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"cannot write the dataset to {str(out)!r}: {_cause(exc)}"
                              f"{_where(exc, staging.path, out)}") from None
        raise


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM while cleaning up, so a second signal cannot leave half a folder."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _cause(exc: OSError) -> str:
    """The operating system's words for an error (Arrow's errors carry the errno only in their text)."""
    code = exc.errno
    if code is None:
        found = _ERRNO_IN_TEXT.search(str(exc))
        code = int(found.group(1)) if found else None
    if code:
        return f"{os.strerror(code)} ({errno_codes.errorcode.get(code, code)})"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _where(exc: OSError, staging: Path, out: Path) -> str:
    """`` (while writing <file>)`` for an error that names a file of the dataset, with its final path."""
    name = getattr(exc, "filename", None)
    if not name:
        return ""
    try:
        rel = Path(name).absolute().relative_to(staging)
    except ValueError:
        return f" (at {str(name)!r})"
    return f" (while writing {str(out / rel)!r})"
