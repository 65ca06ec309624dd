"""The Hugging Face Trainer reader: every `trainer_state.json` and LLaMA-Factory `trainer_log.jsonl`
in ../shared/realworld, checked against numbers read by hand from the files (grep, not code), and
hand-made edge cases: checkpoint sets, the summary entry, eval metrics, truncated and empty files."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import OVERFIT, REALWORLD, realworld, write_keras_tensorboard
from curvelint.engine import Linter
from curvelint.model import Curve, Run, Severity
from curvelint.readers.hf_trainer_state import HfTrainerStateReader

READER = HfTrainerStateReader()


def lint(*paths) -> object:
    return Linter.create().lint_paths([str(p) for p in paths])


# --- real samples ------------------------------------------------------------------------------
# file -> series it must give, and points read by hand: key -> (count, first, last), each point
# (step, value) or (step, value, epoch); "meta" -> TrainerState fields.
F = "formats/"
SAMPLES: dict[str, dict] = {
    "Merlinmy__Whisper_small_hi/trainer_state.json": {
        "series": {"train/learning_rate", "train/loss", "val/loss", "val/wer"},
        "train/loss": (200, (25, 0.8917, 0.06), (5000, 0.0002, 12.22)),
        "val/loss": (5, (1000, 0.30747494101524353, 2.44), (5000, 0.4679179787635803, 12.22)),
        "val/wer": (5, (1000, 34.63133835604842), (5000, 32.09599593667993)),
        "meta": {"global_step": 5000, "max_steps": 5000, "num_train_epochs": 13, "best_metric": 32.011343435198505,
                 "best_model_checkpoint": "./whisper-small-colab/checkpoint-4000", "epoch": 12.224938875305623},
        "train_loss": 0.06323314253110439,
    },
    "Tanisha-anshu__OpenAi-Whisper-small-Braj/trainer_state.json": {
        "series": {"train/grad_norm", "train/learning_rate", "train/loss", "val/loss", "val/wer"},
        "train/loss": (5, (500, 1.2366, 3.787878787878788), (2500, 1.7866, 18.939393939393938)),
        "val/loss": (20, (132, 2.552889585494995, 1.0), (2640, 3.423363447189331, 20.0)),
        "val/wer": (20, (132, 96.44244686523959), (2640, 93.83712958025444)),
        "train/grad_norm": (5, (500, 14.133460998535156), (2500, 5.772024154663086)),
        "meta": {"global_step": 2640, "max_steps": 2640, "num_train_epochs": 20, "best_metric": 89.8605926715929,
                 "best_model_checkpoint": "/content/drive/MyDrive/dir_op/checkpoint-264"},
    },
    "RunyararoEs__Deep-Learning-Final-Project/trainer_state.json": {
        "series": {"train/grad_norm", "train/learning_rate", "train/loss", "val/loss", "val/wer", "val/wer_ortho"},
        "train/loss": (14, (100, 0.1805, 0.07127583749109052), (1400, 0.0121, 0.9978617248752673)),
        "val/loss": (14, (100, 0.10123270004987717), (1400, 0.00933427456766367)),
        "val/wer": (14, (100, 36.30271330500163), (1400, 7.731284733573062)),
        "val/wer_ortho": (14, (100, 37.58699434536755), (1400, 8.721183123097)),
        "meta": {"global_step": 1400, "max_steps": 2806, "num_train_epochs": 2, "best_metric": 7.731284733573062,
                 "epoch": 0.9978617248752673},
    },
    "Nicolassalvan__mti881-projet2/ResultsEtape1/default_(learning_rate_5e-5)/trainer_state.json": {
        # 3 train series, val loss, 4 overall_* and 21 entity tags x (f1, number, precision, recall)
        "count": 3 + 1 + 4 + 21 * 4,
        "series": {"train/grad_norm", "train/learning_rate", "train/loss", "val/loss", "val/overall_accuracy",
                   "val/overall_f1", "val/overall_precision", "val/overall_recall", "val/t005_f1", "val/t204_recall"},
        "train/loss": (29, (500, 0.7214, 0.3436426116838488), (14500, 0.0219, 9.965635738831615)),
        "val/loss": (10, (1455, 0.4481896758079529), (14550, 0.6763636469841003, 10.0)),
        "val/overall_accuracy": (10, (1455, 0.857386171568245), (14550, 0.8854824869334581)),
        "val/overall_f1": (10, (1455, 0.5640721605827052), (14550, 0.6551302072342041)),
        "meta": {"global_step": 14550, "max_steps": 14550, "num_train_epochs": 10, "best_metric": None},
        "train_loss": 0.1773944552903323,
    },
    "NijatZeynalov__mT5-based-azerbaijani-news-summarize/trainer_state.json": {
        "series": {"train/learning_rate", "train/loss", "val/loss", "val/rouge1", "val/rouge2", "val/rougel",
                   "val/rougelsum"},
        "train/loss": (700, (10, 25.5062, 0.0), (7000, 2.2437, 2.23)),
        "val/loss": (70, (100, 3.3984055519104004, 0.03), (7000, 2.065276861190796, 2.23)),
        "val/rouge1": (70, (100, 0.2283106150091584), (7000, 0.3435348659067965)),
        "val/rougel": (70, (100, 0.1987762855429076), (7000, 0.3201584153677528)),
        "meta": {"global_step": 7000, "max_steps": 9411, "num_train_epochs": 3, "epoch": 2.231362160654889},
    },
    "pfox1995__pest-hyperparameter-search/training_artifacts/checkpoint-950/trainer_state.json": {
        "series": {"train/grad_norm", "train/learning_rate", "train/loss", "val/loss"},
        "train/loss": (47, (20, 0.6255148887634278, 0.013787160706591986), (940, 0.1065149188041687, 0.6479965532098233)),
        "val/loss": (38, (25, 0.04651660472154617, 0.017233950883239983), (950, 0.5802966356277466, 0.6548901335631193)),
        "train/grad_norm": (47, (20, 3.203913688659668), (940, 505148.90625)),
        "meta": {"global_step": 950, "max_steps": 1451, "best_global_step": 850, "best_metric": 0.023164400830864906,
                 "best_model_checkpoint": "/workspace/best-pest-detector/checkpoint-850"},
    },
    F + "Dheena731__tinyLlama-finetune/trainer_state.json": {  # TRL SFTTrainer; num_tokens is a counter
        "series": {"train/grad_norm", "train/learning_rate", "train/loss", "train/mean_token_accuracy", "val/loss",
                   "val/mean_token_accuracy"},
        "train/loss": (186, (15, 2.0762, 0.010690423162583519), (2790, 1.025, 1.987795100222717)),
        "train/mean_token_accuracy": (186, (15, 0.5809640631079673), (2790, 0.7662254864970843)),
        "val/loss": (14, (200, 1.622266411781311, 0.14253897550111358), (2800, 1.1219322681427002, 1.9949220489977728)),
        "val/mean_token_accuracy": (14, (200, 0.6570661319259475), (2800, 0.7508529225795264)),
        "meta": {"global_step": 2800, "max_steps": 2808, "best_global_step": 2800, "best_metric": 1.1219322681427002},
    },
    F + "HenokB__amharic-to-geez/trainer_state.json": {
        "series": {"train/learning_rate", "train/loss"},
        "train/loss": (5, (500, 3.4668, 0.18), (2500, 2.3678, 0.91)),
        "train/learning_rate": (5, (500, 4.091569767441861e-05), (2500, 4.578488372093023e-06)),
        "meta": {"global_step": 2752, "max_steps": 2752, "num_train_epochs": 1},
        "train_loss": 2.6872192870738894,
    },
    F + "O5-7__chat_glm2_in4_LIL_prefix/trainer_state.json": {
        "series": {"train/learning_rate", "train/loss"},
        "train/loss": (300, (10, 2.6644, 0.0), (3000, 1.1963, 0.28)),
        "train/learning_rate": (300, (10, 0.019933333333333334), (3000, 0.0)),
        "meta": {"global_step": 3000, "max_steps": 3000, "num_train_epochs": 1},
        "train_loss": 1.2429857851664226,
    },
    F + "P4P4N1CK__whisper-large-v2-japanese-5k-steps/trainer_state.json": {
        "series": {"train/learning_rate", "train/loss", "val/loss", "val/wer"},
        "train/loss": (200, (25, 0.3048, 0.19), (5000, 0.0002, 38.17)),
        "val/loss": (5, (1000, 0.320997953414917, 7.63), (5000, 0.4200145900249481, 38.17)),
        "val/wer": (5, (1000, 0.78878255063432), (5000, 0.7449365679946583)),
        "meta": {"global_step": 5000, "num_train_epochs": 39, "best_metric": 0.7431560204762965},
        "train_loss": 0.01890342615880072,
    },
    F + "SeanGormann__llm_recovery/checkpoint-1000/trainer_state.json": {  # TRL DPOTrainer
        "series": {"train/grad_norm", "train/learning_rate", "train/logits_chosen", "train/logits_rejected",
                   "train/logps_chosen", "train/logps_rejected", "train/loss", "train/rewards_accuracies",
                   "train/rewards_chosen", "train/rewards_margins", "train/rewards_rejected"},
        "train/loss": (20, (50, 0.6691, 0.04), (1000, 0.1138)),
        "train/rewards_accuracies": (20, (50, 0.7733333706855774), (1000, 0.9266667366027832)),
        "train/rewards_margins": (20, (50, 0.05010237544775009), (1000, 4.374284744262695)),
        "train/logits_chosen": (20, (50, -22.222862243652344), (1000, -21.992551803588867)),
        "meta": {"global_step": 1000, "max_steps": 1333, "epoch": 0.7499062617172854},
    },
    F + "ShashankBommana__DNABERT-2/trainer_state.json": {
        "series": {"train/learning_rate", "train/loss", "val/accuracy", "val/f1", "val/loss",
                   "val/matthews_correlation", "val/precision", "val/recall"},
        "train/loss": (22, (100, 0.4605, 0.22), (2200, 0.0276, 4.75)),
        "val/loss": (11, (200, 0.31392547488212585), (2200, 0.2877638638019562)),
        "val/accuracy": (11, (200, 0.8912925905895078), (2200, 0.942671714440238)),
        "val/f1": (11, (200, 0.8889597986481533), (2200, 0.9418255234675899)),
        "meta": {"global_step": 2200, "max_steps": 2315, "best_metric": 0.23172695934772491,
                 "best_model_checkpoint": "output/dnabert2/checkpoint-800", "epoch": 4.751619870410368},
    },
    F + "protaxY__MAI_Moscow_3D_segmentation/checkpoint-500/trainer_state.json": {
        "series": {"train/grad_norm", "train/learning_rate", "train/loss", "val/loss", "val/mean_accuracy",
                   "val/mean_iou", "val/overall_accuracy"},
        "train/loss": (25, (20, 1.9299, 1.25), (500, 0.7898, 31.25)),
        "val/loss": (25, (20, 1.674894094467163, 1.25), (500, 0.7737733125686646, 31.25)),
        "val/mean_iou": (25, (20, 0.13566134559532614), (500, 0.3285216522731933)),
        "meta": {"global_step": 500, "max_steps": 800, "num_train_epochs": 50, "best_model_checkpoint": ".\\checkpoint-500"},
    },
    F + "rg321__assignment/checkpoint-1000/trainer_state.json": {
        "series": {"train/learning_rate", "train/loss", "val/cer", "val/loss"},
        "train/loss": (500, (2, 11.2877, 0.01), (1000, 0.5079, 2.6)),
        "val/loss": (5, (200, 1.1381295919418335, 0.52), (1000, 0.5579602718353271, 2.6)),
        "val/cer": (5, (200, 0.10378297660527626), (1000, 0.013937282229965157)),
        "meta": {"global_step": 1000, "max_steps": 1155, "num_train_epochs": 3},
    },
    F + "subro608__Deep_learning_Bert_project2/checkpoint-2400/trainer_state.json": {
        "series": {"train/grad_norm", "train/learning_rate", "train/loss", "val/accuracy", "val/loss"},
        "train/loss": (24, (100, 1.3676, 0.013404825737265416), (2400, 0.3352, 0.32171581769436997)),
        "val/loss": (24, (100, 1.3423817157745361), (2400, 0.30624502897262573)),
        "val/accuracy": (24, (100, 0.7328125), (2400, 0.90625)),
        "train/learning_rate": (24, (100, 4.791666666666667e-05), (2400, 0.0)),
        "meta": {"global_step": 2400, "max_steps": 2400, "best_metric": None},
    },
    F + "syGOAT__Mistral-v0.2-Translator-bf16/trainer_state.json": {
        "series": {"train/grad_norm", "train/learning_rate", "train/loss"},
        "train/loss": (866, (10, 2.4977, 0.004618937644341801), (8660, 0.1333, 4.0)),
        "train/grad_norm": (866, (10, 11.009225845336914), (8660, 1.2880568504333496)),
        "meta": {"global_step": 8660, "max_steps": 8660, "num_train_epochs": 4},
        "train_loss": 0.2891847992741759,
    },
    F + "tasfiahmrinmoyee__Gemma3-1B-Instruct-outputs/trainer_state.json": {
        "series": {"train/grad_norm", "train/learning_rate", "train/loss", "val/loss"},
        "train/loss": (75, (50, 14.7537890625, 0.0398406374501992), (3750, 0.4385948944091797, 2.9880478087649402)),
        "val/loss": (19, (200, 0.9973475337028503, 0.1593625498007968), (3765, 0.7326762080192566, 3.0)),
        "meta": {"global_step": 3765, "best_global_step": 3765, "best_metric": 0.7326762080192566,
                 "best_model_checkpoint": "/kaggle/working/outputs/checkpoint-3765"},
        "train_loss": 0.7182432909252475,
    },
    # LLaMA-Factory: 867 lines, the last (no loss) shares step 8660 with the one before it
    F + "syGOAT__Mistral-v0.2-Translator-bf16/trainer_log.jsonl": {
        "series": {"train/learning_rate", "train/loss"},
        "train/loss": (866, (10, 2.4977, 0.004618937644341801), (8660, 0.1333, 4.0)),
        "train/learning_rate": (866, (10, 5.773672055427253e-07), (8660, 0.0)),
        "lines": {"train/loss": (1, 866)},
        "meta": {"global_step": 8660, "max_steps": 8660},
    },
    # two ranks wrote every line: 1358 loss lines for 656 steps; the later line of a step is kept
    F + "rameyjm7__SFT-Training-LLM/trainer_log.jsonl": {
        "series": {"train/learning_rate", "train/loss"},
        "train/loss": (656, (10, 0.8547, 0.010666666666666666), (6560, 0.3717, 6.9952)),
        "train/learning_rate": (656, (10, 9.999953642250429e-06), (6560, 2.8043594020865648e-11)),
        "points": {"train/loss": [(1000, 0.5601), (1010, 0.5478)]},
        "lines": {"train/loss": (2, 1358)},
        "meta": {"max_steps": 6566, "epoch": 7.0},
        "problems": [(Severity.INFO, "702 lines repeat a step")],
    },
}
#: Checkpoint sets: output dir -> (file read, files skipped, logging_steps read in the files).
CHECKPOINT_SETS = {
    F + "O5-7__chat_glm2_in4_LIL_prefix": ("trainer_state.json", [1000, 2000, 3000], 10),
    F + "subro608__Deep_learning_Bert_project2": ("checkpoint-2400/trainer_state.json", [500, 1000, 1500, 2000], 100),
    F + "syGOAT__Mistral-v0.2-Translator-bf16": ("trainer_state.json", list(range(500, 8501, 500)), 10),
    F + "tasfiahmrinmoyee__Gemma3-1B-Instruct-outputs": ("trainer_state.json", [*range(200, 3601, 200), 3765], 50),
}


def _point(curve: Curve, i: int) -> tuple:
    return int(curve.step[i]), float(curve.value[i]), float(curve.epoch[i])


def _check_point(curve: Curve, i: int, want: tuple, where: str) -> None:
    step, value, epoch = _point(curve, i)
    assert step == want[0], where
    assert value == pytest.approx(want[1], rel=1e-12, abs=0), where
    if len(want) > 2:
        assert epoch == pytest.approx(want[2], rel=1e-12, abs=0), where


def test_every_hf_sample_in_the_corpus_is_covered():
    root = realworld()
    found = {str(p.relative_to(root)) for name in ("trainer_state.json", "trainer_log.jsonl")
             for p in root.rglob(name)}
    covered = set(SAMPLES)
    for out_dir, (read, skipped, _) in CHECKPOINT_SETS.items():
        covered.add(f"{out_dir}/{read}")
        covered.update(f"{out_dir}/checkpoint-{n}/trainer_state.json" for n in skipped)
    assert found == covered


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_real_sample_gives_its_series_and_numbers(rel):
    path = realworld() / rel
    want = SAMPLES[rel]
    source = READER.read(str(path))
    assert source.format == "hf-trainer-state" and source.axis == "step"
    keys = {c.key for c in source.curves}
    if "count" in want:
        assert len(keys) == want["count"] and want["series"] <= keys
    else:
        assert keys == want["series"]
    assert not {k for k in keys if k.endswith(("runtime", "per_second", "num_tokens", "flos"))}
    curves = {c.key: c for c in source.curves}
    for key, spec in want.items():
        if "/" not in key:
            continue
        count, first, last = spec
        curve = curves[key]
        assert len(curve) == count, key
        _check_point(curve, 0, first, f"{key} first")
        _check_point(curve, -1, last, f"{key} last")
    for key, points in want.get("points", {}).items():
        step, value = np.asarray(curves[key].step), np.asarray(curves[key].value)
        for s, v in points:
            assert value[np.flatnonzero(step == s)].tolist() == [v], (key, s)
    for key, (first, last) in want.get("lines", {}).items():
        assert (int(curves[key].lines[0]), int(curves[key].lines[-1])) == (first, last)
    for k, v in want["meta"].items():
        assert source.meta[k] == v, k
    if "train_loss" in want:  # the summary entry is meta, not a point
        assert source.meta["train_summary"]["train_loss"] == want["train_loss"]
        assert want["train_loss"] not in curves["train/loss"].value
    expected = want.get("problems", [])
    assert len(source.problems) == len(expected)
    for problem, (severity, start) in zip(source.problems, expected):
        assert problem.severity == severity and problem.message.startswith(start)


@pytest.mark.parametrize("out_dir", sorted(CHECKPOINT_SETS))
def test_checkpoint_set_is_one_run_read_from_the_newest(out_dir):
    root = realworld()
    read, skipped, _ = CHECKPOINT_SETS[out_dir]
    report = lint(root / out_dir)
    runs = [r for r in report.runs if "hf-trainer-state" in r.format]
    assert len(runs) == 1
    run = runs[0]
    assert run.id == out_dir.rsplit("/", 1)[-1]
    assert run.axis == "step"
    assert str(root / out_dir / read) in run.sources
    assert run.meta["checkpoint_read"] == str(root / out_dir / read)
    assert sorted(run.meta["checkpoints_skipped"]) == sorted(
        str(root / out_dir / f"checkpoint-{n}" / "trainer_state.json") for n in skipped)
    assert not [f for f in report.findings if f.code in ("LOG001", "INT001")]


def test_trainer_log_beside_the_state_it_agrees_with_is_the_same_run():
    root = realworld()
    out = root / F / "syGOAT__Mistral-v0.2-Translator-bf16"
    run = lint(out).runs[0]
    assert run.sources == [str(out / "trainer_log.jsonl"), str(out / "trainer_state.json")]
    assert run.get("train/loss").lines is not None  # the copy with lines, so findings point at a line
    assert run.has("train/grad_norm")  # only in trainer_state.json


@pytest.mark.parametrize("out_dir", sorted(CHECKPOINT_SETS))
def test_each_checkpoint_alone_holds_a_prefix_of_the_newest(out_dir):
    root = realworld()
    read, skipped, logging_steps = CHECKPOINT_SETS[out_dir]
    newest = {c.key: c for c in READER.read(str(root / out_dir / read)).curves}["train/loss"]
    for n in skipped:
        source = READER.read(str(root / out_dir / f"checkpoint-{n}" / "trainer_state.json"))
        assert source.meta["global_step"] == n
        loss = {c.key: c for c in source.curves}["train/loss"]
        assert len(loss) == n // logging_steps
        assert loss.step[-1] == n // logging_steps * logging_steps
        assert np.array_equal(loss.value, newest.value[:len(loss)])


def test_checkpoint_named_directly_is_named_after_its_output_dir():
    root = realworld()
    path = root / "pfox1995__pest-hyperparameter-search/training_artifacts/checkpoint-950/trainer_state.json"
    report = lint(path)
    assert [r.id for r in report.runs] == ["training_artifacts"]
    assert report.runs[0].sources == [str(path)]


# --- hand-made edge cases ----------------------------------------------------------------------

def _state(last_step: int, *, every: int = 10, eval_every: int = 20, summary: bool = False,
           after: list[dict] | None = None, max_steps: int = 400) -> dict:
    """A TrainerState as `Trainer` saves it: one epoch is 100 steps here."""
    history: list[dict] = []
    for step in range(every, last_step + 1, every):
        history.append({"epoch": step / 100, "grad_norm": 2.0 - step / 1000, "learning_rate": 1e-3 * (1 - step / max_steps),
                        "loss": round(2.0 / (1 + step / 50), 4), "step": step})
        if step % eval_every == 0:
            history.append({"epoch": step / 100, "eval_accuracy": 0.5 + step / 1000, "eval_loss": 2.2 / (1 + step / 60),
                            "eval_wer": 40.0 - step / 10, "eval_runtime": 3.2, "eval_samples_per_second": 100.0,
                            "eval_steps_per_second": 5.0, "step": step})
    if summary:
        history.append({"epoch": last_step / 100, "step": last_step, "total_flos": 1.5e15, "train_loss": 0.987,
                        "train_runtime": 100.0, "train_samples_per_second": 5.0, "train_steps_per_second": 1.0})
    history.extend(after or [])
    return {"best_metric": None, "best_model_checkpoint": None, "epoch": last_step / 100, "eval_steps": eval_every,
            "global_step": last_step, "log_history": history, "logging_steps": every, "max_steps": max_steps,
            "num_train_epochs": 4, "trial_name": None}


def _save(path: Path, state: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")  # as TrainerState.save_to_json
    return path


def test_checkpoints_of_one_output_dir_are_one_run_from_the_newest(tmp_path):
    _save(tmp_path / "out" / "checkpoint-100" / "trainer_state.json", _state(100))
    _save(tmp_path / "out" / "checkpoint-200" / "trainer_state.json", _state(200))
    report = lint(tmp_path)
    assert [r.id for r in report.runs] == ["out"]
    run = report.runs[0]
    newest = str(tmp_path / "out" / "checkpoint-200" / "trainer_state.json")
    assert run.sources == [newest]
    assert run.meta["checkpoint_read"] == newest
    assert run.meta["checkpoints_skipped"] == [str(tmp_path / "out" / "checkpoint-100" / "trainer_state.json")]
    assert run.get("train/loss").step.tolist() == list(range(10, 201, 10))
    assert run.meta["global_step"] == 200 and run.meta["max_steps"] == 400


def test_final_state_in_the_output_dir_wins_a_tie_with_the_last_checkpoint(tmp_path):
    _save(tmp_path / "out" / "checkpoint-100" / "trainer_state.json", _state(100))
    _save(tmp_path / "out" / "checkpoint-200" / "trainer_state.json", _state(200))
    _save(tmp_path / "out" / "trainer_state.json", _state(200, summary=True))
    run = lint(tmp_path / "out").runs[0]
    assert run.sources == [str(tmp_path / "out" / "trainer_state.json")]
    assert len(run.meta["checkpoints_skipped"]) == 2
    assert run.meta["train_summary"]["train_loss"] == 0.987


def test_a_broken_newest_checkpoint_is_reported_and_the_one_before_it_read(tmp_path):
    _save(tmp_path / "out" / "checkpoint-100" / "trainer_state.json", _state(100))
    text = json.dumps(_state(200), indent=2, sort_keys=True)
    broken = tmp_path / "out" / "checkpoint-200" / "trainer_state.json"
    broken.parent.mkdir(parents=True)
    broken.write_text(text[:120])  # cut inside the head: no complete log entry
    report = lint(tmp_path)
    run = report.runs[0]
    assert run.sources == [str(tmp_path / "out" / "checkpoint-100" / "trainer_state.json")]
    assert run.get("train/loss").step[-1] == 100
    log001 = [f for f in report.findings if f.code == "LOG001"]
    assert len(log001) == 1 and log001[0].severity == Severity.ERROR
    assert log001[0].location.path == str(broken) and log001[0].location.line == text[:120].count("\n") + 1


def test_summary_entry_and_evaluations_after_training_are_not_points(tmp_path):
    final_eval = {"epoch": 2.0, "eval_loss": 0.123, "eval_runtime": 3.0, "step": 200}
    path = _save(tmp_path / "trainer_state.json", _state(200, summary=True, after=[final_eval]))
    source = READER.read(str(path))
    curves = {c.key: c for c in source.curves}
    assert curves["train/loss"].step[-1] == 200 and len(curves["train/loss"]) == 20
    assert 0.987 not in curves["train/loss"].value
    assert 0.123 not in curves["val/loss"].value and len(curves["val/loss"]) == 10
    assert "train/train_loss" not in curves and not any("runtime" in k or "flos" in k for k in curves)
    assert source.meta["train_summary"]["train_runtime"] == 100.0
    assert source.meta["logged_after_training"] == [final_eval]


def test_eval_metrics_are_val_series_and_counters_are_not_series(tmp_path):
    path = _save(tmp_path / "trainer_state.json", _state(100))
    source = READER.read(str(path))
    assert {c.key for c in source.curves} == {"train/loss", "train/learning_rate", "train/grad_norm", "val/loss",
                                               "val/accuracy", "val/wer"}
    curves = {c.key: c for c in source.curves}
    assert curves["val/accuracy"].step.tolist() == [20, 40, 60, 80, 100]
    assert curves["val/accuracy"].value.tolist() == [0.52, 0.54, 0.56, 0.58, 0.6]
    assert curves["val/wer"].value[0] == 38.0 and curves["val/wer"].raw_name == "eval_wer"
    assert curves["train/loss"].epoch.tolist() == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert curves["train/loss"].value[0] == 1.6667  # round(2 / 1.2, 4)
    assert curves["train/learning_rate"].value[-1] == pytest.approx(0.00075)
    run = lint(path).runs[0]
    assert run.axis == "step" and run.format == "hf-trainer-state"
    assert run.get("train/loss").epoch is not None  # carried through resolving (Curve.take)


def test_truncated_state_is_log001_with_its_position_and_complete_entries_kept(tmp_path):
    text = json.dumps(_state(200), indent=2, sort_keys=True)
    cut = text.index('"step": 100') + 5
    path = tmp_path / "run" / "trainer_state.json"
    path.parent.mkdir()
    path.write_text(text[:cut])
    report = lint(tmp_path)
    run = report.runs[0]
    assert run.get("train/loss").step[-1] == 90  # the entry holding step 100 was cut
    (finding,) = [f for f in report.findings if f.code == "LOG001"]
    assert finding.severity == Severity.ERROR
    assert finding.location.path == str(path) and finding.location.line == text[:cut].count("\n") + 1
    assert "invalid JSON" in finding.message and "complete log_history entries" in finding.message


def test_empty_log_history_is_reported_not_skipped(tmp_path):
    _save(tmp_path / "a" / "trainer_state.json", {"best_metric": None, "global_step": 0, "log_history": []})
    _save(tmp_path / "b" / "trainer_state.json", _state(0, summary=True))  # only the summary
    _save(tmp_path / "c" / "trainer_state.json", {"best_metric": None, "global_step": 0, "max_steps": 10})
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["a", "b", "c"]
    messages = {f.run: f.message for f in report.findings if f.code == "LOG001"}
    assert set(messages) == {"a", "b", "c"}
    assert all("holds no curve" in m for m in messages.values())
    assert "summary" in messages["b"] and "no log_history" in messages["c"]
    assert {f.severity for f in report.findings if f.code == "LOG001"} == {Severity.WARNING}


def test_trainer_log_lines_repeats_and_bad_lines(tmp_path):
    path = tmp_path / "trainer_log.jsonl"
    lines = [
        {"current_steps": 10, "total_steps": 30, "loss": 1.0, "lr": 1e-4, "epoch": 0.33, "percentage": 33.3},
        {"current_steps": 10, "total_steps": 30, "loss": 1.01, "lr": 1e-4, "epoch": 0.33, "percentage": 33.3},
        {"current_steps": 20, "total_steps": 30, "loss": 0.8, "eval_loss": 0.9, "lr": 5e-5, "epoch": 0.67},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + '\n{"current_steps": 30, "loss": 0.7\n'
    path.write_text(text)
    source = READER.read(str(path))
    curves = {c.key: c for c in source.curves}
    assert set(curves) == {"train/loss", "train/learning_rate", "val/loss"}
    assert curves["train/loss"].step.tolist() == [10, 20] and curves["train/loss"].value.tolist() == [1.01, 0.8]
    assert curves["train/loss"].lines.tolist() == [2, 3]
    assert curves["val/loss"].value.tolist() == [0.9]
    assert [(p.severity, p.line) for p in source.problems] == [(Severity.ERROR, 4), (Severity.INFO, None)]
    assert "1 line repeats a step" in source.problems[1].message


def test_sniff_and_names():
    assert READER.accepts_name("trainer_state.json") and READER.accepts_name("trainer_log.jsonl")
    assert not READER.accepts_name("history.json") and not READER.accepts_name("all_results.json")
    assert READER.sniff(b'{\n  "best_metric": null,\n  "epoch": 1.0,', "trainer_state.json")
    assert not READER.sniff(b'{"loss": [1.0, 0.5]}', "trainer_state.json")  # left to the history reader
    assert READER.sniff(b'{"current_steps": 10, "total_steps": 20, "loss": 1.0}', "trainer_log.jsonl")
    assert READER.run_directory(os.path.join("out", "checkpoint-500", "trainer_state.json")) == "out"
    assert READER.run_directory(os.path.join("checkpoint-500", "trainer_state.json")) == "."
    assert READER.run_directory(os.path.join("out", "trainer_state.json")) == "out"


def test_keras_train_dir_named_directly_is_named_after_its_log_dir(tmp_path):
    run_dir = write_keras_tensorboard(tmp_path / "logs" / "fit", OVERFIT)
    event = next((run_dir / "train").iterdir())
    report = lint(event)
    assert [r.id for r in report.runs] == ["fit"]


def test_other_formats_keep_the_epoch_axis_and_no_meta():
    run = Run(id="r", sources=[], format="keras-json")
    assert run.axis == "epoch" and run.meta == {}
    curve = Curve(name="loss", split="train", step=[0, 1, 2], value=[3.0, 2.0, 1.0])
    assert curve.epoch is None and curve.take(np.array([0, 2])).epoch is None
    stepped = Curve(name="loss", split="train", step=[10, 20, 30], value=[3.0, 2.0, 1.0], epoch=np.array([0.1, 0.2, 0.3]))
    assert stepped.take(np.array([1, 2])).epoch.tolist() == [0.2, 0.3]
    assert not math.isnan(stepped.epoch[0])


def _overfit_state(best_step: int, best_key: str) -> dict:
    """Train loss falls all along, eval_loss is lowest at step 100 and then climbs; the Trainer
    kept the checkpoint of `best_step` by `best_key` (its metric_for_best_model)."""
    state = _state(400, eval_every=20)
    for entry in state["log_history"]:
        if "eval_loss" in entry:
            s = entry["step"]
            entry["eval_loss"] = round(0.5 + ((s - 100) / 100) ** 2 * 0.3 + 0.002 * (s % 40 == 0), 5)
    best = next(e for e in state["log_history"] if e.get("step") == best_step and best_key in e)
    state.update(best_metric=best[best_key], best_model_checkpoint=f"out/checkpoint-{best_step}", best_global_step=best_step)
    return state


@pytest.mark.parametrize("best_step, best_key", [(100, "eval_loss"), (300, "eval_wer")])
def test_the_trainers_own_best_checkpoint_is_evidence(tmp_path, best_step, best_key):
    _save(tmp_path / "out" / "trainer_state.json", _overfit_state(best_step, best_key))
    report = lint(tmp_path / "out")
    (gen001,) = [f for f in report.findings if f.code == "GEN001"]
    assert f"the Trainer recorded `checkpoint-{best_step}` ({best_key} " in gen001.message
    assert gen001.evidence["best_model_checkpoint"] == f"out/checkpoint-{best_step}"
    assert gen001.evidence["best_global_step"] == best_step
    assert gen001.evidence["best_metric_series"] == best_key


def test_no_best_checkpoint_no_clause(tmp_path):
    _save(tmp_path / "out" / "trainer_state.json", _overfit_state(100, "eval_loss") | {
        "best_metric": None, "best_model_checkpoint": None, "best_global_step": None})
    (gen001,) = [f for f in lint(tmp_path / "out").findings if f.code == "GEN001"]
    assert "Trainer recorded" not in gen001.message and "best_model_checkpoint" not in gen001.evidence
