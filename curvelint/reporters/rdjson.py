"""`--format rdjson`: reviewdog's diagnostic format, for `reviewdog -f=rdjson`.

Every finding is a diagnostic; the message of one that another explains names its root, and the
root's says `also: CODES`.
"""

from __future__ import annotations

import json

from curvelint.model import Report, Severity
from curvelint.reporters.base import Context, Reporter, relation

_SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}


class RdjsonReporter(Reporter):
    name = "rdjson"

    def render(self, report: Report, ctx: Context) -> str:
        diagnostics = []
        for f in report.findings:
            note = relation(f)
            d = {"message": f"{f.message} [{f.run}]" + (f" ({note})" if note else ""), "severity": _SEVERITY[f.severity],
                 "code": {"value": f"{f.code} {f.rule}"}}
            if f.location is not None:
                loc = {"path": f.location.path}
                if f.location.line:
                    loc["range"] = {"start": {"line": f.location.line}}
                d["location"] = loc
            diagnostics.append(d)
        doc = {"source": {"name": "curvelint"}, "severity": "WARNING", "diagnostics": diagnostics}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
