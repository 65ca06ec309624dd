"""`--format text` (default): findings grouped per run, for a person at a terminal.

On a terminal (and without NO_COLOR) severities are coloured with rich and each run gets a
sparkline of loss and val_loss; piped output stays plain text. A finding that explains others
is printed once with `also: CODES` and its remediation; the findings it explains are not
printed, but the summary counts them.
"""

from __future__ import annotations

import io
from collections import Counter

from curvelint.model import Report, Severity
from curvelint.reporters.base import Context, Reporter, count_problems, fold
from curvelint.reporters.sparkline import loss_sparklines

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class TextReporter(Reporter):
    name = "text"

    def render(self, report: Report, ctx: Context) -> str:
        # (text, style) segments per line; styles are dropped for plain output. Text from logs is
        # never parsed as markup, so a metric named "[bold]" prints as itself.
        lines: list[list[tuple[str, str]]] = []
        if ctx.statistics:
            counts = Counter((f.code, f.rule, f.severity) for f in report.findings)
            for (code, slug, sev), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0])):
                lines.append([(f"{n:>5}  ", ""), (f"{code:<8} ", "bold"), (f"{sev.value:<8} ", _STYLE[sev]), (slug, "")])
            if counts:
                lines.append([])
        else:
            by_run = report.by_run()
            for run in report.runs:
                findings = by_run.get(run.id)
                if not findings:
                    continue
                lines.append([(run.id, "bold"), (f"  {run.format} · {_plural(run.epochs, 'epoch')}", "dim")])
                if ctx.color:
                    sparks = loss_sparklines(run)
                    if sparks:
                        lines.append([("  ", "")] + [seg for name, spark in sparks for seg in ((f"{name} ", "dim"), (f"{spark}  ", "blue"))])
                for problem in fold(findings):
                    f = problem.finding
                    lines.append([("  ", ""), (f"{f.severity.value:<7} ", _STYLE[f.severity]), (f.code, "bold"),
                                  (f" {f.message}  ", ""), (f"[{f.rule}]", "dim")])
                    if f.location is not None:
                        where = f.location.path + (f":{f.location.line}" if f.location.line else "")
                        lines.append([(f"          at {where}", "dim")])
                    if problem.also:
                        lines.append([(f"          {problem.also}", "")])
                    if f.remediation:
                        lines.append([(f"          → {f.remediation}", "")])
                lines.append([])
        for e in report.errors:
            label, style = ("error", "bold red") if e.fatal else ("warning", "yellow")
            lines.append([(label, style), (f": {e.path}: {e.message}", "")])
        counts = report.counts()
        if report.findings:
            runs_with = len({f.run for f in report.findings})
            severities = f"{counts['error']} error, {counts['warning']} warning, {counts['info']} info"
            problems = count_problems(report.findings)
            if problems == len(report.findings):
                found = f"{_plural(len(report.findings), 'finding')} in {_plural(runs_with, 'run')} of {len(report.runs)} linted ({severities})"
            else:  # severities are of all findings: each one counts for the exit status
                found = (f"{_plural(problems, 'problem')} ({_plural(len(report.findings), 'finding')}: {severities}) "
                         f"in {_plural(runs_with, 'run')} of {len(report.runs)} linted")
            lines.append([(f"Found {found}.", "bold")])
        else:
            lines.append([(f"All checks passed: {_plural(len(report.runs), 'run')} linted, no findings.", "bold green")])
        if not ctx.color:
            return "\n".join("".join(text for text, _ in line) for line in lines) + "\n"
        return _colour(lines)


def _colour(lines: list[list[tuple[str, str]]]) -> str:
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="standard", soft_wrap=True, highlight=False)
    for line in lines:
        text = Text()
        for segment, style in line:
            text.append(segment, style=style or None)
        console.print(text)
    return buf.getvalue()
