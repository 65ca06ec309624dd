"""Plugins are loaded from real entry points: each test writes a distribution (a `.dist-info`
with `entry_points.txt`) on PYTHONPATH and runs curvelint in a subprocess."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import OVERFIT, run_cli, write_csvlogger

GOOD_RULE = '''
from curvelint import hookimpl
from curvelint.model import Severity
from curvelint.rule import Option, Rule, Violation


class EpochBudget(Rule):
    code = "ACME001"
    slug = "epoch-budget"
    severity = Severity.WARNING
    summary = "Training ran longer than the team's epoch budget"
    needs = ("train/loss",)
    options = {"max_epochs": Option(10, "Budget in epochs.")}
    remediation = "Lower `epochs=` in model.fit."
    docs = "## What it detects\\nx\\n## Why it matters\\nx\\n## Remediation\\nx\\n## Example\\nx"

    def check(self, run, opts):
        if run.epochs > opts.max_epochs:
            yield Violation(f"{run.epochs} epochs, budget {opts.max_epochs}", epochs=(opts.max_epochs, run.epochs - 1))
'''


def make_dist(site: Path, dist: str, version: str, modules: dict[str, str], entry_points: dict[str, str]) -> None:
    site.mkdir(parents=True, exist_ok=True)
    for name, code in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(code))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    eps = "[curvelint]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(eps)


@pytest.fixture
def logs(tmp_path):
    write_csvlogger(tmp_path / "logs" / "a" / "training.log", OVERFIT)
    write_csvlogger(tmp_path / "logs" / "b" / "training.log", {k: v[:6] for k, v in OVERFIT.items()})
    return tmp_path / "logs"


def lint_json(logs: Path, site: Path, *extra: str):
    proc = run_cli(str(logs), "--format", "json", "--isolated", *extra, env={"PYTHONPATH": str(site)})
    return proc, json.loads(proc.stdout)


def test_team_rule_is_loaded_selectable_and_configurable(tmp_path, logs):
    site = tmp_path / "site"
    make_dist(site, "acme-curvelint", "1.2.0", {"acme_rules": GOOD_RULE + "\n@hookimpl\ndef curvelint_rules():\n    return [EpochBudget]\n"},
              {"acme": "acme_rules"})
    proc, out = lint_json(logs, site, "--select", "ACME")
    assert proc.returncode == 0, proc.stderr
    assert [(f["run"], f["code"], f["rule"]) for f in out["findings"]] == [("a", "ACME001", "epoch-budget")]
    assert out["findings"][0]["message"] == "12 epochs, budget 10"
    rules = run_cli("rules", cwd=site, env={"PYTHONPATH": str(site)})  # not the repo root, which has rules/
    assert "ACME001" in rules.stdout and "epoch-budget" in rules.stdout


def test_plugin_that_fails_to_import_is_reported_and_skipped(tmp_path, logs):
    site = tmp_path / "site"
    make_dist(site, "broken-dist", "0.3", {"broken_plugin": "raise ImportError('needs torch')\n"}, {"broken": "broken_plugin"})
    proc, out = lint_json(logs, site)
    assert proc.returncode == 0  # GEN001 is a warning; the broken plugin is not fatal
    assert any("broken (broken-dist 0.3)" in e["path"] and "needs torch" in e["message"] for e in out["errors"])
    assert any(f["code"] == "GEN001" for f in out["findings"])


def test_duplicate_code_or_slug_is_refused_naming_both_plugins(tmp_path, logs):
    dup = GOOD_RULE.replace('"ACME001"', '"GEN001"') + "\n@hookimpl\ndef curvelint_rules():\n    return [EpochBudget]\n"
    dup_slug = GOOD_RULE.replace('"epoch-budget"', '"overfitting"') + "\n@hookimpl\ndef curvelint_rules():\n    return [EpochBudget]\n"
    site = tmp_path / "site"
    make_dist(site, "dup-dist", "1.0", {"dup_code": dup, "dup_slug": dup_slug}, {"dupcode": "dup_code", "dupslug": "dup_slug"})
    proc, out = lint_json(logs, site)
    messages = [e["path"] + ": " + e["message"] for e in out["errors"]]
    assert any("dupcode (dup-dist 1.0)" in m and "code 'GEN001'" in m and "builtin-rules (curvelint" in m for m in messages), messages
    assert any("dupslug (dup-dist 1.0)" in m and "slug 'overfitting'" in m and "builtin-rules (curvelint" in m for m in messages), messages
    assert {f["rule"] for f in out["findings"] if f["code"] == "GEN001"} == {"overfitting"}


def test_rule_that_raises_becomes_int001_and_other_rules_still_run(tmp_path, logs):
    crashing = GOOD_RULE.replace('yield Violation(f"{run.epochs} epochs', 'raise KeyError("val/accuracy")\n            yield Violation(f"{run.epochs} epochs')
    crashing = crashing.replace("if run.epochs > opts.max_epochs:", "if True:")
    site = tmp_path / "site"
    make_dist(site, "acme-curvelint", "1.2.0", {"acme_rules": crashing + "\n@hookimpl\ndef curvelint_rules():\n    return [EpochBudget]\n"},
              {"acme": "acme_rules"})
    proc, out = lint_json(logs, site)
    int001 = [f for f in out["findings"] if f["code"] == "INT001"]
    assert sorted(f["run"] for f in int001) == ["a", "b"]
    assert "ACME001" in int001[0]["message"] and "KeyError" in int001[0]["message"]
    assert any(f["code"] == "GEN001" and f["run"] == "a" for f in out["findings"])
    assert proc.returncode == 1  # INT001 is an error


def test_hook_that_raises_is_isolated(tmp_path, logs):
    code = "from curvelint import hookimpl\n\n@hookimpl\ndef curvelint_rules():\n    raise RuntimeError('boom')\n"
    site = tmp_path / "site"
    make_dist(site, "hooky", "2.0", {"hooky": code}, {"hooky": "hooky"})
    proc, out = lint_json(logs, site)
    assert any("hooky (hooky 2.0)" in e["path"] and "RuntimeError: boom" in e["message"] for e in out["errors"])
    assert any(f["code"] == "GEN001" for f in out["findings"])


def test_plugin_can_be_denied_by_config_and_environment(tmp_path, logs):
    site = tmp_path / "site"
    make_dist(site, "acme-curvelint", "1.2.0", {"acme_rules": GOOD_RULE + "\n@hookimpl\ndef curvelint_rules():\n    return [EpochBudget]\n"},
              {"acme": "acme_rules"})
    proc = run_cli(str(logs), "--select", "ACME", "--isolated", env={"PYTHONPATH": str(site), "CURVELINT_DISABLE_PLUGINS": "acme"})
    assert proc.returncode == 2 and "unknown rule selector 'ACME'" in proc.stderr
    (logs / "curvelint.toml").write_text('[plugins]\ndeny = ["acme-curvelint"]\n')
    proc = run_cli(str(logs), "--select", "ACME", env={"PYTHONPATH": str(site)})
    assert proc.returncode == 2 and "unknown rule selector" in proc.stderr
