"""The rule quoted in docs/plugins.md is code people copy: it must run as quoted, also on a run
whose validation accuracy is NaN throughout (it used to drop its guard and raise, an INT001)."""

from __future__ import annotations

import re
from types import SimpleNamespace

from conftest import REPO
from curvelint.config import Config, Selection
from curvelint.engine import Linter
from curvelint.hookspecs import hookimpl
from curvelint.plugins import PluginHost
from curvelint.testing import make_run

GUIDE = REPO / "docs" / "plugins.md"


def quoted_rule() -> type:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    [code] = [b for b in blocks if "class ValAccuracyTarget(Rule)" in b]
    namespace: dict = {"__name__": "quoted_from_plugins_md"}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["ValAccuracyTarget"]


def lint(run, target: float | None = 0.9):
    rule = quoted_rule()
    assert rule.declaration_problems() == []
    host = PluginHost()
    host.register(SimpleNamespace(curvelint_rules=hookimpl(lambda: [rule])), "guide")
    host.collect()
    config = Config(rules={"TEAM001": {"target": target}})
    return Linter.create(config, Selection(select=["TEAM001"]), host=host).check(run)


def test_quoted_rule_survives_an_all_nan_series():
    findings = lint(make_run({"train/loss": [1.0, 0.8, 0.7], "val/accuracy": [None, None, None]}))
    assert findings == [], [(f.code, f.message) for f in findings]


def test_quoted_rule_fires_as_documented():
    [f] = lint(make_run({"val/accuracy": [0.5, 0.7, 0.87, 0.86]}))
    assert f.code == "TEAM001" and f.message == "best val_accuracy 0.87 at epoch 2 is below the team target 0.9"
    assert lint(make_run({"val/accuracy": [0.5, 0.95]})) == []
    assert lint(make_run({"val/accuracy": [0.5, 0.7]}), target=None) == []
