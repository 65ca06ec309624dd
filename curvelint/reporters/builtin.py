"""Registers the built-in reporters through the same hook a team plugin would use."""

from __future__ import annotations

from curvelint.hookspecs import hookimpl
from curvelint.reporters.github import GithubReporter
from curvelint.reporters.gitlab import GitlabReporter
from curvelint.reporters.html import HtmlReporter
from curvelint.reporters.json import JsonReporter
from curvelint.reporters.junit import JunitReporter
from curvelint.reporters.markdown import MarkdownReporter
from curvelint.reporters.rdjson import RdjsonReporter
from curvelint.reporters.sarif import SarifReporter
from curvelint.reporters.text import TextReporter


@hookimpl
def curvelint_reporters():
    return [TextReporter(), JsonReporter(), MarkdownReporter(), GithubReporter(), SarifReporter(),
            GitlabReporter(), RdjsonReporter(), JunitReporter(), HtmlReporter()]
