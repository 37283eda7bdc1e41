"""Datasets on object storage and other file systems: ``s3://bucket/prefix``, ``gs://...``, ``file://...``.

A dataset is written to a local staging folder as always, then published: every
file is uploaded under the target prefix, and ``manifest.json`` last. A dataset
exists where its manifest does, so a reader never sees half of one: an upload
cut short leaves objects but no manifest, and a marker object
(``.fraudgraph-upload``, written first and removed after the manifest) tells the
next run that those objects are its leftovers, to be removed. Reading
(:func:`fetch`) takes the manifest first and then exactly the files it lists.

File systems come from ``pyarrow.fs`` (S3, GCS, HDFS, local) or, for other
schemes, from ``fsspec`` when it is installed. Credentials come from the usual
places (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ...);
for an S3-compatible server, ``AWS_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL_S3``)
names it, and paths are addressed path-style.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from fraudgraph.errors import DatasetError, OutputError

MANIFEST = "manifest.json"
MARKER = ".fraudgraph-upload"
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(target) -> bool:
    """Whether ``target`` names a location by URL rather than a local path (``file://`` counts as a URL)."""
    return isinstance(target, str) and bool(_URL.match(target))


def filesystem(url: str):
    """``(pyarrow FileSystem, path inside it)`` of a URL.

    Raises
    ------
    OutputError
        For a scheme no installed file system knows.
    """
    import pyarrow as pa
    import pyarrow.fs as pafs

    parts = urlsplit(url)
    if parts.scheme == "s3":
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        options = {"allow_bucket_creation": False}
        if endpoint:
            e = urlsplit(endpoint)
            options.update(endpoint_override=e.netloc, scheme=e.scheme or "https", force_virtual_addressing=False)
        options["region"] = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        path = (parts.netloc + parts.path).rstrip("/")
        return pafs.S3FileSystem(**options), path
    try:
        fs, path = pafs.FileSystem.from_uri(url)
        return fs, path.rstrip("/")
    except (pa.ArrowInvalid, ValueError) as exc:
        try:
            import fsspec
        except ImportError:
            raise OutputError(f"{url!r}: no file system for {parts.scheme}:// ({exc}); pip install fsspec and the "
                              f"package of that scheme") from None
        fs, path = fsspec.core.url_to_fs(url)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path.rstrip("/")


def _listing(fs, prefix: str) -> list[str]:
    import pyarrow.fs as pafs

    try:
        infos = fs.get_file_info(pafs.FileSelector(prefix, recursive=True, allow_not_found=True))
    except FileNotFoundError:
        return []
    return sorted(i.path for i in infos if i.type == pafs.FileType.File)


def check_url_target(url: str, force: bool) -> None:
    """Refuse a target prefix that holds a dataset (unless ``force``) or anything else; reach it now.

    Leftovers of an upload cut short (its marker, no manifest) are removed.
    """
    fs, prefix = _open(url)
    try:
        files = _listing(fs, prefix)
    except OSError as exc:
        raise OutputError(f"cannot reach {url!r}: {_reason(exc)}") from None
    names = {f[len(prefix) + 1:] for f in files}
    if MANIFEST in names:
        if not force:
            raise OutputError(f"The 'out' location {url!r} already holds a dataset; pass --force to replace it")
    elif MARKER in names:
        _remove(fs, files)   # an upload that was cut short: nothing published, nothing to keep
    elif names:
        raise OutputError(f"The 'out' location {url!r} is not empty ({len(names)} objects) and holds no dataset; "
                          f"choose an empty prefix")


def publish(local: Path, url: str, force: bool = False) -> None:
    """Upload the dataset folder ``local`` to ``url``: the marker, every file, the manifest, then no marker."""
    import pyarrow.fs as pafs

    check_url_target(url, force)
    fs, prefix = _open(url)
    local_fs = pafs.LocalFileSystem()
    old = _listing(fs, prefix)
    local_target = fs.type_name == "local"  # a file:// URL: folders exist only once made
    try:
        if local_target:
            fs.create_dir(prefix, recursive=True)
        with fs.open_output_stream(f"{prefix}/{MARKER}") as fh:
            fh.write(b"fraudgraph upload in progress\n")
        if old:  # --force over a dataset: unpublish it first, then remove its files
            fs.delete_file(f"{prefix}/{MANIFEST}")
            _remove(fs, [f for f in old if not f.endswith("/" + MANIFEST)])
        files = sorted(p for p in local.rglob("*") if p.is_file() and p.name != MANIFEST)
        for path in files + [local / MANIFEST]:
            rel = path.relative_to(local).as_posix()
            if local_target:
                fs.create_dir(f"{prefix}/{rel}".rsplit("/", 1)[0], recursive=True)
            pafs.copy_files(str(path), f"{prefix}/{rel}", source_filesystem=local_fs, destination_filesystem=fs)
        fs.delete_file(f"{prefix}/{MARKER}")
    except OSError as exc:
        raise OutputError(f"cannot write the dataset to {url!r}: {_reason(exc)}") from None


def fetch(url: str, local: Path) -> Path:
    """Download the dataset at ``url`` (its manifest, then the files it lists) into the folder ``local``."""
    import json

    import pyarrow.fs as pafs

    fs, prefix = _open(url, DatasetError)
    try:
        with fs.open_input_stream(f"{prefix}/{MANIFEST}") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise DatasetError(f"no dataset at {url!r}: it has no {MANIFEST}") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {url!r}: {_reason(exc)}") from None
    local.mkdir(parents=True, exist_ok=True)
    manifest = json.loads(text)
    local_fs = pafs.LocalFileSystem()
    for entry in manifest.get("files", []):
        target = local / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            pafs.copy_files(f"{prefix}/{entry['path']}", str(target), source_filesystem=fs,
                            destination_filesystem=local_fs)
        except FileNotFoundError:
            continue  # validate reports the file the manifest lists and the location lacks
        except OSError as exc:
            raise DatasetError(f"cannot read {url}/{entry['path']}: {_reason(exc)}") from None
    (local / MANIFEST).write_bytes(text)
    return local


def _open(url: str, error=OutputError):
    try:
        return filesystem(url)
    except OSError as exc:
        raise error(f"cannot reach {url!r}: {_reason(exc)}") from None


def _remove(fs, files: list[str]) -> None:
    for path in files:
        fs.delete_file(path)


def _reason(exc) -> str:
    return " ".join(str(exc).split())[:300]
