"""`--format gitlab`: GitLab Code Quality report (the `codequality` artifact).

Every finding is an issue (the widget counts them); the description of one that another
explains names its root, and the root's says `also: CODES`.
"""

from __future__ import annotations

import json

from curvelint.model import Report, Severity
from curvelint.reporters.base import Context, Reporter, relation
from curvelint.reporters.fingerprint import fingerprint

_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


class GitlabReporter(Reporter):
    name = "gitlab"

    def render(self, report: Report, ctx: Context) -> str:
        issues = []
        seen: set[str] = set()
        for f in report.findings:
            fp = fingerprint(f)
            n = 2
            while fp in seen:  # GitLab requires unique fingerprints
                fp = fingerprint(f) + f"-{n}"
                n += 1
            seen.add(fp)
            path = f.location.path if f.location else f.run
            issues.append({
                "description": f"{f.code} {f.message} [{f.run}]" + (f" ({relation(f)})" if relation(f) else ""),
                "check_name": f"{f.code} {f.rule}",
                "fingerprint": fp,
                "severity": _SEVERITY[f.severity],
                "location": {"path": path, "lines": {"begin": (f.location.line if f.location and f.location.line else 1)}},
            })
        return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
