"""`curvelint compare --format FORMAT`: every output format `curvelint check` has.

- text and json are compare's own (the verdict line per pair; `CompareReport.to_dict`).
- markdown (`reporters.compare_markdown`) and html (`reporters.compare_html`) are written for
  a comparison: a side-by-side table with both sparklines, and both curves overlaid.
- concise, github, gitlab, sarif and rdjson are the lint reporters themselves, fed by
  `lint_report`: a `curvelint.model.Report` whose runs are the HEAD runs (named by their
  pair) and whose findings are the compare findings, located in the HEAD run's file (the line
  of the epoch a finding names, where the log has lines). So a CMP rule is an annotation, a
  SARIF result with its rule's docs, a Code Quality issue, like a lint rule. Each adds the
  verdicts where its format has a place for them: github a notice with every pair's verdict
  (and a warning per pair that could not be compared, which has no finding to annotate), sarif
  `properties` on the run (every pair's verdict) and on each result (its pair's), concise the
  closing count line. Code Quality and rdjson are lists of issues: they carry findings only.
- junit is its own (`render_junit`): a test case per pair that fails when the verdict is
  `worse` and is skipped when the pair could not be compared. The lint JUnit reporter fails a
  run on its findings' severity, which is not what decides a pair.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from curvelint.compare import BETTER, SAME, UNKNOWN, VERDICT_WORDS, WORSE, WORST_FIRST, CompareFinding, CompareReport
from curvelint.model import Finding, Location, Report, Run, plural

#: `--format` values, in the order `--help` lists them.
FORMATS: dict[str, str] = {
    "text": "each pair's verdict line and its findings (default)",
    "concise": "one line per finding: path:line: CODE [severity] message, then the counts",
    "json": "versioned JSON for programs (see docs/compare.md)",
    "markdown": "pull-request comment: the verdict, a side-by-side table of the pairs, details collapsed",
    "html": "one self-contained page: the pairs, then each pair's curves overlaid",
    "github": "GitHub Actions annotations on the HEAD logs, and a notice with every verdict",
    "gitlab": "GitLab Code Quality JSON (findings only)",
    "sarif": "SARIF 2.1.0: the findings as results, the compare rules with their docs, verdicts in properties",
    "junit": "JUnit XML: one test case per pair, failing when worse",
    "rdjson": "reviewdog rdjson (findings only)",
}
#: Verdicts in the order counts are read out: the ones that need attention first.
ORDER = (WORSE, SAME, BETTER, UNKNOWN)


def counts_text(report: CompareReport) -> str:
    """`1 worse, 3 same within noise`: the non-zero verdict counts."""
    counts = report.counts()
    return ", ".join(f"{counts[v]} {VERDICT_WORDS[v]}" for v in ORDER if counts[v])


def render_text(report: CompareReport) -> str:
    lines = []
    for pair in report.pairs:
        lines.append(pair.verdict_line())
        for f in pair.findings:
            lines.append(f"  {f.code} {f.rule} [{f.severity.value}, {f.effect or 'info'}] {f.message}")
        lines.extend(f"  note: {n}" for n in pair.comparison.notes)
    if report.unpaired_base or report.unpaired_head:
        lines.append(f"unpaired: BASE {', '.join(report.unpaired_base) or '-'}; HEAD {', '.join(report.unpaired_head) or '-'}")
    for e in report.errors:
        lines.append(f"error: {e.path}: {e.message}")
    lines.append(_count_line(report))
    return "\n".join(lines) + "\n"


def _count_line(report: CompareReport) -> str:
    parts = counts_text(report)
    return plural(len(report.pairs), "pair") + (f": {parts}" if parts else "")


# -- the lint reporters on a comparison ------------------------------------------------------------


def location(head: Run, f: CompareFinding, monitor: str | None) -> Location | None:
    """Where in the HEAD logs a finding points: the line of the epoch it names in the file of
    its series (CSV logs have lines), else that file, else the run's first source."""
    series = f.series or ((monitor,) if monitor else ())
    if f.epochs is not None:
        hit = head.line_of(f.epochs[0], series)
        if hit is not None:
            return Location(*hit)
    for key in series:
        curve = head.raw(key)
        if curve is not None and curve.source:
            return Location(curve.source)
    return Location(head.sources[0]) if head.sources else None


def lint_report(report: CompareReport) -> Report:
    """The comparison as a lint `Report`: per pair its HEAD run under the pair's id, and the
    pair's compare findings as findings on it."""
    out = Report(errors=list(report.errors))
    for pair in report.pairs:
        c = pair.comparison
        out.runs.append(dataclasses.replace(c.head, id=c.id))
        out.findings += [Finding(run=c.id, code=f.code, rule=f.rule, severity=f.severity, message=f.message,
                                 remediation=f.remediation, series=f.series, epochs=f.epochs,
                                 location=location(c.head, f, c.monitor), evidence=dict(f.evidence))
                         for f in pair.findings]
    return out


