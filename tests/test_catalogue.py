"""docs/rules.md, the README's accuracy block and curvelint/accuracy.json are generated: these
tests make regenerating them part of changing a rule, so what users read cannot drift from the
code or from what the rules score on the labeled corpus."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REALWORLD, REPO, realworld
from curvelint.catalogue import REGENERATE, accuracy_line, builtin_rules, describe, load_measured, render
from curvelint.cli import describe_rule, main
from curvelint.model import Severity
from curvelint.rule import Rule

DOCS = REPO / "docs" / "rules.md"
MEASURED = REPO / "curvelint" / "accuracy.json"


def test_docs_rules_md_is_generated_from_the_rules_and_accuracy_json():
    expected = render(builtin_rules(), json.loads(MEASURED.read_text()))
    assert DOCS.read_text(encoding="utf-8") == expected, (
        f"docs/rules.md is out of date: run `{REGENERATE}` "
        "(or `python3 benchmarks/accuracy.py --write` to re-measure as well)")


def test_docs_give_every_builtin_rule_its_entry_and_sections():
    from curvelint.catalogue import sections

    text = DOCS.read_text(encoding="utf-8")
    for rule in builtin_rules():
        entry = text.split(f"\n## {rule.code} {rule.slug}\n", 1)[1].split("\n## ", 1)[0]
        for title, _ in sections(rule):
            assert f"\n### {title}\n" in entry, (rule.code, title)
        for name in rule.options:
            assert f"`{name.replace('_', '-')}`" in entry, (rule.code, name)


def _accuracy_module():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import accuracy
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return accuracy


def test_readme_block_and_accuracy_json_match_the_corpus_now():
    realworld("LABELS.yaml")
    accuracy = _accuracy_module()
    result = accuracy.score_realworld(REALWORLD)
    stale = [str(p.relative_to(REPO)) for p in accuracy.stale(result, REALWORLD)]
    assert stale == [], f"{', '.join(stale)} out of date: run `python3 benchmarks/accuracy.py --write`"


def test_rule_command_shows_the_measured_figures(capsys):
    measured = json.loads(MEASURED.read_text())
    m = measured["rules"]["overfitting"]
    assert main(["rule", "overfitting"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("Accuracy: "))
    assert f"measured on {measured['corpus']} ({measured['labeled_runs']} labeled runs)" in line
    assert f"precision {m['precision']:.2f} over {m['firings']} firing" in line
    assert f"recall {m['recall']:.2f} of {m['labeled_runs']} labeled run" in line


class _PluginRule(Rule):
    code = "ACME001"
    slug = "val-plateau"  # a built-in's slug: figures belong to the built-in, not to a namesake
    severity = Severity.WARNING
    summary = "A team rule"
    remediation = "Fix it."
    docs = "## What it detects\nSomething.\n\n## Why it matters\nIt does.\n\n## Remediation\nFix it.\n\n## Example\n`x`"


class _PluginRuleOwnSlug(_PluginRule):
    code = "ACME002"
    slug = "acme-budget"


@pytest.mark.parametrize("rule", [_PluginRule, _PluginRuleOwnSlug])
def test_a_plugin_rule_shows_no_accuracy(rule):
    text = describe_rule(rule)
    assert "Accuracy" not in text and "measured" not in text
    assert "## What it detects" in text


def test_accuracy_line_wording():
    measured = {"corpus": "c", "labeled_runs": 10, "precision_not_scored": ["too-few-epochs"],
                "rules": {"a": {"firings": 1, "precision": 1.0, "recall": None, "labeled_runs": 0},
                          "b": {"firings": 0, "precision": None, "recall": 0.5, "labeled_runs": 2},
                          "too-few-epochs": {"firings": 0, "precision": None, "recall": 1.0, "labeled_runs": 1}}}
    assert accuracy_line("a", measured) == "measured on c (10 labeled runs): precision 1.00 over 1 firing, no labeled run calls for it"
    assert accuracy_line("b", measured) == "measured on c (10 labeled runs): never fired, recall 0.50 of 2 labeled runs"
    assert "precision not scored" in accuracy_line("too-few-epochs", measured)
    measured["rules"]["a"].update(firings=4, precision=0.5, warnings=2, warning_precision=1.0)
    assert accuracy_line("a", measured).startswith(
        "measured on c (10 labeled runs): precision 0.50 over 4 firings (1.00 over the 2 at warning/error severity)")
    assert accuracy_line("zzz", measured).startswith("not measured: no labeled run calls for it and it never fired")
    assert accuracy_line("zzz", None).startswith("not measured")


def test_shipped_figures_load_and_describe_uses_them():
    measured = load_measured()
    assert measured is not None and measured == json.loads(MEASURED.read_text())
    overfitting = next(r for r in builtin_rules() if r.slug == "overfitting")
    assert accuracy_line("overfitting", measured) in describe(overfitting, measured=measured, show_accuracy=True)


def test_linting_never_loads_the_catalogue():
    """The figures are read by `curvelint rule` only, not at lint start-up."""
    code = ("import sys; from curvelint.cli import main; main(['--isolated', '--exit-zero', sys.argv[1]]);"
            "assert 'curvelint.catalogue' not in sys.modules, 'catalogue imported while linting'")
    history = REPO / "fixtures"
    target = next(history.rglob("history.json"))
    proc = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
