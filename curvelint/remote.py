"""Logs on object stores (`s3://`, `gs://`, `az://`, any fsspec URL): fetched through fsspec.

The log files under the URL (chosen by name, as the local walk does) are copied into a local
temporary directory, which is then linted like any other; paths shown to the user are mapped
back to the URL. fsspec and the store's package (s3fs, gcsfs, adlfs) are optional.
"""

from __future__ import annotations

import atexit
import os
import posixpath
import shutil
import tempfile
from typing import Sequence

INSTALL_HINT = "pip install 'curvelint[remote]' and the store's package (s3fs for s3://, gcsfs for gs://, adlfs for az://)"


class RemoteError(Exception):
    """The URL cannot be read: fsspec or the filesystem package is missing, or the store said no."""


def is_remote(arg: str) -> bool:
    return "://" in arg and not arg.startswith("file://")


def fetch(url: str, readers: Sequence) -> tuple[str, str, str]:
    """Copy the log files under `url` locally: (local path to lint, local prefix, URL prefix)."""
    try:
        import fsspec
    except ImportError:
        raise RemoteError(f"reading {url} needs fsspec: {INSTALL_HINT}") from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
        is_file = fs.isfile(path)
        files = [path] if is_file else fs.find(path)
    except ImportError as exc:  # fsspec knows the protocol but its package is not installed
        raise RemoteError(f"reading {url}: {exc}; {INSTALL_HINT}") from None
    except (OSError, ValueError) as exc:
        raise RemoteError(f"reading {url}: {exc}") from None
    if not is_file and not files and not fs.isdir(path):
        raise RemoteError(f"{url}: no such file or directory")
    local = tempfile.mkdtemp(prefix="curvelint-remote-")
    atexit.register(shutil.rmtree, local, True)
    base = posixpath.dirname(path) if is_file else path
    for remote_file in files:
        name = posixpath.basename(remote_file)
        if not any(r.accepts_name(name) for r in readers):
            continue
        rel = posixpath.relpath(remote_file, base)
        dest = os.path.join(local, *rel.split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        try:
            with fs.open(remote_file, "rb") as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except OSError as exc:
            raise RemoteError(f"reading {remote_file}: {exc}") from None
    url_prefix = url.rstrip("/") if not is_file else url.rsplit("/", 1)[0]
    target = os.path.join(local, posixpath.basename(path)) if is_file else local
    return target, local, url_prefix
