"""Findings that explain others: the engine links a symptom to its root (same run, overlapping
epochs, root chosen by severity then catalogue order, no chains or cycles), and reporters show
the root once with `also: CODES` while keeping every finding in JSON, SARIF and the counts.

The rules here are test-only, registered through a PluginHost the way a team plugin would be, so
the tests do not depend on what the built-in rules declare."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from conftest import OVERFIT, write_csvlogger
from curvelint import hookimpl
from curvelint.config import Config, Selection
from curvelint.engine import Linter
from curvelint.model import Severity
from curvelint.plugins import PluginHost
from curvelint.reporters.base import Context, fold
from curvelint.rule import Rule, Violation
from curvelint.testing import make_run

DOCS = "## What it detects\nx\n## Why it matters\nx\n## Remediation\nx\n## Example\nx"


def rule(code: str, severity: Severity, epochs: tuple[int, int] | None, explains: tuple[str, ...] = ()) -> type[Rule]:
    """A rule that always fires on `epochs`, with a message and remediation naming its code."""
    def check(self, run, opts):
        yield Violation(f"{code} saw it", epochs=epochs)

    return type(code, (Rule,), {
        "code": code, "slug": code.lower(), "severity": severity, "summary": f"{code} summary",
        "remediation": f"fix for {code}", "docs": DOCS, "explains": explains, "check": check,
    })


def linter(*rules: type[Rule], config: Config | None = None, cli: Selection | None = None,
           builtins: bool = False) -> Linter:
    host = PluginHost()
    if builtins:
        from curvelint.readers import builtin as readers
        from curvelint.reporters import builtin as reporters

        host.register(readers, "builtin-readers")
        host.register(reporters, "builtin-reporters")
    host.register(SimpleNamespace(curvelint_rules=hookimpl(lambda: list(rules))), "test-rules")
    host.collect()
    assert host.errors == []
    return Linter.create(config or Config(), cli, host=host)


def links(findings) -> dict[str, str | None]:
    return {f.code: f.explained_by for f in findings}


RUN = make_run({"train/loss": [1.0, 0.5]}, id="runs/a")


# -- linking -------------------------------------------------------------------------------------

def test_overlapping_epochs_are_linked_by_slug_or_code_and_others_are_not():
    findings = linter(
        rule("TST001", Severity.WARNING, (4, 11), explains=("tst002", "TST003", "tst004", "TST005")),
        rule("TST002", Severity.INFO, (8, 11)),     # inside the root's range
        rule("TST003", Severity.INFO, (0, 4)),      # shares only epoch 4: overlaps
        rule("TST004", Severity.INFO, (0, 3)),      # ends before epoch 4: not linked
        rule("TST005", Severity.INFO, None),        # no range: concerns the whole run
        rule("TST006", Severity.INFO, (4, 11)),     # overlaps but is not listed
    ).check(RUN)
    assert links(findings) == {"TST001": None, "TST002": "TST001", "TST003": "TST001", "TST004": None,
                               "TST005": "TST001", "TST006": None}
    root = findings[0]
    assert [f.code for f in root.explains] == ["TST002", "TST003", "TST005"]
    # explained findings keep their own severity, message and remediation
    sym = findings[1]
    assert (sym.severity, sym.message, sym.remediation) == (Severity.INFO, "TST002 saw it", "fix for TST002")


def test_a_root_without_epochs_explains_any_epoch_range():
    findings = linter(rule("TST001", Severity.WARNING, None, explains=("TST002",)),
                      rule("TST002", Severity.INFO, (30, 39))).check(RUN)
    assert links(findings) == {"TST001": None, "TST002": "TST001"}


def test_roots_are_tried_by_severity_then_catalogue_order():
    # TST001 and TST009 both explain TST005; TST009 is later in the catalogue but an error
    findings = linter(rule("TST001", Severity.WARNING, (0, 9), explains=("TST005",)),
                      rule("TST009", Severity.ERROR, (0, 9), explains=("TST005",)),
                      rule("TST005", Severity.WARNING, (0, 9))).check(RUN)
    assert links(findings)["TST005"] == "TST009"
    # same severity: the earlier code in the catalogue wins
    findings = linter(rule("TST002", Severity.WARNING, (0, 9), explains=("TST005",)),
                      rule("TST001", Severity.WARNING, (0, 9), explains=("TST005",)),
                      rule("TST005", Severity.INFO, (0, 9))).check(RUN)
    assert links(findings)["TST005"] == "TST001"
    assert [f.code for f in findings if f.explains] == ["TST001"]


def test_a_finding_is_never_explained_by_a_milder_one():
    findings = linter(rule("TST001", Severity.INFO, (0, 9), explains=("TST002",)),
                      rule("TST002", Severity.ERROR, (0, 9))).check(RUN)
    assert links(findings) == {"TST001": None, "TST002": None}


def test_no_cycles_and_no_chains():
    # A explains B and B explains A: the error wins, whatever the catalogue order
    findings = linter(rule("TST001", Severity.WARNING, (0, 9), explains=("TST002",)),
                      rule("TST002", Severity.ERROR, (0, 9), explains=("TST001",))).check(RUN)
    assert links(findings) == {"TST001": "TST002", "TST002": None}
    # same severity: the earlier one wins
    findings = linter(rule("TST001", Severity.WARNING, (0, 9), explains=("TST002",)),
                      rule("TST002", Severity.WARNING, (0, 9), explains=("TST001",))).check(RUN)
    assert links(findings) == {"TST001": None, "TST002": "TST001"}
    # A explains B, B explains C: B is explained, so it cannot explain C (and C stays on its own)
    findings = linter(rule("TST001", Severity.ERROR, (0, 9), explains=("TST002",)),
                      rule("TST002", Severity.WARNING, (0, 9), explains=("TST003",)),
                      rule("TST003", Severity.INFO, (0, 9))).check(RUN)
    assert links(findings) == {"TST001": None, "TST002": "TST001", "TST003": None}
    assert all(not (f.explains and f.explained_by) for f in findings)
    # B (earlier) already explains C when A, later in the catalogue, would explain B: a root stays a root
    findings = linter(rule("TST001", Severity.WARNING, (0, 9), explains=("TST003",)),
                      rule("TST002", Severity.WARNING, (0, 9), explains=("TST001",)),
                      rule("TST003", Severity.INFO, (0, 9))).check(RUN)
    assert links(findings) == {"TST001": None, "TST002": None, "TST003": "TST001"}


def test_an_ignored_or_unselected_root_explains_nothing():
    rules = (rule("TST001", Severity.WARNING, (0, 9), explains=("TST002",)), rule("TST002", Severity.INFO, (0, 9)))
    assert links(linter(*rules).check(RUN)) == {"TST001": None, "TST002": "TST001"}
    per_path = linter(*rules, config=Config(per_path_ignores={"runs/*": ["TST001"]})).check(RUN)
    assert links(per_path) == {"TST002": None}
    unselected = linter(*rules, cli=Selection(ignore=["tst001"])).check(RUN)
    assert links(unselected) == {"TST002": None}
    # a severity override applies to the finding on its own: raised above its root, it stands alone
    raised = linter(*rules, config=Config(rules={"TST002": {"severity": "error"}})).check(RUN)
    assert links(raised) == {"TST001": None, "TST002": None}


def test_only_findings_of_the_same_run_are_linked():
    lint = linter(rule("TST001", Severity.WARNING, (0, 9), explains=("TST002",)), rule("TST002", Severity.INFO, (0, 9)))
    report = lint.lint_runs([make_run({"train/loss": [1.0]}, id=name) for name in ("b", "a")])
    assert [(f.run, f.code, f.explained_by) for f in report.findings] == [
        ("a", "TST001", None), ("a", "TST002", "TST001"), ("b", "TST001", None), ("b", "TST002", "TST001")]
    for root in (f for f in report.findings if f.code == "TST001"):
        assert [(g.run, g.code) for g in root.explains] == [(root.run, "TST002")]


def test_links_survive_worker_processes(tmp_path):
    for name in ("a", "b"):
        write_csvlogger(tmp_path / name / "training.log", OVERFIT)
    lint = linter(rule("TST001", Severity.WARNING, (0, 9), explains=("TST002",)), rule("TST002", Severity.INFO, (0, 9)),
                  builtins=True)
    report = lint.lint_paths([str(tmp_path)], jobs=2)
    assert [(f.run, f.code, f.explained_by) for f in report.findings] == [
        ("a", "TST001", None), ("a", "TST002", "TST001"), ("b", "TST001", None), ("b", "TST002", "TST001")]
    assert [[g.code for g in p.explained] for p in fold(report.findings)] == [["TST002"], ["TST002"]]


def test_a_rule_declaring_explains_badly_is_refused():
    bad = rule("TST001", Severity.WARNING, None, explains="TST002")  # a string, not a tuple
    assert bad.declaration_problems() == ["explains is not a tuple of rule slugs or codes"]


# -- reporters -----------------------------------------------------------------------------------

@pytest.fixture
def folded():
    """One run: TST001 (warning) explains TST002 (warning) and TST003 (info); TST004 is unrelated."""
    lint = linter(rule("TST001", Severity.WARNING, (4, 11), explains=("TST002", "TST003")),
                  rule("TST002", Severity.WARNING, (9, 11)), rule("TST003", Severity.INFO, (4, 11)),
                  rule("TST004", Severity.INFO, (0, 2)), builtins=True)
    run = make_run({"train/loss": [1.0, 0.5]}, id="runs/a", source="runs/a/training.log")
    return lint, lint.lint_runs([run])


def render(lint, report, fmt: str) -> str:
    return lint.host.reporters[fmt].render(report, Context(rules=lint.host.rules))


def test_json_has_explained_by_on_every_finding(folded):
    # report order (severity, first epoch, code), explained findings included
    doc = json.loads(render(*folded, "json"))
    assert [(f["code"], f["explained_by"]) for f in doc["findings"]] == [
        ("TST001", None), ("TST002", "TST001"), ("TST004", None), ("TST003", "TST001")]
    assert doc["summary"] == {"runs": 1, "error": 0, "warning": 2, "info": 2}


def test_text_shows_the_root_once_with_also_and_one_remediation(folded):
    out = render(*folded, "text")
    assert out == (
        "runs/a  test · 2 epochs · training.log\n"  # the run's only file, named once
        "  warning TST001 TST001 saw it  [tst001]\n"
        "                 also: TST002, TST003\n"
        "                 → fix for TST001\n"
        "  info    TST004 TST004 saw it  [tst004]\n"
        "                 → fix for TST004\n"
        "\n"
        "Found 2 problems (4 findings: 0 error, 2 warning, 2 info) in 1 run of 1 linted.\n")


def test_markdown_and_github_fold_explained_findings(folded):
    md = render(*folded, "markdown")
    assert md.splitlines()[1] == "🟠 **curvelint: 2 warnings in 1 of 1 run** (2 info)"
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| run ")]
    assert len(rows) == 1  # one run, its worst problem, with what it explains and what else it has
    assert rows[0].split("|")[2].strip() == "🟠 <code>TST001</code> tst001: TST001 saw it"
    assert rows[0].split("|")[3].strip() == "also: TST002, TST003<br>+1 more (1&nbsp;🔵)"
    assert "explains 🟠 <code>TST002</code>" in md and "explains 🔵 <code>TST003</code>" in md
    assert "fix for TST001" in md and "fix for TST002" not in md and "fix for TST003" not in md
    gh = render(*folded, "github").splitlines()
    assert len(gh) == 2
    assert gh[0].endswith("::TST001 saw it%0Aalso: TST002, TST003%0A→ fix for TST001")


def test_result_formats_keep_explained_findings_marked(folded):
    lint, report = folded
    sarif = json.loads(render(lint, report, "sarif"))["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"].get("explainedBy")) for r in sarif] == [
        ("TST001", None), ("TST002", "TST001"), ("TST004", None), ("TST003", "TST001")]
    assert sarif[0]["message"]["text"] == "TST001 saw it [runs/a]\nalso: TST002, TST003\nfix for TST001"
    assert sarif[1]["message"]["text"] == "TST002 saw it [runs/a]\nexplained by TST001\nThe fix is TST001's, on the same run."
    gitlab = json.loads(render(lint, report, "gitlab"))
    assert [i["description"] for i in gitlab] == [
        "TST001 TST001 saw it [runs/a] (also: TST002, TST003)", "TST002 TST002 saw it [runs/a] (explained by TST001)",
        "TST004 TST004 saw it [runs/a]", "TST003 TST003 saw it [runs/a] (explained by TST001)"]
    rd = json.loads(render(lint, report, "rdjson"))["diagnostics"]
    assert [d["message"] for d in rd][1] == "TST002 saw it [runs/a] (explained by TST001)"
    junit = render(lint, report, "junit")
    assert 'failure message="2 finding(s)"' in junit  # the explained warning still fails the case
    assert "TST002 tst002 (warning): TST002 saw it (explained by TST001)" in junit


def test_exit_status_counts_explained_findings(tmp_path, monkeypatch):
    from curvelint import cli

    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    make = lambda: linter(rule("TST001", Severity.WARNING, (0, 9), explains=("TST002",)),  # noqa: E731
                          rule("TST002", Severity.WARNING, (0, 9)), builtins=True).host
    monkeypatch.setattr(PluginHost, "load", classmethod(lambda cls, allow=None, deny=(): make()))
    out = tmp_path / "report.json"
    code = cli.main([str(tmp_path), "--isolated", "--fail-on", "warning", "--format", "json", "-o", str(out)])
    assert code == 1
    doc = json.loads(out.read_text())
    assert doc["summary"]["warning"] == 2 and [f["explained_by"] for f in doc["findings"]] == [None, "TST001"]
    assert cli.main([str(tmp_path), "--isolated", "--fail-on", "error"]) == 0
