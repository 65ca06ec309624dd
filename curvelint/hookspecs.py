"""The hooks a curvelint plugin implements. Built-ins use exactly these hooks too.

A plugin is any module or object registered under the `curvelint` entry-point group; it
implements one or more of the hooks below with `@curvelint.hookimpl`. A plugin may declare
`CURVELINT_PLUGIN_API = 1` (the version it was written for); the host refuses a plugin whose
declared version differs from `PLUGIN_API_VERSION`, naming the plugin and both versions.
"""

from __future__ import annotations

import pluggy

PROJECT = "curvelint"
#: Bumped when a hook's signature or a contract object changes incompatibly.
PLUGIN_API_VERSION = 1

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def curvelint_rules():
    """Return an iterable of `curvelint.Rule` subclasses this plugin contributes.

    Codes and slugs must be unique across all plugins; a duplicate is refused at load with a
    message naming both plugins.
    """


@hookspec
def curvelint_readers():
    """Return an iterable of `curvelint.readers.Reader` instances for additional log formats."""


@hookspec
def curvelint_reporters():
    """Return an iterable of reporter objects (`name`, `render(report, context) -> str`)."""


@hookspec
def curvelint_compare_rules():
    """Return an iterable of `curvelint.compare.CompareRule` subclasses: the judges of
    `curvelint compare BASE HEAD`, given one paired comparison at a time (`Comparison`).

    They share the code and slug namespace with `curvelint_rules()` (by convention `CMP0xx` for
    curvelint's own); a duplicate is refused at load naming both plugins.
    """
