"""The built-in output formats (name -> reporter class, one-line description) and the values the
output options take.

`curvelint.reporters.builtin` registers these through the `curvelint_reporters` hook, and
`curvelint --help` lists them from here. It lives outside `curvelint.reporters` and imports
nothing, because that package pulls in numpy (through the model) and `--help` must not wait for it.
"""

from __future__ import annotations

#: In the order `--help` lists them.
BUILTIN_FORMATS: dict[str, tuple[str, str]] = {
    "text": ("curvelint.reporters.text:TextReporter",
             "findings grouped per run, each remediation once per rule (default; alias: full)"),
    "concise": ("curvelint.reporters.concise:ConciseReporter", "one line per finding: path:line: CODE [severity] message"),
    "json": ("curvelint.reporters.json:JsonReporter", "versioned JSON for programs (the public contract)"),
    "markdown": ("curvelint.reporters.markdown:MarkdownReporter", "PR comment / job summary (GitHub-flavoured markdown)"),
    "github": ("curvelint.reporters.github:GithubReporter", "GitHub Actions annotations (default when GITHUB_ACTIONS=true)"),
    "sarif": ("curvelint.reporters.sarif:SarifReporter", "SARIF 2.1.0 (code scanning)"),
    "gitlab": ("curvelint.reporters.gitlab:GitlabReporter", "GitLab Code Quality JSON"),
    "rdjson": ("curvelint.reporters.rdjson:RdjsonReporter", "reviewdog rdjson"),
    "junit": ("curvelint.reporters.junit:JunitReporter", "JUnit XML, one test case per run"),
    "html": ("curvelint.reporters.html:HtmlReporter", "one self-contained HTML page: an overview, then each run's curves and findings"),
}

#: Other spellings of a format (ruff calls the grouped view `full`).
ALIASES: dict[str, str] = {"full": "text"}

#: `--min-severity` / `min-severity`: the lowest severity shown, mildest first.
MIN_SEVERITY = ("info", "warning", "error")
