"""All-or-nothing output folders.

A dataset is written into a hidden temporary sibling of the target folder and
renamed into place only when complete, so a failure or an interruption never
leaves a half-written dataset behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fraudgraph.errors import OutputError

MANIFEST = "manifest.json"


def check_target(out: Path, force: bool) -> None:
    """Refuse a target that cannot be written or would be overwritten by surprise."""
    parent = out.parent
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
    if not os.access(parent, os.W_OK):
        raise OutputError(f"The 'out' folder's parent {str(parent)!r} is not writable")


@contextlib.contextmanager
def atomic_folder(out: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``out`` when the block succeeds.

    On any exception the temporary folder is removed and ``out`` is untouched.
    """
    out = Path(out).absolute()
    check_target(out, force)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "previous")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
