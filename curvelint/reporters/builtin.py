"""Registers the built-in reporters through the same hook a team plugin would use.

Each is listed by name (`curvelint.output_formats.BUILTIN_FORMATS`, which `--help` reads too)
and imported only when chosen, so start-up pays for one reporter, not ten.
"""

from __future__ import annotations

import importlib

from curvelint.hookspecs import hookimpl
from curvelint.output_formats import BUILTIN_FORMATS
from curvelint.reporters.base import Context, Reporter


class LazyReporter(Reporter):
    """A reporter named now and imported when it first renders."""

    def __init__(self, name: str, target: str, description: str):
        self.name = name  # type: ignore[misc]
        self.description = description  # type: ignore[misc]
        self._target = target
        self._impl: Reporter | None = None

    def render(self, report, ctx: Context) -> str:
        if self._impl is None:
            module, _, attr = self._target.partition(":")
            self._impl = getattr(importlib.import_module(module), attr)()
        return self._impl.render(report, ctx)


#: The plugin API this module was written for; the host refuses a mismatch by name.
CURVELINT_PLUGIN_API = 1


@hookimpl
def curvelint_reporters():
    return [LazyReporter(name, target, description) for name, (target, description) in BUILTIN_FORMATS.items()]
