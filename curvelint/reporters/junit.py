"""`--format junit`: one test case per run, failing when it has a warning or an error.

Every finding is listed (and counts for failing the case); one that another explains names its
root, and the root's line says `also: CODES`.
"""

from __future__ import annotations

from curvelint.model import Finding, Report, Severity
from curvelint.reporters.base import Context, Reporter, relation
from curvelint.reporters.escape import xml


class JunitReporter(Reporter):
    name = "junit"

    def render(self, report: Report, ctx: Context) -> str:
        by_run = report.by_run()
        cases, failures = [], 0
        for run in report.runs:
            findings = by_run.get(run.id, [])
            loud = [f for f in findings if f.severity is not Severity.INFO]
            body = ""
            if loud:
                failures += 1
                text = "\n".join(f"{f.code} {f.rule} ({f.severity.value}): {f.message}{_note(f)}" for f in loud)
                body += f'<failure message="{xml(f"{len(loud)} finding(s)")}" type="curvelint">{xml(text)}</failure>'
            infos = [f for f in findings if f.severity is Severity.INFO]
            if infos:
                body += "<system-out>" + xml("\n".join(f"{f.code} {f.rule}: {f.message}{_note(f)}" for f in infos)) + "</system-out>"
            src = xml(run.sources[0]) if run.sources else ""
            cases.append(f'  <testcase classname="curvelint" name="{xml(run.id)}" file="{src}">{body}</testcase>')
        errors = len([e for e in report.errors if e.fatal])
        head = (f'<testsuite name="curvelint" tests="{len(report.runs)}" failures="{failures}" errors="{errors}">')
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + head + "\n" + "\n".join(cases) + "\n</testsuite>\n"


def _note(f: Finding) -> str:
    note = relation(f)
    return f" ({note})" if note else ""
