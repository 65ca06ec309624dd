"""`--output-format concise`: one line per finding, like ruff's concise output.

    runs/a/training.log:6: GEN001 [warning] val_loss rose 43% from its minimum ... [overfitting]

The place is the finding's file and line (what an editor jumps to), or the run when the finding
has no location. Every finding gets its line, also those another finding explains (they end
with `(explained by CODE)`), so `grep` and `wc -l` see all of them; there are no remediations
and no wrapping. The summary line of the text view closes it (not under `-q`).
"""

from __future__ import annotations

from curvelint.model import Finding, Report
from curvelint.reporters.base import Context, Reporter, display_path
from curvelint.reporters.text import (SEVERITY_STYLE, Line, TerminalContext, TextReporter, error_lines, render_lines,
                                      summary_lines)


def place(f: Finding) -> str:
    """`path:line` of the finding's location, `path` without a line, else its run's id."""
    if f.location is None:
        return f.run
    return display_path(f.location.path) + (f":{f.location.line}" if f.location.line else "")


class ConciseReporter(Reporter):
    name = "concise"
    description = "one line per finding: path:line: CODE [severity] message"

    def render(self, report: Report, ctx: Context) -> str:
        tctx = TerminalContext.of(ctx)
        if tctx.statistics:  # a count per rule is the same table in either view
            return TextReporter().render(report, tctx)
        lines: list[Line] = []
        for f in report.findings:
            line: Line = [(f"{place(f)}: ", "bold"), (f.code, "bold"), (" ", ""), (f"[{f.severity.value}]", SEVERITY_STYLE[f.severity]),
                          (f" {' '.join(f.message.splitlines())} ", ""), (f"[{f.rule}]", "dim")]
            if f.explained_by:
                line.append((f" (explained by {f.explained_by})", "dim"))
            lines.append(line)
        lines += error_lines(report.errors, width=10**9)  # one line each, like the findings
        if not tctx.quiet:
            if lines:
                lines.append([])
            lines += summary_lines(report, tctx)
        return render_lines(lines, tctx.color)
