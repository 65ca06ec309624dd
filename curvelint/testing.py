"""Helpers for testing rules, built-in or from a team plugin.

    from curvelint.testing import make_run, check_rule
    run = make_run({"train/loss": [1, .5, .3], "val/loss": [1, .6, .9]})
    findings = check_rule("overfitting", run, min_epochs=3)

Rule cases as data files (YAML, one file per rule) are loaded with `load_cases` and checked with
`assert_case`; the built-in rules' tests use exactly these helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from curvelint.model import EPOCH, Curve, Finding, ReadProblem, Run, Severity


def make_run(series: Mapping[str, Any], *, id: str = "case", problems: Sequence[Mapping[str, Any]] = (),
             source: str | None = None, raw_names: Mapping[str, str] | None = None) -> Run:
    """A Run from plain lists. Keys are series keys (`train/loss`, `val/loss`, `train/loss@batch`);
    a value is a list of numbers (epochs 0, 1, ...) or `{"step": [...], "value": [...]}`.
    `None` in a list stands for NaN (handy in JSON). `raw_names` gives the name a series was
    logged under, by key (`{"val/bleu": "val_bleu"}`); by default its canonical name. Curves are
    immutable, so this is the way to set it."""
    curves = []
    for key, spec in series.items():
        base, _, gran = key.partition("@")
        split, _, name = base.partition("/")
        if isinstance(spec, Mapping):
            steps, values = list(spec["step"]), list(spec["value"])
            lines = spec.get("lines")
        else:
            values, steps, lines = list(spec), list(range(len(spec))), None
        values = [float("nan") if v is None else float(v) for v in values]
        curves.append(Curve(name=name, split=split, step=steps, value=values, granularity=gran or EPOCH,
                            lines=lines, source=source, raw_name=(raw_names or {}).get(key, name)))
    probs = [ReadProblem(path=p.get("path", source or "log"), message=p["message"], line=p.get("line"),
                         offset=p.get("offset"), severity=Severity(p.get("severity", "error"))) for p in problems]
    return Run(id=id, sources=[source] if source else [], format="test", curves=curves, problems=probs)


def check_rule(rule: str, run: Run, **options: Any) -> list[Finding]:
    """Run one rule (code or slug) on `run` with `options` overriding its defaults."""
    from curvelint.config import Config, Selection
    from curvelint.engine import Linter

    # INT001 stays selected so a crashing rule shows up instead of vanishing
    linter = Linter.create(Config(rules={rule: options} if options else {}), Selection(select=[rule, "INT001"]))
    return linter.check(run)


def check_all(run: Run, **config: Any) -> list[Finding]:
    """Run every loaded rule on `run` (config shaped like `[tool.curvelint]`)."""
    from curvelint.config import parse_config
    from curvelint.engine import Linter

    return Linter.create(parse_config(config)).check(run)


@dataclass
class RuleCase:
    """One case from a rule-case file: a run, the options, and what must (not) be found."""

    rule: str
    name: str
    expect: str  # "fire" or "pass"
    series: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    message_contains: list[str] = field(default_factory=list)
    epochs: list[int] | None = None
    severity: str | None = None
    source: str | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.name}"


def load_cases(path: str | Path) -> list[RuleCase]:
    """Cases of one YAML file: `rule: CODE` and a list `cases:` of name/expect/series/..."""
    import yaml

    data = yaml.safe_load(Path(path).read_text())
    rule = data["rule"]
    cases = []
    for raw in data["cases"]:
        unknown = set(raw) - set(RuleCase.__dataclass_fields__) - {"rule"}
        if unknown:
            raise ValueError(f"{path}: case {raw.get('name')!r} has unknown keys {sorted(unknown)}")
        if raw.get("expect") not in ("fire", "pass"):
            raise ValueError(f"{path}: case {raw.get('name')!r} must say expect: fire or pass")
        cases.append(RuleCase(rule=rule, **raw))
    return cases


def assert_case(case: RuleCase) -> list[Finding]:
    run = make_run(case.series, problems=case.problems, source=case.source)
    findings = check_rule(case.rule, run, **case.options)
    crashed = [f for f in findings if f.code == "INT001"]
    assert not crashed, f"{case.id}: rule raised: {crashed[0].message}"
    if case.expect == "pass":
        assert findings == [], f"{case.id}: expected no finding, got {[f.message for f in findings]}"
        return findings
    assert findings, f"{case.id}: expected a finding, got none"
    f = findings[0]
    for needle in case.message_contains:
        assert needle in f.message, f"{case.id}: {needle!r} not in {f.message!r}"
    if case.epochs is not None:
        assert list(f.epochs or []) == case.epochs, f"{case.id}: epochs {f.epochs} != {case.epochs}"
    if case.severity is not None:
        assert f.severity.value == case.severity, f"{case.id}: severity {f.severity.value} != {case.severity}"
    return findings
