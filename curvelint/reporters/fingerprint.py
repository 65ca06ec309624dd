"""Stable identities for findings, so CI systems can track one problem across pushes."""

from __future__ import annotations

import hashlib

from curvelint.model import Finding


def fingerprint(f: Finding) -> str:
    """Same run, rule and epoch range → same fingerprint; wording changes don't matter."""
    epochs = "" if f.epochs is None else f"{f.epochs[0]}-{f.epochs[1]}"
    path = f.location.path if f.location else ""
    key = "\x1f".join((f.run, f.code, epochs, path))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
