"""Registers the built-in reporters through the same hook a team plugin would use."""

from __future__ import annotations

from curvelint.hookspecs import hookimpl
from curvelint.reporters.json import JsonReporter
from curvelint.reporters.text import TextReporter


@hookimpl
def curvelint_reporters():
    return [TextReporter(), JsonReporter()]
