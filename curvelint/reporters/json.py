"""`--format json`: the versioned, public machine-readable contract (see DESIGN.md).

Linted with a baseline (`--baseline`), the report has one more top-level key, `baseline`:
`{"path", "hidden", "stale": [{"run", "code", "recorded", "found"}]}`; `findings` and `summary`
then hold the new findings only. Without one the key is absent, so version 1 readers see no change."""

from __future__ import annotations

import json
from typing import Any

from curvelint.model import Finding, Report, Run
from curvelint.reporters.base import Context, Reporter

VERSION = 1


def run_dict(run: Run) -> dict[str, Any]:
    return {"id": run.id, "format": run.format, "sources": list(run.sources), "epochs": run.epochs,
            "series": run.series}


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "run": f.run, "code": f.code, "rule": f.rule, "severity": f.severity.value,
        "message": f.message, "remediation": f.remediation, "series": list(f.series),
        "epochs": None if f.epochs is None else list(f.epochs),
        "location": None if f.location is None else {"path": f.location.path, "line": f.location.line},
        "evidence": f.evidence, "explained_by": f.explained_by,
    }


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "version": VERSION,
        "runs": [run_dict(r) for r in report.runs],
        "findings": [finding_dict(f) for f in report.findings],
        "errors": [{"path": e.path, "message": e.message} for e in report.errors],
        "summary": report.summary,
    }


class JsonReporter(Reporter):
    name = "json"

    def render(self, report: Report, ctx: Context) -> str:
        # allow_nan=False: evidence is made JSON-safe by the rules; anything else is a bug to see
        if ctx.with_curves:
            from curvelint.report_curves import report_dict_with_curves

            doc = report_dict_with_curves(report)
        else:
            doc = report_dict(report)
        if ctx.baseline is not None:  # optional, so a report without a baseline keeps its keys
            doc["baseline"] = ctx.baseline.to_dict()
        return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
