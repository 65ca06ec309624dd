"""curvelint: a linter for deep-learning training curves.

    import curvelint
    report = curvelint.lint("logs/")               # every run under logs/
    report = curvelint.lint_history(history)       # a keras History, no file needed

Names are imported lazily so `curvelint --version` stays as fast as the bare interpreter.
"""

from __future__ import annotations

from typing import Any

from curvelint._version import __version__

_LAZY = {
    "lint": ("curvelint.engine", "lint"),
    "lint_history": ("curvelint.engine", "lint_history"),
    "Linter": ("curvelint.engine", "Linter"),
    "ConfigError": ("curvelint.config", "ConfigError"),
    "Rule": ("curvelint.rule", "Rule"),
    "Option": ("curvelint.rule", "Option"),
    "Violation": ("curvelint.rule", "Violation"),
    "Severity": ("curvelint.model", "Severity"),
    "Run": ("curvelint.model", "Run"),
    "Curve": ("curvelint.model", "Curve"),
    "Finding": ("curvelint.model", "Finding"),
    "Report": ("curvelint.model", "Report"),
    "hookimpl": ("curvelint.hookspecs", "hookimpl"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'curvelint' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
