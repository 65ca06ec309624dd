"""Logs on object stores (`s3://`, `gs://`, `az://`, any fsspec URL), read without copying them to disk.

A URL is listed once: one `find` with sizes, never a call per file. Discovery groups the files
into runs from their names, as it groups a local tree; every path is the file's URL, so findings
and errors point at it. A run group's files are then read whole into memory (`cat_file`),
several at a time on a small thread pool, just before the group is linted, and dropped after:
memory follows the groups in flight (`PREFETCH_BYTES` ahead), not the bucket. Readers see the
bytes through `readers.base.open_source`, exactly as they read a local file. A worker process or
a Dask worker is sent the group (URLs) and reads the store itself.

A file that cannot be fetched (access denied, a timeout, deleted since it was listed) becomes
that run's `LOG001 cannot read: ...`, as an unreadable local file does; a URL that cannot be
listed is an error naming it (exit 2). The other runs are linted either way.

fsspec and the store's package (s3fs, gcsfs, adlfs) are optional and imported only for a URL;
credentials, endpoint and timeouts come from the store's usual configuration (environment,
`~/.aws`, an IAM role) or fsspec's (`FSSPEC_S3_ENDPOINT_URL`, `FSSPEC_S3='{"config_kwargs": ...}'`).
"""

from __future__ import annotations

import atexit
import os
import posixpath
import shutil
import tempfile
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Sequence

if TYPE_CHECKING:
    from curvelint.discover import Group

INSTALL_HINT = "pip install 'curvelint[remote]' and the store's package (s3fs for s3://, gcsfs for gs://, adlfs for az://)"
#: Files fetched at once (per process): enough to hide a store's latency behind linting.
FETCH_THREADS = 16
#: Bytes of run groups fetched ahead of the one being linted (a group bigger than this is
#: still fetched, alone): what bounds memory, whatever the size of the bucket.
PREFETCH_BYTES = 64 << 20
#: Groups fetched ahead at most (small groups: a few KB each).
PREFETCH_GROUPS = 64

#: What a fetch gave for each URL: its bytes, or the error met (already worded for the user).
Contents = Mapping[str, "bytes | OSError"]


class RemoteError(Exception):
    """The URL cannot be listed: fsspec or the filesystem package is missing, or the store said no."""


def is_remote(arg: str) -> bool:
    return "://" in arg and not arg.startswith("file://")


@dataclass(frozen=True)
class Listed:
    """One file found under a URL: its URL and size, from the listing alone."""

    url: str
    size: int


def _filesystem(url: str):
    """(fsspec filesystem, path within it) for a URL; RemoteError when it needs a missing package."""
    try:
        import fsspec
    except ImportError:
        raise RemoteError(f"reading {url} needs fsspec: {INSTALL_HINT}") from None
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:  # fsspec knows the protocol but its package is not installed
        raise RemoteError(f"reading {url}: {exc}; {INSTALL_HINT}") from None
    except (OSError, ValueError) as exc:
        raise RemoteError(f"reading {url}: {_worded(exc)}") from None


def list_tree(url: str) -> tuple[str, list[Listed], bool]:
    """Every file under `url` with its size, from one listing: (the URL files are relative to,
    the files, whether `url` names a single file). RemoteError if it cannot be listed."""
    fs, path = _filesystem(url)
    try:
        fs.invalidate_cache(path)  # listed once per lint, never from an earlier lint's listing
        found = fs.find(path, detail=True)
        if not found and not fs.isdir(path):  # only for an empty answer: is it there at all?
            raise RemoteError("no such file or directory")
    except RemoteError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the store raised, said with the URL
        raise RemoteError(f"cannot list it: {_worded(exc)}") from None
    path = path.rstrip("/")
    if len(found) == 1 and next(iter(found)).rstrip("/") == path:
        base = url.rstrip("/").rsplit("/", 1)[0]
        return base, [Listed(url, _size(next(iter(found.values()))))], True
    root = url.rstrip("/")
    files = []
    for name, info in found.items():
        if info.get("type", "file") != "file" or not name.startswith(path + "/") or name.endswith("/"):
            continue
        files.append(Listed(root + name[len(path):], _size(info)))
    return root, files, False


def _size(info: Mapping) -> int:
    size = info.get("size")
    return int(size) if isinstance(size, (int, float)) else 0


def fetch_one(url: str, head: int | None = None) -> bytes | OSError:
    """The bytes of one file (its first `head` bytes if given), or the error met, worded for the
    user as the OSError a reader reports (`cannot read: ...`). Never raises."""
    try:
        fs, path = _filesystem(url)
        if head is not None:
            return fs.cat_file(path, start=0, end=head)
        return fs.cat_file(path)
    except RemoteError as exc:
        return OSError(str(exc))
    except Exception as exc:  # noqa: BLE001 - the store's error becomes this file's LOG001
        return OSError(_worded(exc))


