"""`--format text` (default): findings grouped per run, for a person at a terminal."""

from __future__ import annotations

from collections import Counter

from curvelint.model import Finding, Report, Severity
from curvelint.reporters.base import Context, Reporter

_COLORS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class TextReporter(Reporter):
    name = "text"
    description = "findings grouped per run, for people (default)"

    def render(self, report: Report, ctx: Context) -> str:
        paint = (lambda code, s: f"{code}{s}{_RESET}") if ctx.color else (lambda code, s: s)
        out: list[str] = []
        if ctx.statistics:
            out.extend(self._statistics(report))
        else:
            by_run: dict[str, list[Finding]] = {}
            for f in report.findings:
                by_run.setdefault(f.run, []).append(f)
            for run in report.runs:
                findings = by_run.get(run.id)
                if not findings:
                    continue
                out.append(paint(_BOLD, run.id) + paint(_DIM, f"  {run.format} · {_plural(run.epochs, 'epoch')}"))
                for f in findings:
                    where = ""
                    if f.location is not None:
                        where = f.location.path + (f":{f.location.line}" if f.location.line else "")
                    sev = paint(_COLORS[f.severity], f"{f.severity.value:<7}")
                    out.append(f"  {sev} {paint(_BOLD, f.code)} {f.message}  [{f.rule}]")
                    if where:
                        out.append(paint(_DIM, f"          at {where}"))
                    if f.remediation:
                        out.append(f"          → {f.remediation}")
                out.append("")
        for e in report.errors:
            label = "error" if e.fatal else "warning"
            out.append(f"{paint(_COLORS[Severity.ERROR if e.fatal else Severity.WARNING], label)}: {e.path}: {e.message}")
        counts = report.counts()
        runs_with = len({f.run for f in report.findings})
        if report.findings:
            out.append(f"Found {_plural(len(report.findings), 'finding')} in {_plural(runs_with, 'run')} of "
                       f"{len(report.runs)} linted ({counts['error']} error, {counts['warning']} warning, {counts['info']} info).")
        else:
            out.append(f"All checks passed: {_plural(len(report.runs), 'run')} linted, no findings.")
        return "\n".join(out) + "\n"

    @staticmethod
    def _statistics(report: Report) -> list[str]:
        counts = Counter((f.code, f.rule, f.severity.value) for f in report.findings)
        rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))
        return [f"{n:>5}  {code:<8} {sev:<8} {slug}" for (code, slug, sev), n in rows] + ([""] if rows else [])
