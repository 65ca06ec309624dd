"""The reader contract: sniff a path cheaply, read it into curves, or say exactly why not."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import ClassVar

from curvelint.model import Curve, ReadProblem

#: How much of a file a reader may look at to decide whether it is a training log.
HEAD_BYTES = 4096


class NotALog(Exception):
    """The file is well-formed but holds no training curves (a config JSON, a data CSV)."""


class ReadError(Exception):
    """The file looks like a training log but cannot be read; names the position."""

    def __init__(self, message: str, *, line: int | None = None, offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.offset = offset


@dataclass
class Source:
    """What one file contributed: its curves, and problems that did not stop the read."""

    path: str
    format: str
    curves: list[Curve] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)


class Reader:
    """One log format. `accepts_name` must be free (no I/O); `sniff` sees the first bytes."""

    format: ClassVar[str]
    #: Lower runs first when several readers accept the same file.
    priority: ClassVar[int] = 100
    #: Event-file readers group by directory (Keras train/ + validation/ = one run).
    directory_run: ClassVar[bool] = False

    def accepts_name(self, name: str) -> bool:
        raise NotImplementedError

    def sniff(self, head: bytes, name: str) -> bool:
        return True

    def read(self, path: str) -> Source:
        raise NotImplementedError


def split_hint_for(path: str) -> str | None:
    """Keras' TensorBoard callback writes `<run>/train/` and `<run>/validation/`."""
    parent = os.path.basename(os.path.dirname(path)).lower()
    return {"train": "train", "validation": "val", "val": "val", "eval": "val", "test": "test"}.get(parent)


def decode_text(data: bytes, path: str) -> str:
    """UTF-8 (BOM stripped), falling back to Latin-1 so a stray byte never loses a file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"invalid UTF-16 text: {exc.reason}", offset=exc.start) from None
    if b"\x00" in data[:HEAD_BYTES]:
        raise ReadError("binary data in a text log (NUL byte)", offset=data.index(b"\x00"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
