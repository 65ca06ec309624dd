"""Every rule case under tests/rule_cases/ (one YAML file per rule, named after its slug)."""

from __future__ import annotations

from pathlib import Path

import pytest

from curvelint.testing import assert_case, load_cases

CASES_DIR = Path(__file__).parent / "rule_cases"
CASES = [case for path in sorted(CASES_DIR.glob("*.yaml")) for case in load_cases(path)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case):
    assert_case(case)


def test_case_files_are_named_after_their_rule_and_cover_both_outcomes():
    from curvelint.plugins import PluginHost

    host = PluginHost.load()
    for path in sorted(CASES_DIR.glob("*.yaml")):
        cases = load_cases(path)
        rule = host.rule_by_name(cases[0].rule)
        assert rule is not None, path
        assert path.stem == rule.slug.replace("-", "_"), path
        assert sum(c.expect == "fire" for c in cases) >= 3, path
        assert sum(c.expect == "pass" for c in cases) >= 3, path
