"""Attempts in one log (issue 16, point 4): a resume replaces the epochs it repeats, a continuation
of the same model is one renumbered history, a fresh training is linted as its own run `<id>#k`;
LOG003 says which.

The real files' numbers below were read by hand from the files (line 1 is the header)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import realworld, scalar_event, write_csvlogger, write_events
from curvelint.attempts import CONTINUATION, FRESH, RESUME, plan, split_attempts
from curvelint.engine import Linter
from curvelint.model import Curve, Run
from curvelint.testing import make_run


def lint(path):
    return Linter.create().lint_paths([str(path)])


def runs_of(report, fragment):
    return {r.id: r for r in report.runs if fragment in r.id}


def finding(report, run_id, code):
    hits = [f for f in report.findings if f.run == run_id and f.code == code]
    assert hits, f"{code} expected on {run_id}: {[(f.run, f.code) for f in report.findings]}"
    return hits[0]


# -- real logs -----------------------------------------------------------------------------------


def test_appended_csvlogger_whose_loss_carries_on_is_one_renumbered_history():
    # Adnan-0786: 30 epochs (lines 2-31, loss 0.102 -> 0.0516), then fit() again, epochs 0-14
    # (lines 32-46) starting at loss 0.0539: one training continued, not two
    report = lint(realworld() / "Adnan-0786__GRU-based-Noise-suppressor")
    (run,) = report.runs
    assert run.id == "Adnan-0786__GRU-based-Noise-suppressor" and run.attempt_of is None
    loss = run.get("train/loss")
    assert loss.step.tolist() == list(range(45)) and run.epochs == 45
    assert loss.value[29] == pytest.approx(0.0516, abs=5e-5) and loss.lines[29] == 31
    assert loss.value[30] == pytest.approx(0.0539, abs=5e-5) and loss.lines[30] == 32
    assert loss.value[44] == pytest.approx(0.0493, abs=5e-5) and loss.lines[44] == 46
    assert run.raw("train/loss").step.tolist() == [*range(30), *range(15)]  # as logged
    assert run.line_of(30, ["train/loss"])[1] == 32  # epoch 30 is the second fit's first row
    (b,) = run.plan.boundaries
    assert (b.kind, b.before, b.after, b.line, b.steps) == (CONTINUATION, 29, 0, 32, (30, 44))
    e = b.deciding()
    assert e.key == "train/loss" and e.carries_on
    # its movement around the restart: median |diff| of loss at epochs 24-29 is 0.0016, the jump
    # 0.0516 -> 0.0539 is 0.0023
    assert e.jump == pytest.approx(0.0023, abs=1e-4) and e.scale == pytest.approx(0.0016, abs=1e-4)
    msg = finding(report, run.id, "LOG003").message
    assert "29→0 at line 32" in msg and "the same training continued (loss carries on: 0.0516 → 0.0539, 1.5x" in msg
    assert msg.endswith("analysed all 45 epochs logged (0–44) as one history")


def test_four_appended_trainings_are_four_runs_and_the_133_epoch_overfit_is_linted():
    # irfanet-10 training_logs221017.log: 133+4+5+9 rows; each restart goes to a level the
    # previous training had left long ago (loss 0.409 after 0.0016; 0.326 after 0.175; 1.18)
    report = lint(realworld() / "AhmedImtiazPrio__irfanet-10" / "training_logs221017.log")
    runs = runs_of(report, "#")
    assert sorted(runs) == [f"AhmedImtiazPrio__irfanet-10#{k}" for k in (1, 2, 3, 4)]
    assert [runs[f"AhmedImtiazPrio__irfanet-10#{k}"].epochs for k in (1, 2, 3, 4)] == [133, 4, 5, 9]
    first = runs["AhmedImtiazPrio__irfanet-10#1"]
    assert first.get("val/loss").lines.tolist() == list(range(2, 135))
    assert [b.kind for b in first.attempt_of.plan.boundaries] == [FRESH, FRESH, FRESH]
    gen = finding(report, first.id, "GEN001")  # val_loss min 0.509 at epoch 3 -> 1.86 at 132
    assert gen.evidence["best_epoch"] == 3 and gen.location.line == 5
    assert "0.509" in gen.message and "1.86" in gen.message
    msg = finding(report, first.id, "LOG003").message
    assert msg.startswith("loss restarts 3 times (132→0 at line 135, 3→0 at line 139, 4→0 at line 144): "
                          "3 new trainings start (loss starts again at 0.409 at line 135 after 0.00165, "
                          "the training having begun at 0.958)")
    assert ("4 trainings, each linted as its own run (#1: 133 epochs, lines 2–134, #2: 4 epochs, lines 135–138, "
            "#3: 5 epochs, lines 139–143, #4: 9 epochs, lines 144–152); this run is #1, 133 epochs (0–132)") in msg
    assert finding(report, "AhmedImtiazPrio__irfanet-10#4", "LOG003").message.endswith("this run is #4, 9 epochs (0–8)")
    last = runs["AhmedImtiazPrio__irfanet-10#4"].get("val/loss")  # 1.61 -> 1.045 (lines 144-152)
    assert last.value[0] == pytest.approx(1.6142, abs=1e-4) and last.value[-1] == pytest.approx(1.0454, abs=1e-4)


def test_a_fresh_model_after_26_epochs_is_its_own_run_and_both_overfit():
    # training_logs191017(5).log: 26 epochs (loss 0.492 -> 0.188), then 200 from loss 0.4945
    report = lint(realworld() / "AhmedImtiazPrio__irfanet-10" / "training_logs191017(5).log")
    runs = runs_of(report, "#")
    assert {k: r.epochs for k, r in runs.items()} == {"AhmedImtiazPrio__irfanet-10#1": 26, "AhmedImtiazPrio__irfanet-10#2": 200}
    one, two = (finding(report, f"AhmedImtiazPrio__irfanet-10#{k}", "GEN001") for k in (1, 2))
    assert one.evidence["best_epoch"] == 1 and "0.471" in one.message  # val_loss min 0.471 @1 -> 0.608
    assert two.evidence["best_epoch"] == 1 and "0.462" in two.message  # val_loss min 0.462 @1 -> 0.678
    assert two.location.line == 29  # epoch 1 of the second training


def test_appended_runs_with_a_tie_between_series_are_kept_apart():
    # AkshatSharma5: 5+4+10+5 rows. At line 11 (lr 1e-4 -> 1e-5) the training loss carries on
    # (1.0325 -> 1.0578) but val_loss jumps 0.98 -> 1.60 and val_accuracy drops back: a tie of
    # two series each way is not a continuation
    report = lint(realworld() / "AkshatSharma5__Brain_Tumor_Image_Classification_using_CNN")
    runs = runs_of(report, "#")
    assert [runs[f"AkshatSharma5__Brain_Tumor_Image_Classification_using_CNN#{k}"].epochs for k in (1, 2, 3, 4)] == [5, 4, 10, 5]
    p = next(iter(runs.values())).attempt_of.plan
    votes = {e.key: e.carries_on for e in p.boundaries[1].evidence if e.informative}
    assert votes == {"train/loss": True, "train/accuracy": True, "val/loss": False, "val/accuracy": False}
    third = runs["AkshatSharma5__Brain_Tumor_Image_Classification_using_CNN#3"].get("val/loss")
    assert int(third.step[np.argmin(third.value)]) == 8 and third.value.min() == pytest.approx(0.4348, abs=1e-4)
    assert third.lines[8] == 19


def test_a_two_epoch_first_fit_whose_descent_carries_on_is_one_history():
    # BrandtKaufmann: loss 7.26, 6.61 (lines 2-3), then fit() again from 5.92 (line 4) -> 0.26
    report = lint(realworld() / "BrandtKaufmann__CatClassifier")
    (run,) = report.runs
    loss = run.get("train/loss")
    assert run.epochs == 50 and loss.step[-1] == 49
    assert loss.value[:3].tolist() == pytest.approx([7.2584, 6.6121, 5.9224], abs=1e-4)
    (b,) = run.plan.boundaries
    assert b.kind == CONTINUATION and b.line == 4


def test_the_bundled_restarted_fixture_is_one_24_epoch_training_in_all_three_formats():
    from conftest import REPO

    report = lint(REPO / "fixtures" / "restarted_run")
    (run,) = report.runs
    assert run.format == "keras-csv+keras-json+tensorboard" and run.epochs == 24
    assert run.get("val/loss").step.tolist() == list(range(24))
    codes = {f.code for f in report.findings}
    assert "LOG003" in codes and "OPT002" not in codes  # the last 12 epochs alone looked slow


# -- synthetic logs --------------------------------------------------------------------------------


def _continuing(n: int, seed: int = 0) -> dict[str, list[float]]:
    """A Keras-like training: loss falls to a floor, accuracy rises to ~0.88, a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    loss = 0.3 + 0.9 * np.exp(-t / 6) + rng.normal(0, 0.004, n)
    acc = 0.9 - 0.3 * np.exp(-t / 6) + rng.normal(0, 0.003, n)
    val = 0.35 + 0.9 * np.exp(-t / 6) + rng.normal(0, 0.006, n)
    return {"loss": loss.tolist(), "accuracy": acc.tolist(), "val_loss": val.tolist()}