def _sarif(report: CompareReport, rules: Mapping[str, Any]) -> str:
    import json

    from curvelint.reporters.sarif import report_sarif

    doc = report_sarif(lint_report(report), dict(rules))
    run = doc["runs"][0]
    by_pair = {p.comparison.id: p for p in report.pairs}
    effects = [f.effect for p in report.pairs for f in p.findings]
    for result, effect in zip(run["results"], effects):
        pair = by_pair[result["properties"]["run"]]
        result["properties"].update({"pair": pair.comparison.id, "verdict": pair.verdict, "effect": effect})
    run["properties"] = {"compare": {"pairs": [{"id": p.comparison.id, "verdict": p.verdict, "summary": p.verdict_line()}
                                               for p in report.pairs],
                                     "summary": {"pairs": len(report.pairs), **report.counts()}}}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _github(report: CompareReport) -> str:
    from curvelint.reporters.base import Context
    from curvelint.reporters.escape import workflow_data, workflow_property
    from curvelint.reporters.github import GithubReporter

    lines = GithubReporter().render(lint_report(report), Context()).splitlines()
    for pair in report.pairs:
        if pair.verdict == UNKNOWN:  # fails the default gate, and no finding says why
            title = workflow_property(f"curvelint compare ({pair.comparison.id})")
            lines.append(f"::warning title={title}::{workflow_data(pair.verdict_line())}")
    if report.pairs:
        label = report.pairs[0].comparison.base_label
        summary = f"{counts_text(report)} of {plural(len(report.pairs), 'pair')} vs {label}"
        worst_first = sorted(report.pairs, key=lambda p: WORST_FIRST.index(p.verdict))
        body = "\n".join([summary, *(p.verdict_line() for p in worst_first)])
        lines.append(f"::notice title={workflow_property('curvelint compare')}::{workflow_data(body)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _concise(report: CompareReport, rules: Mapping[str, Any]) -> str:
    from curvelint.reporters.concise import ConciseReporter
    from curvelint.reporters.text import TerminalContext

    text = ConciseReporter().render(lint_report(report), TerminalContext(rules=rules, quiet=True))
    lines = [ln for ln in text.splitlines() if ln]
    lines += [p.verdict_line() for p in report.pairs if p.verdict == UNKNOWN]
    lines.append(_count_line(report))
    return "\n".join(lines) + "\n"


def render_junit(report: CompareReport) -> str:
    """A test suite with a case per pair: `worse` fails it (the verdict line is the failure's
    message, the findings its text), `not comparable` skips it, the other findings and the
    notes are its output."""
    from curvelint.reporters.escape import xml

    cases, failures, skipped = [], 0, 0
    for pair in report.pairs:
        c = pair.comparison
        lines = [f"{f.code} {f.rule} ({f.severity.value}, {f.effect or 'info'}): {f.message}" for f in pair.findings]
        lines += [f"note: {n}" for n in c.notes]
        body = ""
        if pair.verdict == WORSE:
            failures += 1
            body = f'<failure message="{xml(pair.verdict_line())}" type="worse">{xml(chr(10).join(lines))}</failure>'
        elif pair.verdict == UNKNOWN:
            skipped += 1
            body = f'<skipped message="{xml(pair.verdict_line())}"/>'
        if lines and pair.verdict != WORSE:
            body += f"<system-out>{xml(chr(10).join([pair.verdict_line(), *lines]))}</system-out>"
        src = xml(c.head.sources[0]) if c.head.sources else ""
        cases.append(f'  <testcase classname="curvelint.compare" name="{xml(c.id)}" file="{src}">{body}</testcase>')
    errors = sum(1 for e in report.errors if e.fatal)
    head = (f'<testsuite name="curvelint compare" tests="{len(report.pairs)}" failures="{failures}" '
            f'errors="{errors}" skipped="{skipped}">')
    out = [head, *cases]
    if report.errors:
        out.append("  <system-err>" + xml("\n".join(f"{e.path}: {e.message}" for e in report.errors)) + "</system-err>")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + "\n".join(out) + "\n</testsuite>\n"


def render(report: CompareReport, fmt: str, *, rules: Mapping[str, Any] | None = None, limit: int | None = None,
           marker: bool = False) -> str:
    """`report` in format `fmt` (one of `FORMATS`). `rules` (code -> compare rule class) gives
    SARIF its rule docs; `limit` caps the markdown body (default GitHub's 65,536), `marker`
    starts it with the sticky-comment marker (for a comment that holds compare alone)."""
    import json

    rules = dict(rules or {})
    if fmt == "text":
        return render_text(report)
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "markdown":
        from curvelint.reporters.compare_markdown import MAX_CHARS, render_compare_markdown

        return render_compare_markdown(report, MAX_CHARS if limit is None else limit, marker=marker)
    if fmt == "html":
        from curvelint.reporters.compare_html import render_compare_html

        return render_compare_html(report)
    if fmt == "junit":
        return render_junit(report)
    if fmt == "sarif":
        return _sarif(report, rules)
    if fmt == "github":
        return _github(report)
    if fmt == "concise":
        return _concise(report, rules)
    if fmt in ("gitlab", "rdjson"):
        from curvelint.reporters.base import Context
        from curvelint.reporters.gitlab import GitlabReporter
        from curvelint.reporters.rdjson import RdjsonReporter

        reporter = GitlabReporter() if fmt == "gitlab" else RdjsonReporter()
        return reporter.render(lint_report(report), Context(rules=rules))
    raise ValueError(f"unknown compare format {fmt!r} (available: {', '.join(FORMATS)})")

