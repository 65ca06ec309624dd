"""Tests of the example team plugin, written as a team would: rule cases as data, the
`curvelint_check` fixture, and the config path a user takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from curvelint.testing import assert_case, check_all, load_cases, make_run

CASES = [c for p in sorted((Path(__file__).parent / "rule_cases").glob("*.yaml")) for c in load_cases(p)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case):
    assert_case(case)


def test_plugin_is_loaded_through_its_entry_point():
    from curvelint.plugins import PluginHost

    host = PluginHost.load()
    assert host.owner("TEAM001").name == "team"
    assert host.owner("TEAM001").dist == "curvelint-team-rules"
    assert not [e for e in host.errors if "team" in e.path]


def test_fixture(curvelint_check):
    assert [f.code for f in curvelint_check("val-accuracy-target", {"val/accuracy": [0.5, 0.6]}, target=0.8)] == ["TEAM001"]
    assert curvelint_check("val-accuracy-target", {"val/accuracy": [0.5, 0.6]}) == []


def test_options_and_severity_come_from_config_like_built_ins():
    run = make_run({"train/loss": [1, 0.9, 0.8, 0.7, 0.6], "val/accuracy": [0.5, 0.6, 0.7, 0.75, 0.8]})
    findings = check_all(run, select=["TEAM"], rules={"epoch-budget": {"max-epochs": 3, "severity": "error"},
                                                      "TEAM001": {"target": 0.9}})
    by_code = {f.code: f for f in findings}
    assert set(by_code) == {"TEAM001", "TEAM002"}
    assert by_code["TEAM002"].severity.value == "error"
    assert by_code["TEAM001"].severity.value == "warning"


@pytest.mark.parametrize("selector", ["TEAM002", "TEAM", "T", "epoch-budget"])
def test_selectable_by_code_prefix_and_slug(selector):
    run = make_run({"train/loss": [1, 0.9, 0.8, 0.7, 0.6]})
    codes = {f.code for f in check_all(run, select=[selector], rules={"epoch-budget": {"max-epochs": 3}})}
    assert "TEAM002" in codes
    assert not {f.code for f in check_all(run, ignore=[selector], rules={"epoch-budget": {"max-epochs": 3}})} & {"TEAM002"}


def test_bad_option_is_a_config_error():
    from curvelint import ConfigError

    with pytest.raises(ConfigError, match="expected float"):
        check_all(make_run({"val/accuracy": [0.5]}), rules={"TEAM001": {"target": "high"}})