def test_four_fits_appended_on_the_same_model_are_one_history_not_its_last_7_epochs(tmp_path):
    # the case: CSVLogger(append=True), four fit(epochs=7) calls without initial_epoch
    write_csvlogger(tmp_path / "run" / "training.log", _continuing(28), epochs=[e % 7 for e in range(28)])
    report = lint(tmp_path)
    (run,) = report.runs
    assert run.id == "run" and run.epochs == 28
    acc = run.get("train/accuracy")
    assert acc.step.tolist() == list(range(28)) and acc.lines.tolist() == list(range(2, 30))
    assert acc.value[-7:].min() > 0.87  # accuracy continues at ~0.88
    assert [b.kind for b in run.plan.boundaries] == [CONTINUATION] * 3
    msg = finding(report, "run", "LOG003").message
    assert "restarts 3 times (6→0 at line 9, 6→0 at line 16, 6→0 at line 23)" in msg
    assert "the same training continued 3 times" in msg and msg.endswith("analysed all 28 epochs logged (0–27) as one history")


def test_a_resume_from_a_checkpoint_replaces_only_the_epochs_it_repeats(tmp_path):
    first, second = _continuing(10), _continuing(13, seed=1)
    hist = {k: first[k] + second[k][5:] for k in first}  # resumed at epoch 5, ran to 12
    write_csvlogger(tmp_path / "run" / "training.log", hist, epochs=[*range(10), *range(5, 13)])
    report = lint(tmp_path)
    (run,) = report.runs
    loss = run.get("train/loss")
    assert loss.step.tolist() == list(range(13))
    assert loss.value[:5].tolist() == pytest.approx(first["loss"][:5])  # nothing else dropped
    assert loss.value[5:].tolist() == pytest.approx(second["loss"][5:])
    assert loss.lines.tolist() == [2, 3, 4, 5, 6, *range(12, 20)]
    (b,) = run.plan.boundaries
    assert (b.kind, b.before, b.after, b.replaced, b.steps) == (RESUME, 9, 5, 5, (5, 12))
    msg = finding(report, "run", "LOG003").message
    assert "(9→5 at line 12): resumed from a checkpoint, the later epochs replacing the 5 epochs they repeat" in msg
    assert msg.endswith("analysed 13 of 18 epochs logged (0–12) as one history")


