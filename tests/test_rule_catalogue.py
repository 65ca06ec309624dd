"""The rule catalogue is a public contract (docs/rules.md): every code and slug exists, with its
default severity, docs sections, a remediation, options with help, and rule cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from curvelint.plugins import PluginHost
from curvelint.rule import DOC_SECTIONS, doc_sections

#: Built-in rules also say where they can be wrong; a team's rule may add the section too.
BUILTIN_SECTIONS = (*DOC_SECTIONS, "Known false positives")
from curvelint.testing import load_cases

CATALOGUE = {  # code: (slug, default severity), as docs/rules.md lists them
    "LOG001": ("unreadable-log", "error"), "LOG002": ("too-few-epochs", "info"), "LOG003": ("restarted-run", "info"),
    "LOG004": ("no-validation", "info"), "NUM001": ("nan-loss", "error"), "NUM002": ("divergence", "error"),
    "NUM003": ("loss-spike", "warning"), "OPT001": ("no-learning", "error"), "OPT002": ("slow-convergence", "warning"),
    "OPT003": ("oscillation", "warning"), "OPT004": ("not-converged", "info"), "OPT005": ("lr-not-decayed", "info"),
    "OPT006": ("noisy-curve", "info"), "GEN001": ("overfitting", "warning"), "GEN002": ("generalization-gap", "warning"),
    "GEN003": ("val-plateau", "info"), "GEN004": ("underfitting", "warning"), "GEN005": ("overconfidence", "info"),
    "DAT001": ("stuck-metric", "warning"), "DAT002": ("leakage-suspected", "warning"),
    "DAT003": ("val-better-than-train", "info"), "DAT004": ("distribution-shift", "warning"),
    "FIT001": ("wasted-epochs", "info"), "FIT002": ("premature-stop", "info"), "INT001": ("internal-error", "error"),
}
RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
CASES_DIR = Path(__file__).parent / "rule_cases"


@pytest.fixture(scope="module")
def host():
    return PluginHost.load()


def test_every_catalogue_rule_exists_with_its_slug_and_severity(host):
    got = {code: (r.slug, r.severity.value) for code, r in host.rules.items() if code in CATALOGUE}
    assert got == CATALOGUE


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_rule_is_documented_and_findable(host, code):
    rule = host.rules[code]
    sections = doc_sections(rule.docs)
    assert list(sections) == list(BUILTIN_SECTIONS), code
    assert all(sections[s] for s in BUILTIN_SECTIONS), code
    assert rule.remediation.strip() and rule.summary.strip()
    for name, option in rule.options.items():
        assert option.help.strip(), f"{code} option {name} has no help"
        assert f"`{name}`" in rule.docs or name == "min_epochs", f"{code}: docs never mention option {name}"
    module = RULES_DIR / (rule.slug.replace("-", "_") + ".py")
    assert module.is_file(), f"{code}: expected rules/{module.name}"
    assert f'code = "{code}"' in module.read_text()


@pytest.mark.parametrize("code", sorted(c for c in CATALOGUE if c != "INT001"))
def test_rule_has_cases(code):
    slug = CATALOGUE[code][0]
    path = CASES_DIR / (slug.replace("-", "_") + ".yaml")
    assert path.is_file(), f"no rule cases for {code}"
    cases = load_cases(path)
    assert sum(c.expect == "fire" for c in cases) >= 3 and sum(c.expect == "pass" for c in cases) >= 3


EXAMPLE_CASES = Path(__file__).resolve().parents[1] / "examples" / "team-plugin" / "tests" / "rule_cases"


def test_every_loaded_rule_has_docs_remediation_and_cases(host):
    """Built-in rules and the example team plugin's (when installed) meet the same bar."""
    assert {"GEN001"} <= set(host.rules)
    for code, rule in host.rules.items():
        owner = host.owner(code)
        if owner.dist not in ("curvelint", "curvelint-team-rules"):
            continue
        wanted = BUILTIN_SECTIONS if owner.dist == "curvelint" else DOC_SECTIONS
        assert list(doc_sections(rule.docs))[:len(wanted)] == list(wanted), code
        assert rule.remediation.strip(), code
        if code == "INT001":
            continue
        cases_dir = CASES_DIR if owner.dist == "curvelint" else EXAMPLE_CASES
        cases = load_cases(cases_dir / (rule.slug.replace("-", "_") + ".yaml"))
        assert sum(c.expect == "fire" for c in cases) >= 3 and sum(c.expect == "pass" for c in cases) >= 3, code
