"""curvelint: a linter for deep-learning training curves.

    import curvelint
    report = curvelint.lint("logs/")               # every run under logs/
    report = curvelint.lint_history(history)       # a keras History, no file needed
    report                                         # in a notebook: overview and plots
    report.plot("logs/a"); report.to_frame()       # one run's Figure; findings as a DataFrame

Names are imported lazily so `curvelint --version` stays as fast as the bare interpreter (no
numpy); `dir(curvelint)` lists them all the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from curvelint._version import __version__

if TYPE_CHECKING:
    from typing import Any

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
    "LintError": ("curvelint.model", "LintError"),
    "hookimpl": ("curvelint.hookspecs", "hookimpl"),
}

__all__ = ["__version__", *_LAZY]


def __dir__() -> list[str]:
    """The public API, imported or not yet (submodules and helpers are not part of it)."""
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'curvelint' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