def fetch_many(urls: Sequence[str], head: int | None = None, threads: int = FETCH_THREADS) -> dict[str, bytes | OSError]:
    """`fetch_one` for each URL, `threads` at a time."""
    if len(urls) <= 1:
        return {u: fetch_one(u, head) for u in urls}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(threads, len(urls)), thread_name_prefix="curvelint-fetch") as pool:
        return dict(zip(urls, pool.map(lambda u: fetch_one(u, head), urls)))


def _worded(exc: BaseException) -> str:
    """A store's exception as a short reason: what happened first, then the store's words."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    detail = str(exc) or type(exc).__name__
    if any("Timeout" in n for n in names):
        return f"timed out ({detail})"
    if isinstance(exc, PermissionError) or "AccessDenied" in detail or "Forbidden" in detail:
        return f"access denied ({detail})"
    if isinstance(exc, FileNotFoundError):
        return f"no such file or directory ({detail})"
    return detail if isinstance(exc, OSError) else f"{type(exc).__name__}: {detail}"


# -- run groups: fetched ahead, read from memory ---------------------------------------------------


def group_urls(group: Group) -> list[str]:
    """The URLs of a group's files, its nested TensorBoard dirs' included."""
    urls = [c.path for c in (*group.events, *group.files)]
    for nested in group.nested:
        urls.extend(group_urls(nested))
    return urls


def _group_bytes(group: Group) -> int:
    total = sum(c.size or 0 for c in (*group.events, *group.files))
    return total + sum(_group_bytes(n) for n in group.nested)


def prefetched(groups: Iterable[Group], window_bytes: int = PREFETCH_BYTES,
               threads: int = FETCH_THREADS) -> Iterator[tuple[Group, Contents | None]]:
    """Each group with its files' contents (None for a local group), in order. Groups are
    fetched ahead on a thread pool while the caller lints the current one, at most
    `window_bytes` (and `PREFETCH_GROUPS` groups) ahead: one store round trip per group would
    otherwise dominate small runs."""
    it = iter(groups)
    pool = None
    queue: deque = deque()  # (group, {url: future} | None, bytes)
    ahead = 0
    exhausted = False
    try:
        while True:
            while not exhausted and (not queue or (ahead < window_bytes and len(queue) < PREFETCH_GROUPS)):
                group = next(it, None)
                if group is None:
                    exhausted = True
                    break
                futures = None
                if group.remote:
                    if pool is None:
                        from concurrent.futures import ThreadPoolExecutor

                        pool = ThreadPoolExecutor(threads, thread_name_prefix="curvelint-fetch")
                    futures = {u: pool.submit(fetch_one, u) for u in group_urls(group)}
                size = _group_bytes(group)
                queue.append((group, futures, size))
                ahead += size
            if not queue:
                return
            group, futures, size = queue.popleft()
            ahead -= size
            yield group, None if futures is None else {u: f.result() for u, f in futures.items()}
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def readable(group: Group, readers: Sequence, contents: Contents | None = None) -> Iterator[Group]:
    """Inside the block the group's files read from `contents` (fetched now if not given), and
    the group is as discovery would have made it locally: each file claimed by the reader whose
    sniff takes its first bytes (the listing knew only names), files no reader takes dropped."""
    from curvelint.readers.base import fetched

    if contents is None:
        contents = fetch_many(group_urls(group))
    with fetched(contents):
        yield _claimed(group, readers)


def _claimed(group: Group, readers: Sequence) -> Group:
    from curvelint.discover import _claim

    def claim(candidates):
        out = []
        for c in candidates:
            reader = _claim(readers, c.path, posixpath.basename(c.path), forced=c.forced)
            if reader is not None:
                out.append(replace(c, reader=reader))
        return out

    return replace(group, events=claim(group.events), files=claim(group.files),
                   nested=[_claimed(n, readers) for n in group.nested])


# -- the former way, kept as the benchmark's baseline -----------------------------------------------


def _copy_first(url: str, readers: Sequence) -> str:
    """Copy the log files under `url` (chosen by name) into a temporary directory, one after
    another, and return it: how URLs were read before streaming. Only `benchmarks/bench_remote.py`
    uses it, to measure what streaming gains."""
    fs, path = _filesystem(url)
    files = fs.find(path)
    local = tempfile.mkdtemp(prefix="curvelint-remote-")
    atexit.register(shutil.rmtree, local, True)
    for remote_file in files:
        name = posixpath.basename(remote_file)
        if not any(r.accepts_name(name) for r in readers):
            continue
        dest = os.path.join(local, *posixpath.relpath(remote_file, path).split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with fs.open(remote_file, "rb") as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    return local
