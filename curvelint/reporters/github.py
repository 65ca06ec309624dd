"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

GitHub shows at most 10 annotations of each level per step, so curvelint emits at most 10 per
level and one notice saying how many more there are. Messages and properties are escaped as the
workflow-command syntax requires. A finding that explains others is one annotation saying
`also: CODES`; the findings it explains get none of their own.
"""

from __future__ import annotations

from curvelint.model import Report, Severity
from curvelint.reporters.base import Context, Reporter, fold
from curvelint.reporters.escape import workflow_data, workflow_property

PER_LEVEL = 10
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


class GithubReporter(Reporter):
    name = "github"

    def render(self, report: Report, ctx: Context) -> str:
        lines: list[str] = []
        shown = {s: 0 for s in Severity}
        hidden = {s: 0 for s in Severity}
        for problem in fold(report.findings):
            f = problem.finding
            if shown[f.severity] >= PER_LEVEL:
                for g in problem.findings:
                    hidden[g.severity] += 1
                continue
            shown[f.severity] += 1
            props = []
            if f.location is not None:
                props.append(f"file={workflow_property(f.location.path)}")
                if f.location.line:
                    props.append(f"line={f.location.line}")
            props.append(f"title={workflow_property(f'curvelint {f.code} {f.rule} ({f.run})')}")
            message = "\n".join([f.message, *([problem.also] if problem.also else []),
                                 *([f"→ {f.remediation}"] if f.remediation else [])])
            lines.append(f"::{_COMMAND[f.severity]} {','.join(props)}::{workflow_data(message)}")
        more = {s: n for s, n in hidden.items() if n}
        if more:
            detail = ", ".join(f"{n} {s.value}" for s, n in more.items())
            lines.append(f"::notice title=curvelint::{workflow_data(f'{sum(more.values())} more findings not annotated ({detail}); see the job log or the markdown summary')}")
        for e in report.errors:
            cmd = "error" if e.fatal else "warning"
            lines.append(f"::{cmd} title={workflow_property('curvelint')}::{workflow_data(f'{e.path}: {e.message}')}")
        return "\n".join(lines) + ("\n" if lines else "")