def test_two_fresh_trainings_in_one_csv_are_two_runs_with_their_own_findings(tmp_path):
    from conftest import HEALTHY, OVERFIT

    keys = ("loss", "val_loss")
    hist = {k: OVERFIT[k] + HEALTHY[k] for k in keys}
    write_csvlogger(tmp_path / "exp" / "training.log", hist, epochs=[*range(12), *range(10)])
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["exp#1", "exp#2"]
    one, two = sorted(report.runs, key=lambda r: r.id)
    assert one.epochs == 12 and two.epochs == 10
    assert one.get("val/loss").lines.tolist() == list(range(2, 14))
    assert two.get("val/loss").lines.tolist() == list(range(14, 24))
    assert one.sources == two.sources and one.sources[0].endswith("exp/training.log")
    assert "GEN001" in {f.code for f in report.findings if f.run == "exp#1"}
    assert not [f for f in report.findings if f.run == "exp#2" and f.severity.value != "info"]
    msg = finding(report, "exp#2", "LOG003").message
    assert "a new training starts (loss starts again at 1 after 0.14, the training having begun at 1)" in msg
    assert msg.endswith("2 trainings, each linted as its own run (#1: 12 epochs, lines 2–13, #2: 10 epochs, "
                        "lines 14–23); this run is #2, 10 epochs (0–9)")


