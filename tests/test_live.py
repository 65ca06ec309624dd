"""curvelint.live: the framework-agnostic core of linting during training (no TensorFlow needed).

The bundled fixtures' history.json files are replayed epoch by epoch, as a callback sees them."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import REPO, write_history_json
from curvelint.config import ConfigError
from curvelint.engine import Linter
from curvelint.live import LiveHistory, LiveLinter, describe, finding_key, should_stop
from curvelint.model import IN_PROGRESS, Finding, Severity

FIXTURES = REPO / "fixtures"
#: Rules whose verdict is about how a run ended, silent while `meta["in_progress"]` is set: the
#: fixture whose final lint reports it, and one on a part of which a finished-run lint reports it.
END_ONLY = {"OPT004": ("not_converged", "healthy_regression"), "FIT001": ("wasted_epochs", "overfitting"),
            "FIT002": ("premature_stop", "oscillation"), "LOG002": ("too_short", "overfitting"),
            "LOG004": ("no_validation", "no_validation"), "GEN003": ("val_plateau", "overfitting")}


def history(name: str) -> dict[str, list[float]]:
    return json.loads((FIXTURES / name / "history.json").read_text())


def replay(live: LiveLinter, hist: dict[str, list[float]]):
    """(LiveHistory, [(epoch, new findings)]) after feeding `hist` one epoch at a time."""
    h = LiveHistory()
    out = []
    for epoch in range(len(hist["loss"])):
        h.add(epoch, {k: v[epoch] for k, v in hist.items()})
        out.append((epoch, live.update(h)))
    return h, out


def live(**kw) -> LiveLinter:
    kw.setdefault("isolated", True)
    kw.setdefault("budget", None)
    return LiveLinter(**kw)


# -- the history ------------------------------------------------------------------------------------


def test_history_keeps_each_series_steps_and_nan_and_skips_what_is_not_a_number():
    import numpy as np

    h = LiveHistory()
    h.add(0, {"loss": 1.0, "note": "warmup", "flag": True, "vec": [1, 2]})
    h.add(1, {"loss": float("nan"), "val_loss": np.float32(0.5), "size": np.int64(3)})
    assert h.values["loss"][0] == 1.0 and math.isnan(h.values["loss"][1])
    assert h.steps == {"loss": [0, 1], "val_loss": [1], "size": [1]}
    assert len(h) == 2 and "note" not in h.values and "flag" not in h.values and "vec" not in h.values


def test_history_from_a_dict_of_lists_with_steps_per_series():
    h = LiveHistory.of({"loss": [3, 2, 1, 0.5], "val_loss": [2.5, 1.2]}, steps={"loss": [0, 1, 2, 3], "val_loss": [1, 3]})
    assert h.steps["val_loss"] == [1, 3]
    run = live().runs(h)[0]
    assert run.meta[IN_PROGRESS] is True and run.get("val/loss").step.tolist() == [1, 3]
    with pytest.raises(ValueError, match="val_loss: 2 values but 4 steps"):
        LiveHistory.of({"loss": [3, 2, 1, 0.5], "val_loss": [2.5, 1.2]}, steps=[0, 1, 2, 3])


def test_step_axis_with_epochs_reads_like_a_hugging_face_log():
    h = LiveHistory()
    for i, step in enumerate(range(50, 1050, 50)):
        h.add(step, {"loss": 2.0 / (i + 1), "grad_norm": 1.0}, epoch=step / 400)
    run = live(axis="step", framework="hf", run_id="out").runs(h)[0]
    assert run.axis == "step" and run.format == "hf-live" and run.meta["framework"] == "hf"
    assert run.get("train/loss").epoch[0] == pytest.approx(0.125)


def test_sub_runs_are_split_and_stay_in_progress():
    n = 12
    hist = {"rnn_loss": [1 / (i + 1) for i in range(n)], "lstm_loss": [2 / (i + 1) for i in range(n)],
            "rnn_val_loss": [1.1 / (i + 1) for i in range(n)], "lstm_val_loss": [2.1 / (i + 1) for i in range(n)]}
    runs = live(run_id="models").runs(hist)
    assert sorted(r.id for r in runs) == ["models::lstm", "models::rnn"]
    assert all(r.meta[IN_PROGRESS] for r in runs)


# -- rules that wait for the end ----------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(END_ONLY))
def test_end_of_run_verdicts_wait_for_the_end(code):
    """Replayed epoch by epoch the rule never reports; the final lint does; and on a part of a run
    linted as if it had ended there the rule fires, so the in-progress mark is what keeps it quiet."""
    final_fixture, partial_fixture = END_ONLY[code]
    linter = live()
    h, seen = replay(linter, history(final_fixture))
    assert code not in {f.code for _, new in seen for f in new}
    assert code in {f.code for f in linter.finish(h).findings}
    hist, plain = history(partial_fixture), Linter.create(linter.config)
    linter = live()
    _, seen = replay(linter, hist)
    assert code not in {f.code for _, new in seen for f in new}
    ended_early = [k for k in range(2, len(hist["loss"]))
                   if any(f.code == code for run in linter.runs(LiveHistory.of({n: v[:k] for n, v in hist.items()}),
                                                                 in_progress=False) for f in plain.check(run))]
    assert ended_early


def test_nothing_checked_waits_for_the_end():
    hist = {"cls_loss": [1.0, 0.8, 0.7, 0.6, 0.55, 0.5], "box_loss": [2.0, 1.5, 1.2, 1.1, 1.0, 0.95]}
    linter = live()
    h = LiveHistory.of(hist)
    assert not any(f.code == "LOG005" for f in linter.update(h))
    assert [f.code for f in linter.finish(h).findings if f.code == "LOG005"] == ["LOG005"]


def test_rules_documented_as_waiting_are_exactly_the_guarded_ones():
    from curvelint.plugins import PluginHost

    host = PluginHost.load()
    waiting = {code for code, rule in host.rules.items() if 'meta["in_progress"]' in rule.docs}
    assert waiting == set(END_ONLY) | {"LOG005"}


# -- new findings, once --------------------------------------------------------------------------


def test_a_finding_whose_numbers_change_is_reported_once():
    linter = live()
    _, seen = replay(linter, history("overfitting"))
    gen001 = [(epoch, f) for epoch, new in seen for f in new if f.code == "GEN001"]
    assert len(gen001) == 1
    epoch, f = gen001[0]
    assert f.severity is Severity.WARNING and "val_loss rose" in f.message
    # it persists: the full check on the last history still finds it, with other numbers
    last = [g for g in linter.check(LiveHistory.of(history("overfitting"))) if g.code == "GEN001"]
    assert last and last[0].message != f.message


def test_reported_again_only_when_its_severity_rises():
    linter = live()

    def finding(severity, message="m"):
        return Finding(run="r", code="GEN001", rule="overfitting", severity=severity, message=message,
                       series=("val/loss", "train/loss"), epochs=(3, 9))

    assert linter.new([finding(Severity.INFO)])
    assert not linter.new([finding(Severity.INFO, "other numbers")])
    assert [f.severity for f in linter.new([finding(Severity.WARNING)])] == [Severity.WARNING]
    assert not linter.new([finding(Severity.INFO)])
    other_series = Finding(run="r", code="GEN001", rule="overfitting", severity=Severity.INFO, message="m",
                           series=("val/accuracy", "train/accuracy"))
    assert linter.new([other_series])
    linter.reset()
    assert linter.new([finding(Severity.INFO)])


def test_internal_errors_are_told_apart_by_the_rule_that_raised():
    def crash(rule):
        return Finding(run="r", code="INT001", rule="internal-error", severity=Severity.ERROR, message="x",
                       evidence={"rule": rule})

    assert finding_key(crash("GEN001")) != finding_key(crash("OPT001"))


# -- stopping -----------------------------------------------------------------------------------------


def test_nan_is_found_at_the_first_nan_epoch_and_stops():
    hist = history("nan_loss")
    first_nan = next(i for i, v in enumerate(hist["loss"]) if not math.isfinite(v))
    _, seen = replay(live(), hist)
    stops = [(epoch, should_stop(new)) for epoch, new in seen if should_stop(new)]
    assert stops[0][0] == first_nan and stops[0][1].code == "NUM001"
    assert f"epoch {first_nan}" in stops[0][1].message
    assert describe(stops[0][1]).startswith("error NUM001 nan-loss: ")


def test_divergence_and_no_learning_stop_at_error():
    for name, code in (("divergence", "NUM002"), ("no_learning", "OPT001")):
        _, seen = replay(live(), history(name))
        stop = next(s for _, new in seen if (s := should_stop(new)))
        assert stop.code == code


def test_should_stop_thresholds():
    def f(code, severity, first=0):
        return Finding(run="r", code=code, rule=code.lower(), severity=severity, message="", epochs=(first, first))

    warning, error, late_error = f("GEN001", Severity.WARNING), f("NUM002", Severity.ERROR, 5), f("OPT001", Severity.ERROR, 9)
    assert should_stop([warning]) is None
    assert should_stop([warning], "warning") is warning
    assert should_stop([warning, late_error, error]) is error  # the worst, then the earliest
    assert should_stop([error], "never") is None
    assert should_stop([f("INT001", Severity.ERROR)], "info") is None  # curvelint's bug, not the run's
    with pytest.raises(ValueError, match="stop_on"):
        should_stop([], "fatal")


def test_healthy_runs_get_no_warning_or_error_while_training():
    for name in ("healthy_binary", "healthy_regression", "healthy_multiclass"):
        _, seen = replay(live(), history(name))
        assert not [f for _, new in seen for f in new if f.severity.rank >= Severity.WARNING.rank], name


# -- configuration ------------------------------------------------------------------------------------


def test_the_config_is_found_from_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.curvelint]\nignore = ["GEN001"]\n[tool.curvelint.rules.nan-loss]\nseverity = "warning"\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    linter = LiveLinter(budget=None)
    assert linter.config.path == str(tmp_path / "pyproject.toml")
    _, seen = replay(linter, history("overfitting"))
    assert "GEN001" not in {f.code for _, new in seen for f in new}
    _, seen = replay(LiveLinter(budget=None), history("nan_loss"))
    nan = [f for _, new in seen for f in new if f.code == "NUM001"]
    assert nan[0].severity is Severity.WARNING and should_stop(nan) is None
    assert "GEN001" in {f.code for _, new in replay(live(), history("overfitting"))[1] for f in new}  # isolated


def test_a_dict_config_and_a_selection():
    linter = live(config={"select": ["NUM"]}, extend_select=["OPT001"])
    assert set(linter.linter.enabled) == {"NUM001", "NUM002", "NUM003", "OPT001"}
    with pytest.raises(ConfigError, match="unknown key 'selct'"):
        live(config={"selct": ["NUM"]})


# -- the final lint is the command line's --------------------------------------------------------------


@pytest.mark.parametrize("name", ["overfitting", "nan_loss", "not_converged", "healthy_binary"])
def test_finish_gives_what_curvelint_check_gives_for_the_same_numbers(name, tmp_path):
    hist = history(name)
    linter = live()
    h, _ = replay(linter, hist)
    final = linter.finish(h)
    write_history_json(tmp_path / name / "history.json", hist)
    cli = Linter.create().lint_paths([str(tmp_path / name)])
    assert [(f.code, f.severity, f.message) for f in final.findings] == \
        [(f.code, f.severity, f.message) for f in cli.findings]
    assert not final.runs[0].meta.get(IN_PROGRESS)


def test_render_in_the_command_line_formats():
    linter = live()
    h, _ = replay(linter, history("overfitting"))
    report = linter.finish(h)
    doc = json.loads(linter.render(report, "json"))
    assert {f["code"] for f in doc["findings"]} >= {"GEN001"}
    assert "<html" in linter.render(report, "html").lower()
    assert "GEN001" in linter.render(report)  # text by default
    with pytest.raises(ConfigError, match="unknown output format 'htm'; did you mean 'html'"):
        linter.render(report, "htm")


def test_min_severity_of_the_config_applies_to_rendered_reports():
    linter = live(config={"min-severity": "warning"})
    h, _ = replay(linter, history("overfitting"))
    doc = json.loads(linter.render(linter.finish(h), "json"))
    assert doc["findings"] and all(f["severity"] != "info" for f in doc["findings"])


# -- the budget ------------------------------------------------------------------------------------------


def test_with_a_tiny_budget_only_the_first_two_updates_and_a_new_nan_are_linted():
    """The first lint warms up and the second measures what a lint costs; then only a NaN."""
    hist = history("nan_loss")
    linter = LiveLinter(isolated=True, budget=1e-9)
    _, seen = replay(linter, hist)
    first_nan = next(i for i, v in enumerate(hist["loss"]) if not math.isfinite(v))
    assert [i for i, linted in enumerate(linter.linted) if linted] == [0, 1, first_nan]  # NaN cannot wait
    assert [epoch for epoch, new in seen if should_stop(new)] == [first_nan]
    assert len(linter.costs) == len(hist["loss"])


def test_the_budget_bounds_the_time_spent_linting(monkeypatch):
    """With a fake clock: 100 ms between updates and a 1% budget allow 1 ms of linting per update
    on average, so a lint that takes 3 ms runs on about every third update."""
    import curvelint.live as live_module

    now = [0.0]

    def clock():
        return now[0]

    monkeypatch.setattr(live_module.time, "perf_counter", clock)
    linter = LiveLinter(isolated=True, budget=0.01)
    real_check = linter.check

    def slow_check(history):
        now[0] += 0.003
        return real_check(history)

    linter.check = slow_check
    hist = history("overfitting")
    h = LiveHistory()
    for epoch in range(len(hist["loss"])):
        now[0] += 0.100
        h.add(epoch, {k: v[epoch] for k, v in hist.items()})
        linter.update(h)
    linted = sum(linter.linted)
    assert 0.25 * len(hist["loss"]) <= linted <= 0.4 * len(hist["loss"])
    assert sum(linter.costs) <= 0.01 * 0.1 * len(hist["loss"]) + 0.003  # 1% of the time, give or take one lint


def test_one_slow_lint_does_not_hold_the_next_ones_back(monkeypatch):
    """The first lint (cold caches) or a garbage collection may cost 100x the others; the next
    lints are still paced by what a lint usually costs (3 ms per 1 ms saved up an update: every
    3rd or 4th, 7th after the pause), not by that one."""
    import curvelint.live as live_module

    now = [0.0]
    monkeypatch.setattr(live_module.time, "perf_counter", lambda: now[0])
    linter = LiveLinter(isolated=True, budget=0.01)
    real_check = linter.check
    costs = iter([0.300, 0.003, 0.003, 0.300] + [0.003] * 1000)  # the first, and a GC pause

    def check(history):
        now[0] += next(costs)
        return real_check(history)

    linter.check = check
    hist = history("overfitting")
    h = LiveHistory()
    for epoch in range(len(hist["loss"])):
        now[0] += 0.100
        h.add(epoch, {k: v[epoch] for k, v in hist.items()})
        linter.update(h)
    gaps = np.diff(np.flatnonzero(linter.linted))
    assert linter.linted[:2] == [True, True] and gaps.max() <= 7 and np.median(gaps) <= 4, linter.linted


def test_a_generous_budget_or_none_lints_every_update():
    for budget in (1e9, None):
        linter = LiveLinter(isolated=True, budget=budget)
        replay(linter, history("overfitting"))
        assert all(linter.linted)
    with pytest.raises(ValueError, match="budget"):
        LiveLinter(isolated=True, budget=0)
