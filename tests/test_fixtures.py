"""The reference runs in fixtures/ (made by `curvelint train`) against fixtures/manifest.yaml:
in each of the three formats, every must-fire rule fires, no must-not-fire rule does, healthy
runs get no warning or error, and the three formats give the same findings."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import REPO
from curvelint.engine import Linter
from curvelint.model import Severity

FIXTURES = REPO / "fixtures"
MANIFEST = yaml.safe_load((FIXTURES / "manifest.yaml").read_text())["runs"]
FORMATS = ("json", "csv", "tensorboard")


@pytest.fixture(scope="module")
def linter():
    return Linter.create()


def paths_for(run: str, fmt: str) -> list[str]:
    base = FIXTURES / run
    if fmt == "json":
        return [str(base / "history.json")]
    if fmt == "csv":
        return [str(base / "training.log")]
    return [str(p) for p in sorted(base.glob("*/events.out.tfevents.*"))]


_cache: dict[tuple[str, str], list] = {}


def findings(linter, run: str, fmt: str):
    key = (run, fmt)
    if key not in _cache:
        report = linter.lint_paths(paths_for(run, fmt))
        assert len(report.runs) == 1, [r.id for r in report.runs]
        assert not report.errors, report.errors
        _cache[key] = report.findings
    return _cache[key]


def test_manifest_lists_every_fixture_dir():
    dirs = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert dirs == set(MANIFEST)
    for run in MANIFEST:
        for fmt in FORMATS:
            assert paths_for(run, fmt), (run, fmt)


CHECKS = [(run, fmt) for run in MANIFEST for fmt in FORMATS]


@pytest.mark.parametrize("run, fmt", CHECKS, ids=[f"{r}-{f}" for r, f in CHECKS])
def test_manifest_expectations(linter, run, fmt):
    entry = MANIFEST[run]
    loaded = set(linter.host.rules)
    # a rule the manifest names that is not loaded is a broken expectation, not a skip
    unknown = [c for c in (*entry["must_fire"], *entry["must_not_fire"]) if c not in loaded]
    assert not unknown, f"{run}: the manifest names rules that are not loaded: {', '.join(unknown)}"
    got = {f.code for f in findings(linter, run, fmt)}
    assert set(entry["must_fire"]) <= got, f"{run} ({fmt}) must fire {entry['must_fire']}, got {sorted(got)}"
    assert not (set(entry["must_not_fire"]) & got), f"{run} ({fmt}) must not fire {entry['must_not_fire']}, got {sorted(got)}"
    if entry["healthy"]:
        loud = [(f.code, f.message) for f in findings(linter, run, fmt) if f.severity is not Severity.INFO]
        assert loud == [], f"healthy run {run} ({fmt}) got {loud}"


def same_finding(f) -> tuple:
    """What must agree across formats: only CSV has line numbers to quote."""
    return (f.code, f.severity.value, f.epochs, re.sub(r" at line \d+", "", f.message))


@pytest.mark.parametrize("run", list(MANIFEST))
def test_three_formats_give_the_same_findings(linter, run):
    by_format = {fmt: sorted(same_finding(f) for f in findings(linter, run, fmt)) for fmt in FORMATS}
    assert by_format["json"] == by_format["csv"] == by_format["tensorboard"]


def test_whole_fixture_tree_is_one_run_per_scenario(linter):
    report = linter.lint_paths([str(FIXTURES)])
    assert sorted(r.id for r in report.runs) == sorted(MANIFEST)
    for run in report.runs:
        assert run.format == "keras-csv+keras-json+tensorboard", (run.id, run.format)
    assert not report.errors


#: Rules a run trained with `model.fit` cannot trigger: Keras writes readable files (LOG001),
#: always logs `loss`, which the curve rules read (LOG005), and INT001 is a crashing rule.
NOT_FROM_A_TRAINER = {"LOG001", "LOG005", "INT001"}


def test_fixtures_cover_the_whole_catalogue():
    from curvelint.rules import BUILTIN_RULES

    fired = {code for entry in MANIFEST.values() for code in entry["must_fire"]}
    missing = sorted({r.code for r in BUILTIN_RULES} - NOT_FROM_A_TRAINER - fired)
    assert missing == [], f"no fixture must fire {', '.join(missing)}: add a scenario to curvelint/trainer/scenarios.py"
    assert {"LOG002", "LOG004"} <= fired  # a run too short to judge, a run without validation


def test_every_scenario_has_its_fixture():
    from curvelint.trainer.scenarios import SCENARIOS

    assert set(SCENARIOS) == set(MANIFEST)
    for name, scenario in SCENARIOS.items():
        assert MANIFEST[name]["must_fire"] == list(scenario.fires) and MANIFEST[name]["must_not_fire"] == list(scenario.quiet), name