def test_validation_logged_only_by_the_second_fit_is_placed_by_line(tmp_path):
    # fit 1 without validation_data (CSVLogger writes NA), fit 2 with it: val has no restart of
    # its own and belongs to the second training by its lines
    from conftest import HEALTHY, OVERFIT

    rows = ["epoch,loss,val_loss"]
    rows += [f"{e},{v},NA" for e, v in enumerate(OVERFIT["loss"])]
    rows += [f"{e},{a},{b}" for e, (a, b) in enumerate(zip(HEALTHY["loss"], HEALTHY["val_loss"]))]
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "training.log").write_text("\n".join(rows) + "\n")
    report = lint(tmp_path)
    runs = {r.id: r for r in report.runs}
    assert sorted(runs) == ["exp#1", "exp#2"]
    assert not runs["exp#1"].has("val/loss") and "LOG004" in {f.code for f in report.findings if f.run == "exp#1"}
    assert runs["exp#2"].get("val/loss").value.tolist() == pytest.approx(HEALTHY["val_loss"])


def test_a_read_problem_goes_with_the_training_whose_lines_hold_it(tmp_path):
    from conftest import HEALTHY, OVERFIT

    rows = ["epoch,loss,val_loss"]
    rows += [f"{e},{a},{b}" for e, (a, b) in enumerate(zip(OVERFIT["loss"], OVERFIT["val_loss"]))]
    rows[4] = "2,0.6,oops"  # line 5, first training
    rows += [f"{e},{a},{b}" for e, (a, b) in enumerate(zip(HEALTHY["loss"], HEALTHY["val_loss"]))]
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "training.log").write_text("\n".join(rows) + "\n")
    report = lint(tmp_path)
    broken = [(f.run, f.location.line) for f in report.findings if f.code == "LOG001"]
    assert broken == [("exp#1", 5)]


def test_a_dict_of_several_fits_continuing_is_one_history(tmp_path):
    h = _continuing(20)
    fits = {str(i): {k: v[i * 10:(i + 1) * 10] for k, v in h.items()} for i in range(2)}
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "history.json").write_text(json.dumps(fits))
    (run,) = lint(tmp_path).runs
    assert run.epochs == 20 and run.get("val/loss").value.tolist() == pytest.approx(h["val_loss"])


def test_a_list_of_fit_histories_is_read_and_fresh_fits_are_split(tmp_path):
    from conftest import HEALTHY, OVERFIT

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "history.json").write_text(json.dumps([OVERFIT, HEALTHY]))
    report = lint(tmp_path)
    runs = {r.id: r for r in report.runs}
    assert sorted(runs) == ["run#1", "run#2"]
    assert runs["run#1"].get("val/accuracy").value.tolist() == pytest.approx(OVERFIT["val_accuracy"])
    assert not runs["run#2"].has("val/accuracy")  # the second fit logged no accuracy
    assert runs["run#2"].epochs == 10


