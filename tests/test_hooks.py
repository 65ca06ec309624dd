"""Every hookspec is documented and exercised by a real installed plugin (entry point), plus
the plugin API version check, `curvelint plugins` and hook tracing."""

from __future__ import annotations

import inspect
import json

import pytest

from conftest import OVERFIT, REPO, run_cli, write_csvlogger
from curvelint import hookspecs
from test_plugins import make_dist

FULL_PLUGIN = '''
from curvelint import hookimpl
from curvelint.model import Curve, Severity
from curvelint.readers import Reader, Source
from curvelint.compare import Change, CompareRule
from curvelint.rule import Rule, Violation

CURVELINT_PLUGIN_API = 1


class CurvesReader(Reader):
    """`*.curves`: one line per epoch, `loss val_loss`."""
    format = "team-curves"
    priority = 5

    def accepts_name(self, name):
        return name.endswith(".curves")

    def read(self, path):
        rows = [line.split() for line in open(path) if line.strip()]
        steps = list(range(len(rows)))
        return Source(path, self.format, [Curve("loss", "train", steps, [float(r[0]) for r in rows], source=path),
                                          Curve("loss", "val", steps, [float(r[1]) for r in rows], source=path)])


class CountReporter:
    name = "count"

    def render(self, report, ctx):
        return f"{len(report.runs)} runs, {len(report.findings)} findings\\n"


class Hello(Rule):
    code = "HEL001"
    slug = "hello"
    severity = Severity.INFO
    summary = "Says hello to every run with a validation loss"
    needs = ("val/loss",)
    remediation = "None needed."
    docs = "## What it detects\\nx\\n## Why it matters\\nx\\n## Remediation\\nx\\n## Example\\nx"

    def check(self, run, opts):
        yield Violation(f"hello {run.id}")


@hookimpl
def curvelint_readers():
    return [CurvesReader()]


@hookimpl
def curvelint_reporters():
    return [CountReporter()]


class HelloCompare(CompareRule):
    code = "HEL101"
    slug = "hello-compare"
    severity = Severity.INFO
    effect = None
    summary = "Says hello to every BASE/HEAD pair"
    remediation = "None needed."
    docs = Hello.docs

    def check(self, comparison, opts):
        yield Change(f"hello {comparison.head.id}")


@hookimpl
def curvelint_rules():
    return [Hello]


@hookimpl
def curvelint_compare_rules():
    return [HelloCompare]
'''

HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if getattr(fn, "curvelint_spec", None) is not None]


@pytest.fixture
def site(tmp_path):
    make_dist(tmp_path / "site", "full-plugin", "3.1", {"full_plugin": FULL_PLUGIN}, {"full": "full_plugin"})
    return tmp_path / "site"


def test_hookspecs_are_found():
    assert set(HOOKS) == {"curvelint_rules", "curvelint_readers", "curvelint_reporters", "curvelint_compare_rules"}


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_documented_and_exercised(hook):
    fn = getattr(hookspecs, hook)
    assert (fn.__doc__ or "").strip(), f"{hook} has no docstring"
    assert f"### `{hook}()`" in (REPO / "docs" / "plugins.md").read_text(), f"{hook} missing from docs/plugins.md"
    assert f"def {hook}()" in FULL_PLUGIN, f"{hook} is not exercised by the test plugin"


def test_a_plugin_can_add_a_reader_a_reporter_and_a_rule(tmp_path, site):
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "run.curves").write_text("1.0 1.1\n0.8 0.9\n0.6 0.8\n")
    proc = run_cli(str(tmp_path / "exp"), "--isolated", "--format", "json", "--exit-zero", env={"PYTHONPATH": str(site)})
    out = json.loads(proc.stdout)
    assert out["runs"][0]["format"] == "team-curves" and out["runs"][0]["series"] == ["train/loss", "val/loss"]
    assert [f["code"] for f in out["findings"] if f["code"] == "HEL001"] == ["HEL001"]
    proc = run_cli(str(tmp_path / "exp"), "--isolated", "--format", "count", "--exit-zero", env={"PYTHONPATH": str(site)})
    assert proc.stdout.startswith("1 runs, ")
    proc = run_cli("compare", str(tmp_path / "exp"), str(tmp_path / "exp"), "--isolated", "--format", "json",
                   env={"PYTHONPATH": str(site)})
    assert "hello exp" in proc.stdout and "HEL101" in proc.stdout, proc.stdout + proc.stderr


def test_plugins_command_lists_versions_and_contributions(site):
    proc = run_cli("plugins", "--format", "json", env={"PYTHONPATH": str(site)})
    rows = {r["name"]: r for r in json.loads(proc.stdout)["plugins"]}
    assert rows["full"]["distribution"] == "full-plugin" and rows["full"]["version"] == "3.1"
    assert rows["full"]["rules"] == ["HEL001"] and rows["full"]["readers"] == ["team-curves"] and rows["full"]["reporters"] == ["count"]
    assert rows["full"]["compare_rules"] == ["HEL101"] and "CMP001" in rows["builtin-compare-rules"]["compare_rules"]
    assert "GEN001" in rows["builtin-rules"]["rules"]
    text = run_cli("plugins", env={"PYTHONPATH": str(site)}).stdout
    assert "full" in text and "full-plugin 3.1" in text


def test_plugin_api_version_mismatch_is_refused_by_name(tmp_path):
    site = tmp_path / "site"
    make_dist(site, "future-plugin", "9.0", {"future_plugin": FULL_PLUGIN.replace("CURVELINT_PLUGIN_API = 1", "CURVELINT_PLUGIN_API = 99")},
              {"future": "future_plugin"})
    write_csvlogger(tmp_path / "logs" / "a" / "training.log", OVERFIT)
    proc = run_cli(str(tmp_path / "logs"), "--isolated", "--format", "json", "--exit-zero", env={"PYTHONPATH": str(site)})
    out = json.loads(proc.stdout)
    assert any("future (future-plugin 9.0)" in e["path"] and "needs curvelint plugin API 99" in e["message"] for e in out["errors"])
    assert not any(f["code"] == "HEL001" for f in out["findings"])


def test_trace_shows_hook_calls(site):
    # from `site`: in the repo root, `rules` is also a directory and the bare command is refused
    proc = run_cli("rules", cwd=site, env={"PYTHONPATH": str(site), "CURVELINT_TRACE": "1"})
    assert "curvelint: trace: full (full-plugin 3.1) curvelint_rules() -> [HEL001]" in proc.stderr
    assert "curvelint_readers() -> [team-curves]" in proc.stderr
