"""`--format markdown`: a pull-request comment / job-summary body.

A summary line, one section per run with findings (a table, sparklines of loss and val_loss,
remediations in collapsible blocks) and the hidden `<!-- curvelint -->` marker the sticky
comment is found by. GitHub refuses comments over 65,536 characters, so detail is dropped
lowest severity first and the body says how much was left out. A finding that explains others
is one row with `also: CODES` and one remediation; the findings it explains get no row.
"""

from __future__ import annotations

from curvelint.model import Finding, Report, Run, Severity
from curvelint.reporters.base import Context, Problem, Reporter, count_problems, fold
from curvelint.reporters.escape import markdown as md
from curvelint.reporters.sparkline import loss_sparklines

MARKER = "<!-- curvelint -->"
MAX_CHARS = 65_536
_ICON = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟠 warning", Severity.INFO: "🔵 info"}


def _location(f: Finding) -> str:
    if f.location is None:
        return ""
    return md(f.location.path + (f":{f.location.line}" if f.location.line else ""))


def _run_section(run: Run, problems: list[Problem], detailed: bool) -> str:
    lines = [f"### {md(run.id)}", "",
             f"{md(run.format)} · {run.epochs} epochs · " + " · ".join(
                 f"`{name}` {spark}" for name, spark in loss_sparklines(run)), ""]
    lines += ["| severity | rule | finding | where |", "|---|---|---|---|"]
    for p in problems:
        f = p.finding
        also = f"<br>_{md(p.also)}_" if p.also else ""
        lines.append(f"| {_ICON[f.severity]} | `{f.code}` {md(f.rule)} | {md(f.message)}{also} | {_location(f)} |")
    if detailed:
        lines.append("")
        for f in (p.finding for p in problems):
            lines += [f"<details><summary>{f.code} {md(f.rule)}: how to fix</summary>", "", md(f.remediation), "", "</details>"]
    return "\n".join(lines) + "\n"


class MarkdownReporter(Reporter):
    name = "markdown"

    def render(self, report: Report, ctx: Context) -> str:
        return render_markdown(report, MAX_CHARS)


def render_markdown(report: Report, limit: int = MAX_CHARS) -> str:
    counts = report.counts()
    by_run = {rid: fold(fs) for rid, fs in report.by_run().items()}
    if report.findings:
        n, problems = len(report.findings), count_problems(report.findings)
        severities = f"{counts['error']} error, {counts['warning']} warning, {counts['info']} info"
        if problems == n:
            head = f"**curvelint**: {n} finding{'s' if n != 1 else ''} in {len(by_run)} of {len(report.runs)} runs — {severities}"
        else:
            head = (f"**curvelint**: {problems} problem{'s' if problems != 1 else ''} ({n} findings: {severities}) "
                    f"in {len(by_run)} of {len(report.runs)} runs")
    else:
        head = f"**curvelint**: no findings in {len(report.runs)} runs ✅"
    errors = [f"- {md(e.path)}: {md(e.message)}" for e in report.errors]

    # Try ever smaller bodies: all detail; no remediation blocks; then drop info, then warning
    # findings; finally only the counts. Say what was left out.
    plans = [(None, True), (None, False), (Severity.INFO, False), (Severity.WARNING, False)]
    for dropped, detailed in plans:
        kept = {rid: [p for p in ps if dropped is None or p.finding.severity.rank > dropped.rank] for rid, ps in by_run.items()}
        left_out = len(report.findings) - sum(len(p.findings) for ps in kept.values() for p in ps)
        sections = [_run_section(run, kept[run.id], detailed) for run in report.runs if kept.get(run.id)]
        body = _assemble(head, sections, errors, left_out, detailed)
        if len(body) <= limit:
            return body
    return _assemble(head, [], errors[:20], len(report.findings), False, everything=True)[:limit]


def _assemble(head: str, sections: list[str], errors: list[str], left_out: int, detailed: bool,
              everything: bool = False) -> str:
    parts = [MARKER, head, ""]
    if left_out:
        which = "" if everything else "lower-severity "
        parts += [f"_{left_out} {which}finding{'s' if left_out != 1 else ''} left out to fit the "
                  f"{MAX_CHARS:,}-character limit; run `curvelint` locally for all of them._", ""]
    elif not detailed and sections:
        parts += ["_Remediations left out to fit the size limit; `curvelint rule CODE` explains each rule._", ""]
    parts += sections
    if errors:
        parts += ["**Could not lint:**", *errors, ""]
    return "\n".join(parts) + "\n"
