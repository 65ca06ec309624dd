"""Every series a user logs finds its rule: sub-runs of prefixed models, phases and outputs;
names mapped in `[tool.curvelint.series]`; a split's loss under another name; percent accuracies.

Real files from ../shared/realworld say what the corpus labels require; hand-made histories pin
the edges (loss terms that are not models, a named output that repeats the whole loss).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from conftest import realworld

import curvelint
from curvelint.config import ConfigError, load_config, parse_config
from curvelint.model import ReadProblem, Run
from curvelint.readers.keras_json import curves_from_object
from curvelint.subruns import split_subruns


def _run(history: dict, *, id: str = "h", fmt: str = "keras-json", problems=()) -> Run:
    """A run read the way the history JSON reader reads `history`."""
    return Run(id=id, sources=[f"{id}.json"], format=fmt, curves=curves_from_object(history, source=f"{id}.json"),
               problems=list(problems))


def _by_id(runs: list[Run]) -> dict[str, Run]:
    return {r.id: r for r in runs}


def _fired(report, run_id: str) -> set[str]:
    return {f.rule for f in report.findings if f.run == run_id}


def _down(n: int, start: float = 1.0, end: float = 0.3) -> list[float]:
    return [start + (end - start) * i / (n - 1) for i in range(n)]


# -- real files --------------------------------------------------------------------------------


def test_two_models_in_one_history_are_two_subruns_with_their_findings():
    """reg_* (30 epochs) and cls_* (19) in one dict: labeled no_learning (cls) and
    val_better_than_train (reg); neither was found while the keys were prefixed."""
    path = realworld() / "065010-AmanMalhi__hdfc-lstm-predictor" / "training_history.json"
    report = curvelint.lint(path, isolated=True)
    runs = _by_id(report.runs)
    parent = "065010-AmanMalhi__hdfc-lstm-predictor"
    assert set(runs) == {f"{parent}::cls", f"{parent}::reg"}  # nothing of a whole model is left
    cls, reg = runs[f"{parent}::cls"], runs[f"{parent}::reg"]
    assert {c.key for c in cls.curves} == {"train/loss", "val/loss", "train/accuracy", "val/accuracy",
                                            "train/learning_rate"}
    assert {c.key for c in reg.curves} == {"train/loss", "val/loss", "train/mae", "val/mae", "train/learning_rate"}
    assert (cls.epochs, reg.epochs) == (19, 30)
    assert cls.raw("val/loss").raw_name == "cls_val_loss"  # messages keep the logged name
    assert "no-learning" in _fired(report, cls.id)
    assert "val-better-than-train" in _fired(report, reg.id)
    assert cls.meta["subrun"] == {"of": parent, "name": "cls"}


def test_rnn_and_lstm_keys_of_different_lengths_are_two_subruns():
    path = realworld() / "VijayLabKit__Tesla_Stock_Prediction" / "models" / "history.json"
    report = curvelint.lint(path, isolated=True)
    runs = {r.id.rpartition("::")[2]: r for r in report.runs}
    assert set(runs) == {"rnn", "lstm"}
    assert (runs["rnn"].epochs, runs["lstm"].epochs) == (23, 66)
    assert runs["lstm"].raw("val/loss").raw_name == "lstm_val_loss"
    assert all(r.has("train/loss") and r.has("val/loss") for r in runs.values())
    assert "noisy-curve" in _fired(report, runs["lstm"].id)  # the label: a jagged val_loss


def test_multi_output_keras_model_keeps_the_whole_loss_in_the_parent():
    path = realworld() / "DiscreetAI__keras-gpt-2-doublehead" / "training_history.json"
    runs = _by_id(curvelint.lint(path, isolated=True).runs)
    parent = "DiscreetAI__keras-gpt-2-doublehead"
    assert set(runs) == {parent, f"{parent}::LMOutput", f"{parent}::MCOutput"}
    assert [c.raw_name for c in runs[parent].curves] == ["loss"]
    lm = runs[f"{parent}::LMOutput"]
    assert lm.raw("train/loss").raw_name == "LMOutput_loss" and lm.has("train/perplexity_lm")


def test_output_whose_loss_is_always_zero_is_not_a_subrun():
    """PtychoPINN's three outputs: two become sub-runs, `trimmed_obj_loss` (0.0 every epoch,
    an output that is not trained) stays in the parent beside the whole loss."""
    path = (realworld() / "hoidn__PtychoPINN/plans/active/DEBUG-SIM-LINES-DOSE-001/reports"
            "/2026-01-20T160000Z/gs2_ideal/train_outputs/history.json")
    runs = curvelint.lint(path, isolated=True).runs
    names = sorted(r.id.rpartition("::")[2] for r in runs if "::" in r.id)
    assert names == ["intensity_scaler_inv", "pred_intensity"]
    parent = next(r for r in runs if "::" not in r.id)
    assert parent.has("train/loss") and parent.has("val/loss") and parent.has("train/trimmed_obj_loss")


@pytest.mark.parametrize("rel", [
    "formats/01-Zhangsaisai__Wheat-Weed-Detection-YOLOv8/runs/detect/train/results.csv",  # box/cls/dfl terms
    "Macro1027__Simple-Pendulum-PINN/lightning_logs/version_11/metrics.csv",  # physics terms + loss
    "NatdanaiDan__Explore-a-new-method-of-forecasting-BTC-to-become-a-billionaire./lightning_logs/version_0/metrics.csv",  # VAE elbo
    "10844110__t5-summarization-demo/runs",  # HF's train/train_loss summary
])
def test_terms_of_one_loss_are_not_subruns(rel):
    path = realworld() / rel
    if not path.exists():
        pytest.fail(f"{path} is gone from the corpus")
    runs = curvelint.lint(path, isolated=True).runs
    assert runs and not [r.id for r in runs if "::" in r.id]


def test_valid_mse_is_the_validation_loss():
    """Lightning metrics.csv with `Valid MSE` (100 epochs) and a `Train loss` logged twice."""
    path = realworld() / "GajdaMJ__AI-for-Chemistry-Project/lightning_logs/version_0/metrics.csv"
    report = curvelint.lint(path, isolated=True)
    (run,) = report.runs
    val = run.get("val/loss")
    assert val is not None and val.raw_name == "Valid MSE" and len(val) == 100
    assert report.findings and all("Valid MSE" in f.message for f in report.findings if "val/loss" in f.series)


def test_an_rl_agents_only_loss_term_is_not_taken_for_the_loss():
    path = realworld() / "AkshayKulkarni3467__NAF_DQN/lightning_logs/version_0"
    (run,) = curvelint.lint(path, isolated=True).runs
    assert not run.has("train/loss")


def test_percent_accuracies_are_scaled_and_keep_their_logged_name():
    """A healthy PyTorch log with test_* columns and accuracies in percent (47.19 -> 93.01)."""
    path = realworld() / "1Yangone1__DSC-SE-LightNet/training_log.csv"
    report = curvelint.lint(path, isolated=True)
    (run,) = report.runs
    acc, val_acc = run.get("train/accuracy"), run.get("val/accuracy")
    assert acc.raw_name == "train_acc" and val_acc.raw_name == "test_acc"
    assert acc.value[0] == pytest.approx(0.4719) and val_acc.value.max() == pytest.approx(0.8912)
    assert run.meta["percent_scaled"] == ["train_acc", "test_acc"]
    assert not [f for f in report.findings if f.severity.value != "info"]  # labeled healthy


def test_plural_keys_are_understood():
    path = realworld() / "Amber016020__EmotionTrack-CNNLSTM/train_history.json"
    report = curvelint.lint(path, isolated=True)
    (run,) = report.runs
    assert {"train/loss", "val/loss", "train/accuracy", "val/accuracy"} <= set(run.series)
    assert "overfitting" in _fired(report, run.id)


# -- sub-runs by hand ----------------------------------------------------------------------------


def test_multi_output_model_by_hand():
    n = 8
    h = {"loss": _down(n, 2, 0.6), "out_a_loss": _down(n, 1, 0.2), "out_b_loss": _down(n, 1, 0.4),
         "val_loss": _down(n, 2.1, 0.8), "val_out_a_loss": _down(n, 1.1, 0.3), "val_out_b_loss": _down(n, 1, 0.5)}
    runs = _by_id(split_subruns([_run(h)]))
    assert set(runs) == {"h", "h::out_a", "h::out_b"}
    assert {c.key for c in runs["h"].curves} == {"train/loss", "val/loss"}
    assert {c.key: c.raw_name for c in runs["h::out_b"].curves} == {"train/loss": "out_b_loss",
                                                                    "val/loss": "val_out_b_loss"}


def test_loss_terms_beside_the_loss_are_not_outputs():
    n = 8
    h = {"loss": _down(n), "kl_loss": _down(n, 0.1, 0.3), "reconstruction_loss": _down(n, 0.9, 0.2),
         "val_loss": _down(n), "val_kl_loss": _down(n, 0.1, 0.3), "val_reconstruction_loss": _down(n)}
    assert [r.id for r in split_subruns([_run(h)])] == ["h"]


def test_outputs_are_a_keras_thing():
    """`dynamics_loss` beside `loss` in a Lightning log is a term of the loss, not an output."""
    n = 8
    h = {"loss": _down(n), "dynamics_loss": _down(n), "initial_loss": _down(n), "boundary_a_loss": _down(n)}
    assert [r.id for r in split_subruns([_run(h, fmt="lightning-csv")])] == ["h"]


def test_a_named_single_output_that_repeats_the_loss_is_no_subrun():
    h = {"loss": _down(6), "output_loss": _down(6), "output_accuracy": _down(6, 0.5, 0.9), "val_loss": _down(6)}
    assert [r.id for r in split_subruns([_run(h)])] == ["h"]


def test_prefixes_of_different_lengths_are_separate_trainings_whatever_their_name():
    h = {"alpha_loss": _down(10), "val_alpha_loss": _down(10), "beta_loss": _down(20), "val_beta_loss": _down(20)}
    runs = _by_id(split_subruns([_run(h, problems=[ReadProblem("h.json", "truncated")])]))
    assert set(runs) == {"h::alpha", "h::beta"}
    assert runs["h::alpha"].epochs == 10 and runs["h::beta"].epochs == 20
    # the file's read problems are reported once, on the first sub-run
    assert [len(runs[i].problems) for i in ("h::alpha", "h::beta")] == [1, 0]


def test_same_length_models_named_as_models():
    h = {"rnn_loss": _down(12), "rnn_val_loss": _down(12), "lstm_loss": _down(12), "lstm_val_loss": _down(12),
         "lr": [1e-3] * 12}
    runs = _by_id(split_subruns([_run(h)]))
    assert set(runs) == {"h::rnn", "h::lstm"}
    # the one learning rate goes with both models
    assert all(r.has("train/learning_rate") for r in runs.values())


def test_fine_tune_phase_beside_the_first_phase():
    h = {"loss": _down(10), "val_loss": _down(10), "accuracy": _down(10, 0.5, 0.8),
         "fine_tune_loss": _down(5, 0.3, 0.2), "fine_tune_val_loss": _down(5, 0.35, 0.3),
         "fine_tune_accuracy": _down(5, 0.8, 0.9)}
    runs = _by_id(split_subruns([_run(h)]))
    assert set(runs) == {"h", "h::fine_tune"}
    assert {c.key for c in runs["h::fine_tune"].curves} == {"train/loss", "val/loss", "train/accuracy"}
    assert {c.key for c in runs["h"].curves} == {"train/loss", "val/loss", "train/accuracy"}


def test_subrun_names_are_canonical_inside():
    h = {"cls_losses": _down(6), "cls_val_losses": _down(6), "cls_acc": _down(6, 0.5, 0.9),
         "reg_loss": _down(9), "reg_test_loss": _down(9), "reg_mean_absolute_error": _down(9)}
    runs = _by_id(split_subruns([_run(h)]))
    assert {c.key for c in runs["h::cls"].curves} == {"train/loss", "val/loss", "train/accuracy"}
    # a sub-run without val judges its test_* set as val, as whole runs do
    assert {c.key for c in runs["h::reg"].curves} == {"train/loss", "val/loss", "train/mae"}


def test_curves_are_replaced_not_changed():
    run = _run({"a_loss": _down(4), "b_loss": _down(8)})
    before = [(c.name, c.split) for c in run.curves]
    split_subruns([run])
    assert [(c.name, c.split) for c in run.curves] == before


# -- a split's loss under another name -----------------------------------------------------------


def test_total_loss_is_the_loss():
    run = split_subruns([_run({"total_loss": _down(5), "box_loss": _down(5), "val_total_loss": _down(5)})])[0]
    assert run.get("train/loss").raw_name == "total_loss" and run.get("val/loss").raw_name == "val_total_loss"


def test_an_error_metric_stands_for_the_loss_only_without_a_loss_to_compare():
    (run,) = split_subruns([_run({"train_mse": _down(5), "val_mse": _down(5), "val_mae": _down(5)})])
    assert run.get("train/loss").raw_name == "train_mse" and run.get("val/loss").raw_name == "val_mse"
    (run,) = split_subruns([_run({"train_loss": _down(5), "val_mae": _down(5)})])
    assert not run.has("val/loss")  # a cross-entropy beside an MAE would be no comparison


# -- percent accuracies --------------------------------------------------------------------------


@pytest.mark.parametrize("values, scaled", [
    ([47.2, 60.0, 93.0], True),
    ([0.47, 0.6, 0.93], False),
    ([0.5, 1.0000001, 0.9], False),  # float noise above 1 is not percent
    ([120, 4500, 4800], False),  # counts of correct samples
    ([float("nan"), 50.0, 70.0], True),
])
def test_percent_accuracy(values, scaled):
    (run,) = split_subruns([_run({"loss": _down(3), "val_acc": values})])
    got = run.get("val/accuracy").value
    want = np.asarray(values) / (100 if scaled else 1)
    assert np.allclose(got, want, equal_nan=True)
    assert run.get("val/accuracy").raw_name == "val_acc"
    assert run.meta.get("percent_scaled") == (["val_acc"] if scaled else None)


# -- [tool.curvelint.series] ---------------------------------------------------------------------


def test_config_maps_a_logged_name_to_a_key():
    cfg = parse_config({"series": {"my_weird_metric": "val/loss", "Holdout Score": "val/accuracy"}})
    (run,) = split_subruns([_run({"loss": _down(5), "my_weird_metric": _down(5), "holdout_score": _down(5)})], cfg)
    assert run.get("val/loss").raw_name == "my_weird_metric"
    assert run.get("val/accuracy").raw_name == "holdout_score"  # spelled differently, same name


def test_a_mapped_name_takes_the_key_and_the_holder_steps_aside():
    cfg = parse_config({"series": {"heldout_loss": "val/loss"}})
    # test_loss was judged as val (no val_* logged); the user says heldout_loss is val
    run = _run({"loss": _down(5), "test_loss": _down(5), "heldout_loss": _down(5)})
    run = Run(id=run.id, sources=run.sources, format=run.format,
              curves=[replace(c, split="val") if c.split == "test" else c for c in run.curves])
    (out,) = split_subruns([run], cfg)
    assert out.get("val/loss").raw_name == "heldout_loss" and out.get("test/loss").raw_name == "test_loss"


def test_mapping_keeps_a_batch_series_per_batch_unless_told():
    from curvelint.model import BATCH, Curve

    c = Curve(name="foo", split="train", step=[1, 2, 3], value=[3, 2, 1], granularity=BATCH, raw_name="foo_step")
    run = Run(id="r", sources=[], format="lightning-csv", curves=[c])
    (out,) = split_subruns([run], parse_config({"series": {"foo_step": "train/loss"}}))
    assert out.series == ["train/loss@batch"]


@pytest.mark.parametrize("table, where", [
    ({"series": {"my_metric": "validation/loss"}}, "series.my_metric"),
    ({"series": {"my_metric": "val_loss"}}, "series.my_metric"),
    ({"series": {"my_metric": 3}}, "series.my_metric"),
    ({"series": {"my_metric": "val/Loss"}}, "series.my_metric"),
    ({"series": ["my_metric"]}, "series"),
])
def test_series_table_errors_name_the_key(table, where):
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        parse_config(table, "pyproject.toml")


def test_series_table_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.curvelint.series]\n"my_weird_metric" = "val/loss"\n'
                                             '"step_loss" = "train/loss@batch"\n')
    cfg = load_config(str(tmp_path / "pyproject.toml"))
    assert cfg.series == {"my_weird_metric": "val/loss", "step_loss": "train/loss@batch"}


def test_series_table_reaches_linting(tmp_path):
    history = {"loss": _down(12, 1, 0.1), "my_weird_metric": _down(6, 1, 0.4) + [0.45, 0.5, 0.6, 0.7, 0.8, 0.9]}
    (tmp_path / "history.json").write_text(json.dumps(history))
    plain = curvelint.lint(tmp_path, isolated=True)
    mapped = curvelint.lint(tmp_path, config={"series": {"my_weird_metric": "val/loss"}})
    assert "overfitting" not in {f.rule for f in plain.findings}
    overfit = [f for f in mapped.findings if f.rule == "overfitting"]
    assert overfit and "my_weird_metric" in overfit[0].message


def test_nan_in_mapped_and_split_series_is_kept():
    h = {"a_loss": [1.0, math.nan, 0.5], "b_loss": [1.0, 0.9, 0.8, 0.7]}
    runs = _by_id(split_subruns([_run(h)]))
    assert np.isnan(runs["h::a"].get("train/loss").value[1])


def test_mapping_a_lightning_step_series_gives_its_epoch_mean_the_epoch_key(tmp_path):
    rows = "".join(f"{e},{s},{v},{'' if s % 2 == 0 else w}\n"
                   for (e, s, v, w) in [(e, 2 * e + k, 1.0 - 0.1 * e - 0.01 * k, 1.1 - 0.08 * e) for e in range(6) for k in (0, 1)])
    (tmp_path / "metrics.csv").write_text("epoch,step,foo,val_loss\n" + rows)
    (run,) = curvelint.lint(tmp_path, config={"series": {"foo": "train/loss"}}).runs
    assert {"train/loss@batch", "train/loss", "val/loss"} <= set(run.series)
    assert run.raw("train/loss").raw_name == "foo (epoch mean)"
