"""Reporters: each format's structure, GitHub's limits, the markdown size cap, and escaping of
names taken from logs (run directories, metric names) that try to break out."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conftest import OVERFIT, run_cli, write_csvlogger, write_history_json
from curvelint.engine import Linter
from curvelint.model import Finding, Location, Report, Run, Severity
from curvelint.reporters.base import Context
from curvelint.reporters.escape import workflow_data, workflow_property
from curvelint.reporters.markdown import MARKER, render_markdown

HOSTILE = ["<script>alert(1)</script>", "a|b", "`tick`", "x-->y", "%0A::error::pwned", "line\nbreak", "comma,colon:"]


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    for name in HOSTILE:
        d = root / name.replace("/", "_").replace("\n", "_")
        hist = dict(OVERFIT)
        hist[f"val_{name.replace(chr(10), ' ')}"] = [float("nan")] * len(OVERFIT["loss"])  # a hostile metric name, NaN so it is named
        write_history_json(d / "history.json", hist)
    linter = Linter.create()
    return linter, linter.lint_paths([str(root)])


def render(linter, report, fmt):
    return linter.host.reporters[fmt].render(report, Context(rules=linter.host.rules))


def test_every_format_is_registered():
    linter = Linter.create()
    assert {"text", "json", "markdown", "github", "sarif", "gitlab", "rdjson", "junit"} <= set(linter.host.reporters)


def test_markdown_escapes_untrusted_names(hostile_report):
    linter, report = hostile_report
    assert len(report.runs) == len(HOSTILE)
    out = render(linter, report, "markdown")
    assert out.startswith(MARKER)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "-->" not in out.replace(MARKER, "")  # nothing can close the hidden marker comment
    for line in out.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            # every table row keeps exactly 5 columns: no name can add a cell
            cells = line.replace("\\|", "").split("|")
            assert len(cells) == 7, line


def test_github_annotations_escape_and_cap(hostile_report):
    linter, report = hostile_report
    out = render(linter, report, "github")
    for line in out.splitlines():
        assert line.startswith("::"), line  # no value could start a new command line
        command, _, rest = line[2:].partition(" ")
        props, _, message = rest.partition("::")
        assert "\n" not in message and "\r" not in message
        for prop in props.split(","):
            key, _, value = prop.partition("=")
            assert key in ("file", "line", "title"), prop
            assert ":" not in value and "," not in value
    levels = [line.split(" ")[0] for line in out.splitlines()]
    assert levels.count("::error") <= 10 and levels.count("::warning") <= 10


def test_github_caps_annotations_per_level_counting_folded_findings():
    # 12 problems of one level, each a root warning explaining an info finding: 10 annotated; the
    # 2 left out hold 4 findings (2 warning, 2 info), and the notice counts every one of them
    runs = [Run(id=f"run{i:02}", sources=[f"run{i:02}/training.log"], format="keras-csv") for i in range(12)]
    findings = []
    for r in runs:
        root = Finding(r.id, "GEN001", "overfitting", Severity.WARNING, "rose", location=Location(r.sources[0], 3))
        child = Finding(r.id, "FIT001", "wasted-epochs", Severity.INFO, "wasted", explained_by="GEN001")
        root.explains.append(child)
        findings += [root, child]
    out = Linter.create().host.reporters["github"].render(Report(runs=runs, findings=findings), Context())
    lines = out.splitlines()
    assert [line.split(" ")[0] for line in lines].count("::warning") == 10
    assert not any(line.startswith("::notice file=") for line in lines)  # explained findings get no annotation
    assert lines[-1] == ("::notice title=curvelint::4 more findings not annotated (2 warning, 2 info); "
                         "see the job log or the markdown summary")


def test_workflow_escaping_rules():
    assert workflow_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert workflow_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_sarif_structure(hostile_report):
    linter, report = hostile_report
    doc = json.loads(render(linter, report, "sarif"))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "GEN001" in rules and rules["GEN001"]["name"] == "overfitting"
    assert "What it detects" in rules["GEN001"]["help"]["text"]
    fps = [r["partialFingerprints"]["curvelint/v1"] for r in run["results"]]
    assert len(fps) == len(set(fps)) == len(report.findings)
    for r in run["results"]:
        assert r["level"] in ("error", "warning", "note")
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    again = json.loads(render(linter, linter.lint_paths([r.sources[0].rsplit("/", 2)[0] for r in report.runs][:1] or []), "sarif"))
    assert again["version"] == "2.1.0"


def test_sarif_fingerprints_are_stable_across_wording():
    f1 = Finding("r", "GEN001", "overfitting", Severity.WARNING, "rose 38%", epochs=(3, 9), location=Location("a.log", 5))
    f2 = Finding("r", "GEN001", "overfitting", Severity.WARNING, "rose 40% (reworded)", epochs=(3, 9), location=Location("a.log", 5))
    from curvelint.reporters.fingerprint import fingerprint

    assert fingerprint(f1) == fingerprint(f2)
    assert fingerprint(f1) != fingerprint(Finding("r", "GEN001", "overfitting", Severity.WARNING, "x", epochs=(4, 9)))


def test_gitlab_fingerprints_unique_and_junit_is_xml(hostile_report):
    linter, report = hostile_report
    issues = json.loads(render(linter, report, "gitlab"))
    assert len({i["fingerprint"] for i in issues}) == len(issues) == len(report.findings)
    assert {i["severity"] for i in issues} <= {"info", "minor", "major", "critical", "blocker"}
    root = ET.fromstring(render(linter, report, "junit"))
    cases = root.findall("testcase")
    assert len(cases) == len(report.runs) == int(root.get("tests"))
    assert sorted(c.get("name") for c in cases) == sorted(r.id for r in report.runs)
    assert int(root.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    rd = json.loads(render(linter, report, "rdjson"))
    assert len(rd["diagnostics"]) == len(report.findings)
    assert {d["severity"] for d in rd["diagnostics"]} <= {"ERROR", "WARNING", "INFO"}


def test_markdown_stays_under_the_limit_dropping_info_first():
    runs = [Run(id=f"run{i}", sources=[f"run{i}/training.log"], format="keras-csv") for i in range(150)]
    findings = []
    for r in runs:
        findings.append(Finding(r.id, "GEN001", "overfitting", Severity.WARNING, "val_loss rose " * 8, "EarlyStopping " * 20,
                                location=Location(r.sources[0], 3)))
        findings.append(Finding(r.id, "OPT006", "noisy-curve", Severity.INFO, "jitter " * 60, "bigger batches " * 20))
    report = Report(runs=runs, findings=findings)
    out = render_markdown(report)
    assert len(out) <= 65_536
    assert "noisy-curve: jitter" not in out and "GEN001" in out  # info details go before the warnings'
    note = next(line for line in out.splitlines() if line.startswith("_Left out"))
    assert "150 info findings" in note  # the note under the table says what was left out
    small = render_markdown(Report(runs=runs[:2], findings=findings[:4]))
    assert "<details>" in small and "left out" not in small.lower()


def test_github_format_is_automatic_under_actions(tmp_path):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    proc = run_cli(str(tmp_path), "--isolated", "--exit-zero", env={"GITHUB_ACTIONS": "true"})
    assert proc.stdout.startswith("::"), proc.stdout[:200]
    proc = run_cli(str(tmp_path), "--isolated", "--exit-zero", "--format", "json", env={"GITHUB_ACTIONS": "true"})
    assert json.loads(proc.stdout)["version"] == 1


def test_sarif_validates_against_the_official_schema(hostile_report, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    from conftest import REPO

    schema = json.loads((REPO / "tests" / "data" / "sarif-2.1.0.json").read_text())
    linter, report = hostile_report
    validator = jsonschema.Draft202012Validator(schema)
    doc = json.loads(render(linter, report, "sarif"))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    # also with an unreadable log and a fatal error (notifications), and with no findings at all
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "history.json").write_text('{"loss": [1,')
    for rep in (linter.lint_paths([str(tmp_path), str(tmp_path / "missing")]), Report()):
        doc = json.loads(render(linter, rep, "sarif"))
        assert list(validator.iter_errors(doc)) == []
