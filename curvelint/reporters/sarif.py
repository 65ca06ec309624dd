"""`--format sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps).

Rules carry their full documentation; results carry stable fingerprints. Every finding is a
result; one that another explains has `properties.explainedBy` (the root's code) and points to
the root instead of repeating a remediation, and the root's message says `also: CODES`.
"""

from __future__ import annotations

import json
from typing import Any

from curvelint._version import __version__
from curvelint.model import Report, Severity
from curvelint.reporters.base import Context, Reporter, relation
from curvelint.reporters.fingerprint import fingerprint
from curvelint.rule import doc_sections

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(rule) -> dict[str, Any]:
    sections = doc_sections(rule.docs)
    text = "\n\n".join(f"{k}\n{v}" for k, v in sections.items())
    markdown = "\n\n".join(f"## {k}\n{v}" for k, v in sections.items())
    return {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": sections.get("What it detects", rule.summary)},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["training-curves", rule.code[:3]]},
    }


def report_sarif(report: Report, rules: dict[str, Any]) -> dict[str, Any]:
    used = sorted({f.code for f in report.findings} | set(rules))
    rule_list = [_rule(rules[c]) for c in used if c in rules]
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    results = []
    for f in report.findings:
        # one remediation per problem: the root's; an explained result points to it
        fix = f"The fix is {f.explained_by}'s, on the same run." if f.explained_by else f.remediation
        text = "\n".join(part for part in (f"{f.message} [{f.run}]", relation(f), fix) if part)
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": _LEVEL[f.severity],
            "message": {"text": text},
            "partialFingerprints": {"curvelint/v1": fingerprint(f)},
            "properties": {"run": f.run, "series": list(f.series),
                           **({"epochs": list(f.epochs)} if f.epochs else {}),
                           **({"explainedBy": f.explained_by} if f.explained_by else {})},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.location is not None:
            region = {"startLine": f.location.line} if f.location.line else None
            physical: dict[str, Any] = {"artifactLocation": {"uri": f.location.path}}
            if region:
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    notifications = [{"level": "error" if e.fatal else "warning", "message": {"text": f"{e.path}: {e.message}"}}
                     for e in report.errors]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "curvelint", "version": __version__, "informationUri": "https://pypi.org/project/curvelint/",
                            "rules": rule_list}},
        "results": results,
    }
    if notifications:
        run["invocations"] = [{"executionSuccessful": not any(e.fatal for e in report.errors),
                               "toolExecutionNotifications": notifications}]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


class SarifReporter(Reporter):
    name = "sarif"

    def render(self, report: Report, ctx: Context) -> str:
        return json.dumps(report_sarif(report, dict(ctx.rules)), indent=2, ensure_ascii=False) + "\n"
