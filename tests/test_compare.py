"""`curvelint compare`: synthetic pairs with known answers for every comparison rule, pairing,
the JSON and text output and exit codes, and a real test with the bundled trainer: seeds of one
config come out `same within noise`, a config with a lower learning rate comes out `worse`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import write_csvlogger
from curvelint.compare import BETTER, SAME, UNKNOWN, WORSE, Comparer, CompareRule, Side, epoch_seconds, pair_runs
from curvelint.compare_cli import main as compare_main
from curvelint.model import Curve, Run, Severity
from curvelint.plugins import PluginHost
from curvelint.rule import DOC_SECTIONS, doc_sections
from curvelint.testing import make_run

REPO = Path(__file__).resolve().parents[1]
COMPARE_RULES = {"CMP001": "best-worse", "CMP002": "slower-to-best", "CMP003": "new-pathology",
                 "CMP004": "pathology-fixed", "CMP005": "slower-epochs", "CMP006": "best-better"}


@pytest.fixture(scope="module")
def comparer() -> Comparer:
    return Comparer.create()


def curves(seed: int, *, floor: float = 0.30, tau: float = 5.0, epochs: int = 40, noise: float = 0.004,
           spread: float = 0.004, overfit: float = 0.0, seconds: float | None = None) -> dict:
    """A healthy exponential approach to `floor` (plus this seed's offset, s.d. `spread`) with
    epoch noise; `overfit` makes val_loss climb that much per epoch after epoch 15."""
    rng = np.random.default_rng(seed)
    t = np.arange(epochs, dtype=float)
    offset = rng.normal(0, spread)
    train = floor * 0.8 + offset + 1.0 * np.exp(-t / tau) + rng.normal(0, noise, epochs)
    val = floor + offset + 1.0 * np.exp(-t / tau) + rng.normal(0, noise, epochs) + overfit * np.clip(t - 15, 0, None)
    out = {"train/loss": train.tolist(), "val/loss": val.tolist()}
    if seconds is not None:
        out["_wall"] = np.cumsum(seconds + rng.normal(0, 0.02 * seconds, epochs)).tolist()
    return out


def run(seed: int, id: str = "cfg", **kw) -> Run:
    spec = curves(seed, **kw)
    wall = spec.pop("_wall", None)
    r = make_run(spec, id=id)
    if wall is None:
        return r
    timed = [Curve(c.name, c.split, c.step, c.value, wall_time=wall) for c in r.curves]
    return Run(id=id, sources=[], format="test", curves=timed)


def seeds(**kw) -> list[Run]:
    return [run(s, **kw) for s in (1, 2, 3)]


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


# -- the verdict on synthetic curves -----------------------------------------------------------------


def test_another_seed_of_the_same_config_is_same_within_noise(comparer):
    for head_seed in (4, 5, 6, 7):
        result = comparer.compare_runs(seeds(), run(head_seed))
        assert result.verdict == SAME, (head_seed, result.verdict_line(), codes(result))
        assert "x the seed spread of 3 base runs" in result.verdict_line()


def test_a_clearly_worse_best_is_worse_with_its_numbers(comparer):
    result = comparer.compare_runs(seeds(), run(4, floor=0.36))
    assert result.verdict == WORSE and "CMP001" in codes(result)
    f = next(f for f in result.findings if f.code == "CMP001")
    assert f.message.startswith("best val_loss ") and " vs " in f.message and "on base (median of 3): +" in f.message
    c = result.comparison
    assert f.evidence["worse_by"] > f.evidence["tolerance"] == pytest.approx(c.tolerance(comparer.settings["CMP001"].options))
    assert f.evidence["tolerance"] >= 3 * c.seed_spread
    assert result.verdict_line().startswith("cfg: worse (CMP001): best val_loss")


def test_a_clearly_better_best_is_better(comparer):
    result = comparer.compare_runs(seeds(), run(4, floor=0.24))
    assert result.verdict == BETTER and codes(result) == ["CMP006"]
    assert "-" in result.findings[0].message.split(": ", 1)[1]


def test_the_worse_threshold_follows_the_seed_spread(comparer):
    """The same +0.03 is worse against tight seeds and noise against scattered ones."""
    head = run(4, floor=0.33)
    assert comparer.compare_runs(seeds(spread=0.002), head).verdict == WORSE
    assert comparer.compare_runs(seeds(spread=0.03), head).verdict == SAME


def test_one_base_run_uses_the_curve_noise_and_says_so(comparer):
    result = comparer.compare_runs([run(1, spread=0)], run(2, spread=0))
    assert result.comparison.seed_spread is None and result.comparison.curve_noise > 0
    assert "curve noise (one base run: no seed spread)" in result.verdict_line()
    assert any("give several BASE runs" in n for n in result.comparison.notes)
    assert result.verdict == SAME


def test_slower_to_best(comparer):
    result = comparer.compare_runs(seeds(epochs=60), run(4, tau=15.0, epochs=60))
    assert "CMP002" in codes(result) and "CMP001" not in codes(result), result.verdict_line()
    f = next(f for f in result.findings if f.code == "CMP002")
    assert f.evidence["head_epochs_to_level"] > 1.25 * f.evidence["base_epochs_to_level"]
    assert "the slowest of 3 runs" in f.message and result.verdict == WORSE
    assert "CMP002" not in codes(comparer.compare_runs(seeds(epochs=60), run(4, tau=5.5, epochs=60)))


def test_new_pathology_and_pathology_fixed(comparer):
    healthy, overfit = seeds(), run(4, overfit=0.01)
    assert "GEN001" in {f.code for f in comparer.linter.check(overfit)}
    assert "GEN001" not in {f.code for r in healthy for f in comparer.linter.check(r)}
    new = comparer.compare_runs(healthy, overfit)
    assert "CMP003" in codes(new) and new.verdict == WORSE
    f = next(f for f in new.findings if f.code == "CMP003")
    assert f.evidence["lint_code"] == "GEN001" and "fires on HEAD but on none of 3 base runs" in f.message
    fixed = comparer.compare_runs(seeds(overfit=0.01), run(4))
    assert "CMP004" in codes(fixed) and "CMP003" not in codes(fixed)
    assert next(f for f in fixed.findings if f.code == "CMP004").evidence["lint_code"] == "GEN001"
    # on one seed of three only: neither new nor fixed
    mixed = [run(1, overfit=0.01), run(2), run(3)]
    assert not {"CMP003", "CMP004"} & set(codes(comparer.compare_runs(mixed, run(4, overfit=0.01))))
    assert not {"CMP003", "CMP004"} & set(codes(comparer.compare_runs(mixed, run(4))))


def test_slower_epochs_from_wall_times(comparer):
    base = seeds(seconds=10.0)
    assert epoch_seconds(base[0]) is not None and abs(float(np.median(epoch_seconds(base[0]))) - 10) < 0.5
    slow = comparer.compare_runs(base, run(4, seconds=14.0))
    f = next(f for f in slow.findings if f.code == "CMP005")
    assert "median epoch took 14" in f.message and "+4" in f.message and slow.verdict == WORSE
    assert "CMP005" not in codes(comparer.compare_runs(base, run(4, seconds=10.3)))
    assert "CMP005" not in codes(comparer.compare_runs(seeds(), run(4)))  # no wall times: nothing to say


def test_no_shared_monitor_is_unknown_not_same(comparer):
    head = make_run({"train/loss": curves(4)["train/loss"]}, id="cfg")
    result = comparer.compare_runs(seeds(), head)
    assert result.verdict == UNKNOWN and any("HEAD does not log val_loss" in n for n in result.comparison.notes)


def test_a_crashing_compare_rule_is_an_error_not_a_pass(comparer):
    class Boom(CompareRule):
        code, slug, severity, summary, remediation = "TST901", "boom", Severity.INFO, "x", "x"
        docs = "## What it detects\nx"

        def check(self, comparison, opts):
            raise KeyError("val/loss")

    comparer.host.compare_rules["TST901"] = Boom
    comparer.settings["TST901"] = type(comparer.settings["CMP001"])(Severity.INFO, Boom.default_options())
    comparer.enabled.append("TST901")
    try:
        result = comparer.compare_runs(seeds(), run(4))
    finally:
        comparer.enabled.remove("TST901")
        del comparer.host.compare_rules["TST901"], comparer.settings["TST901"]
    f = next(f for f in result.findings if f.code == "TST901")
    assert f.severity == Severity.ERROR and "raised KeyError" in f.message and result.verdict == WORSE


# -- rule declarations and the hook ----------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(COMPARE_RULES))
def test_compare_rule_is_declared_and_documented(comparer, code):
    rule = comparer.host.compare_rules[code]
    assert rule.slug == COMPARE_RULES[code] and issubclass(rule, CompareRule)
    assert comparer.host.owner(code).name == "builtin-compare-rules"
    assert list(doc_sections(rule.docs)) == [*DOC_SECTIONS, "Known false positives"]
    for name, option in rule.options.items():
        assert option.help.strip() and f"`{name}`" in rule.docs, (code, name)
    module = REPO / "compare_rules" / (rule.slug.replace("-", "_") + ".py")
    assert f'code = "{code}"' in module.read_text()


def test_compare_rules_share_the_code_namespace_with_lint_rules():
    import types

    from curvelint.hookspecs import hookimpl

    host = PluginHost()
    clash = type("Clash", (CompareRule,), {"code": "GEN001", "slug": "clash", "severity": Severity.INFO, "summary": "x",
                                           "remediation": "x", "docs": "## What it detects\nx"})
    team = type("Team", (CompareRule,), {"code": "ACME101", "slug": "team-compare", "severity": Severity.INFO,
                                         "summary": "x", "remediation": "x", "docs": "## What it detects\nx"})
    from curvelint import rules as builtin

    host.register(builtin, "builtin-rules", "curvelint", "0")
    plugin = types.SimpleNamespace(curvelint_compare_rules=hookimpl(lambda: [clash, team]))
    host.register(plugin, "team", "team-dist", "1.0")
    host.collect()
    assert "ACME101" in host.compare_rules and host.plugins["team"].compare_rules == ["ACME101"]
    assert any("code 'GEN001' is already registered by plugin builtin-rules" in e.message for e in host.errors)
    assert "GEN001" in host.rules and "GEN001" not in host.compare_rules


def test_an_option_changes_the_verdict(comparer):
    strict = Comparer.create(options={"best-worse": {"k_seed": 0.0, "k_curve": 0.0, "min_relative": 0.0}},
                             select=["CMP001"])
    assert strict.settings["CMP001"].options.k_seed == 0.0 and strict.enabled == ["CMP001"]
    head = run(4, floor=0.315)
    assert comparer.compare_runs(seeds(), head).verdict == SAME
    assert strict.compare_runs(seeds(), head).verdict == WORSE


# -- pairing -----------------------------------------------------------------------------------------


def side(path: str, *ids: str) -> Side:
    return Side(path, [make_run({"val/loss": [1, 0.5, 0.4]}, id=i) for i in ids], {})


def test_pairing_by_id_seeds_explicit_and_single_runs():
    bases = [side("s0", "a", "b"), side("s1", "a")]
    pairs, lone_base, lone_head = pair_runs(bases, side("head", "a", "c"))
    assert [(p[0], len(p[1]), p[2].id) for p in pairs] == [("a", 2, "a")]
    assert lone_base == ["b"] and lone_head == ["c"]
    pairs, _, lone_head = pair_runs(bases, side("head", "a", "c"), [("b", "c")])
    assert [(p[0], len(p[1])) for p in pairs] == [("b=c", 1), ("a", 2)] and lone_head == []
    pairs, _, _ = pair_runs([side("main", "main")], side("pr", "pr"))
    assert [p[0] for p in pairs] == ["main=pr"]
    with pytest.raises(ValueError, match="no HEAD run 'x'"):
        pair_runs(bases, side("head", "a"), [("a", "x")])


# -- the command line -------------------------------------------------------------------------------


def write(path: Path, r: Run) -> Path:
    history = {("val_" if k.startswith("val/") else "") + k.split("/")[1]: r.get(k).value.tolist() for k in r.series}
    return write_csvlogger(path / r.id / "training.log", history)


@pytest.fixture
def trees(tmp_path):
    for s in (1, 2, 3):
        write(tmp_path / f"seed{s}", run(s))
    write(tmp_path / "same", run(4))
    write(tmp_path / "worse", run(4, floor=0.36))
    write(tmp_path / "better", run(4, floor=0.24))
    return tmp_path


def test_cli_text_json_and_exit_codes(trees, capsys):
    base = [str(trees / f"seed{s}") for s in (1, 2, 3)]
    assert compare_main([*base, "--head", str(trees / "same"), "--isolated"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cfg: same within noise: best val_loss ") and out.endswith("1 pair: 1 same within noise\n")
    assert compare_main([*base, str(trees / "worse"), "--isolated", "--format", "json", "--base-name", "main"]) == 1
    doc = json.loads(capsys.readouterr().out)
    pair = doc["pairs"][0]
    assert doc["version"] == 1 and doc["summary"] == {"pairs": 1, "worse": 1, "same": 0, "better": 0, "unknown": 0}
    assert pair["verdict"] == "worse" and pair["monitor"] == "val/loss" and len(pair["base"]) == 3
    assert pair["best"]["head_best"] > pair["best"]["base_best"] and pair["best"]["seed_spread"] > 0
    assert pair["findings"][0]["code"] == "CMP001" and pair["findings"][0]["effect"] == "worse"
    assert "on main (median of 3)" in pair["summary"]
    assert compare_main([*base, str(trees / "worse"), "--isolated", "--fail-on", "never"]) == 0
    assert compare_main([*base, str(trees / "better"), "--isolated"]) == 0
    assert compare_main([*base, str(trees / "better"), "--isolated", "--fail-on", "different"]) == 1
    assert "cfg: better (CMP006): " in capsys.readouterr().out
    assert compare_main([str(trees / "seed1"), str(trees / "nowhere"), "--isolated"]) == 2
    assert compare_main([*base, str(trees / "worse"), "--isolated", "--option", "CMP001.nope=1"]) == 2
    assert "unknown option 'nope'" in capsys.readouterr().err


def test_an_earlier_json_report_with_curves_is_a_base(trees, capsys):
    from curvelint.engine import lint
    from curvelint.report_curves import report_dict_with_curves

    report = trees / "main.json"
    report.write_text(json.dumps(report_dict_with_curves(lint(str(trees / "seed1"), isolated=True)), allow_nan=False))
    assert compare_main([str(report), str(trees / "worse"), "--isolated"]) == 1
    assert "cfg: worse (CMP001): best val_loss" in capsys.readouterr().out
    from curvelint.reporters.json import report_dict

    report.write_text(json.dumps(report_dict(lint(str(trees / "seed1"), isolated=True))))
    assert compare_main([str(report), str(trees / "worse"), "--isolated"]) == 2
    assert "report without curves" in capsys.readouterr().out


def test_check_with_curves_writes_a_report_compare_takes_as_base(trees, tmp_path):
    from conftest import run_cli

    out = tmp_path / "main.json"
    proc = run_cli("check", str(trees / "seed1"), "--isolated", "--format", "json", "--with-curves", "-o", str(out),
                   "--exit-zero")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["runs"] and all(r["curves"] for r in doc["runs"])
    plain = json.loads(run_cli("check", str(trees / "seed1"), "--isolated", "--format", "json", "--exit-zero").stdout)
    assert "curves" not in plain["runs"][0]  # opt-in: the public contract is unchanged without the flag
    proc = run_cli("compare", str(out), str(trees / "worse"), "--isolated")
    assert proc.returncode == 1 and "worse (CMP001)" in proc.stdout, proc.stdout + proc.stderr


# -- the bundled trainer: seeds vs seeds, and a worse config ------------------------------------------


def _config(lr: float):
    """4-class blobs, softmax MLP 32, Adam(lr): the data fixed, so a seed changes only the
    initialization and the batch order, as a seed of one config does."""
    from curvelint.trainer import data as D
    from curvelint.trainer import scenarios as S

    def build(keras, rng, epochs):
        data = D.blobs(np.random.default_rng(7), classes=4, spread=1.4)
        model = S.compiled(S.mlp(keras, 8, (32,), out=4, out_activation="softmax"), S.adam(keras, lr),
                           "sparse_categorical_crossentropy", ["accuracy"])
        return S.Plan(model, data, {"batch_size": 32}, params={"optimizer": f"Adam({lr:g})"})

    return S.Scenario("blobs", f"4-class blobs, MLP 32, Adam({lr:g})", build, epochs=20)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    pytest.importorskip("tensorflow")
    from curvelint.trainer.train import train

    out = tmp_path_factory.mktemp("compare-trained")
    good, worse = _config(2e-3), _config(3e-4)
    for s in range(4):
        train(good, out / f"seed{s}", seed=s, formats=("tensorboard",))
    train(worse, out / "low-lr", seed=0, formats=("tensorboard",))
    return out


def test_trained_seeds_are_same_within_noise_and_a_lower_learning_rate_is_worse(trained, capsys):
    seeds_ = [str(trained / f"seed{s}") for s in range(4)]
    summaries = []
    for head in range(4):  # every seed against the other three
        base = [p for i, p in enumerate(seeds_) if i != head]
        assert compare_main([*base, "--head", seeds_[head], "--isolated", "--format", "json"]) == 0, head
        pair = json.loads(capsys.readouterr().out)["pairs"][0]
        assert pair["verdict"] == "same", pair["summary"]
        assert pair["best"]["seed_spread"] > 0
        summaries.append(pair["summary"])
    assert compare_main([*seeds_[:3], "--head", str(trained / "low-lr"), "--isolated", "--format", "json"]) == 1
    pair = json.loads(capsys.readouterr().out)["pairs"][0]
    assert pair["verdict"] == "worse", pair["summary"]
    worse = next(f for f in pair["findings"] if f["code"] == "CMP001")
    assert worse["evidence"]["worse_by"] > 3 * worse["evidence"]["seed_spread"]
    with capsys.disabled():  # the numbers, for `pytest -s`
        print("", *summaries, pair["summary"], sep="\n")


def test_trained_comparison_in_markdown_html_and_sarif(trained):
    """The low-learning-rate config against three seeds, as a reviewer gets it: the markdown row
    with both sparklines on one scale (HEAD's val_loss ends higher), the HTML overlay of the
    three seeds and HEAD, and the SARIF result on HEAD's validation event file."""
    from html.parser import HTMLParser

    from curvelint.compare_formats import render
    from curvelint.reporters.sparkline import BARS

    report = Comparer.create(base_label="main").compare_paths([trained / f"seed{s}" for s in range(3)], trained / "low-lr")
    (pair,) = report.pairs
    text = render(report, "markdown")
    assert text.startswith("🔴 **curvelint compare: 1 worse of 1 pair vs main**\n")
    row = next(line for line in text.splitlines() if line.startswith(f"| {pair.comparison.id} |"))
    base, head = (cell.removeprefix("<code>").removesuffix("</code>") for cell in row.split(" | ")[4:6])
    assert len(base) == len(head) == 12 and BARS.index(head[-1]) > BARS.index(base[-1]), row
    assert "<code>CMP001</code>" in row

    class Lines(HTMLParser):
        def __init__(self):
            super().__init__()
            self.classes: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "polyline":
                self.classes.append(dict(attrs)["class"])

    parser = Lines()
    parser.feed(render(report, "html"))
    assert parser.classes == ["s-base"] * 3 + ["s-head"] + ["s-base"] * 3 + ["s-head"]  # val_loss, then loss
    doc = json.loads(render(report, "sarif", rules=Comparer.create().host.compare_rules))
    result = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "CMP001")
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert "low-lr" in uri and "tfevents" in uri and "/validation/" in uri


def test_docs_compare_md_is_generated_from_the_rules():
    from curvelint.compare_docs import REGENERATE, builtin_compare_rules, render

    assert [r.code for r in builtin_compare_rules()] == ["CMP001", "CMP002", "CMP003", "CMP004", "CMP005", "CMP006"]
    text = (REPO / "docs" / "compare.md").read_text(encoding="utf-8")
    assert text == render(builtin_compare_rules()), f"docs/compare.md is out of date: run `{REGENERATE}`"
    for code, slug in COMPARE_RULES.items():
        assert f"\n### {code} {slug}\n" in text


def test_config_rules_tables_set_compare_options_and_leave_the_linter_alone():
    from curvelint.config import parse_config

    c = Comparer.create(parse_config({"rules": {"best-worse": {"k-seed": 5}, "overfitting": {"min-rise": 0.2}}}))
    assert c.settings["CMP001"].options.k_seed == 5.0
    assert c.linter.settings["GEN001"].options.min_rise == 0.2 and "CMP001" not in c.linter.settings


def test_no_comparison_rule_at_all_is_refused_not_a_pass(monkeypatch):
    from curvelint.config import ConfigError

    monkeypatch.setenv("CURVELINT_DISABLE_PLUGINS", "builtin-compare-rules")
    with pytest.raises(ConfigError, match="no comparison rule could be loaded"):
        Comparer.create()
