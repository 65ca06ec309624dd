"""Registers the built-in reporters through the same hook a team plugin would use.

Each is listed by name and imported only when chosen, so start-up pays for one reporter, not
nine.
"""

from __future__ import annotations

import importlib

from curvelint.hookspecs import hookimpl
from curvelint.reporters.base import Context, Reporter

_BUILTIN = {
    "text": ("curvelint.reporters.text:TextReporter", "findings grouped per run, for people (default)"),
    "json": ("curvelint.reporters.json:JsonReporter", "versioned JSON for programs (the public contract)"),
    "markdown": ("curvelint.reporters.markdown:MarkdownReporter", "PR comment / job summary (GitHub-flavoured markdown)"),
    "github": ("curvelint.reporters.github:GithubReporter", "GitHub Actions annotations (default when GITHUB_ACTIONS=true)"),
    "sarif": ("curvelint.reporters.sarif:SarifReporter", "SARIF 2.1.0 (code scanning)"),
    "gitlab": ("curvelint.reporters.gitlab:GitlabReporter", "GitLab Code Quality JSON"),
    "rdjson": ("curvelint.reporters.rdjson:RdjsonReporter", "reviewdog rdjson"),
    "junit": ("curvelint.reporters.junit:JunitReporter", "JUnit XML, one test case per run"),
    "html": ("curvelint.reporters.html:HtmlReporter", "one self-contained HTML page with a plot per run (needs [plots])"),
}


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
    return [LazyReporter(name, target, description) for name, (target, description) in _BUILTIN.items()]