def test_fits_saved_with_their_epoch_lists_show_where_they_resumed(tmp_path):
    h = _continuing(12)
    fits = {"0": {"history": {k: v[:8] for k, v in h.items()}, "epoch": list(range(8))},
            "1": {"history": {k: v[6:] for k, v in h.items()}, "epoch": list(range(6, 12))}}  # initial_epoch=6
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "history.json").write_text(json.dumps(fits))
    (run,) = lint(tmp_path).runs
    assert run.raw("train/loss").step.tolist() == [*range(8), *range(6, 12)]
    assert [b.kind for b in run.plan.boundaries] == [RESUME]
    assert run.get("train/loss").value.tolist() == pytest.approx(h["loss"])


def test_tensorboard_sessions_of_one_model_continue_and_batch_steps_keep_their_global_numbering(tmp_path):
    h = _continuing(10)
    train, val = tmp_path / "run" / "train", tmp_path / "run" / "validation"
    for part, (lo, hi) in enumerate(((0, 5), (5, 10))):
        wall = 100.0 + 6 * part  # Keras writes new event files when fit() is called again
        batches = [scalar_event("batch_loss", 10 * e + i, h["loss"][e], wall_time=wall + (e - lo) + i / 10)
                   for e in range(lo, hi) for i in range(10)]
        write_events(train / f"events.out.tfevents.{1700000000 + part}.host.1.{2 * part}.v2",
                     {"loss": h["loss"][lo:hi]}, wall0=wall + 1, extra=batches)
        write_events(val / f"events.out.tfevents.{1700000000 + part}.host.1.{2 * part + 1}.v2",
                     {"loss": h["val_loss"][lo:hi]}, wall0=wall + 1.01)
    (run,) = lint(tmp_path).runs
    assert run.get("train/loss").step.tolist() == list(range(10))
    assert run.get("val/loss").value.tolist() == pytest.approx(h["val_loss"], rel=1e-6)
    assert run.get("train/loss@batch").step.tolist() == list(range(100))  # global steps went on


def test_make_run_and_plan_agree_on_a_run_built_in_memory():
    run = make_run({"train/loss": {"step": [0, 1, 2, 0, 1], "value": [3, 2, 1, 3.1, 2.1]},
                    "val/loss": {"step": [0, 1, 2, 0, 1], "value": [3, 2.5, 2.4, 3.2, 2.6]}})
    assert len(run.plan.attempts) == 2 and run.epochs == 2  # not split: the latest is analysed
    first, second = split_attempts([run])
    assert (first.id, second.id) == ("case#1", "case#2")
    assert first.get("val/loss").value.tolist() == [3, 2.5, 2.4] and second.get("train/loss").value.tolist() == [3.1, 2.1]
    assert first.plan.boundaries == () and first.attempt_of.plan is second.attempt_of.plan


def test_a_run_without_restarts_passes_split_attempts_unchanged():
    run = make_run({"train/loss": [3, 2, 1]})
    assert split_attempts([run]) == [run]
    assert plan(run.curves).attempts[0].curves["train/loss"] is run.curves[0]


def test_plan_handles_nan_values_and_single_point_attempts():
    run = Run("r", [], "x", curves=[
        Curve("loss", "train", step=[0, 1, 0], value=[math.nan, math.nan, 1.0]),
        Curve("loss", "val", step=[0, 0], value=[1.0, 5.0]),
    ])
    p = run.plan
    assert [b.kind for b in p.boundaries] == [FRESH]  # nothing finite on both sides of train loss; val jumps
    assert run.get("train/loss").value.tolist() == [1.0]


def test_series_of_a_training_that_is_not_analysed_are_not_offered_to_rules():
    # in memory (not split), only the latest training is analysed: the first one's val_accuracy
    # is not a series of the run as analysed
    from curvelint.engine import lint_history
    from conftest import HEALTHY, OVERFIT

    report = lint_history({"0": OVERFIT, "1": HEALTHY})
    (run,) = report.runs
    assert run.epochs == 10 and not run.has("val/accuracy") and run.raw("val/accuracy") is not None
    assert "val/accuracy" not in {c.key for c in run.select()}
    assert not [f for f in report.findings if f.code == "INT001"]
    msg = next(f.message for f in report.findings if f.code == "LOG003")
    assert msg.endswith("only the latest of 2 trainings is analysed: 10 of 22 epochs logged (0–9)")
