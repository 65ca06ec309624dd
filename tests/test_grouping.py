"""One training is one run, and one run is one training.

A history JSON or CSVLogger file and the TensorBoard dir(s) of the same `fit()` below it are one
run when their numbers agree, whatever the dir is called; unrelated runs side by side stay apart,
and a pair meant to be one run that disagrees is said so. Event files of separate trainings in one
TensorBoard dir (another writer process or host, steps starting again) are separate runs `<id>#n`;
a resumed training stays one run.
"""

from __future__ import annotations

import os

import pytest

from conftest import HEALTHY, OVERFIT, realworld, write_csvlogger, write_events, write_history_json, write_keras_tensorboard
from curvelint.discover import discover
from curvelint.engine import Linter
from curvelint.readers.builtin import curvelint_readers


def lint(*paths):
    return Linter.create().lint_paths([str(p) for p in paths])


def notes(report):
    return [e for e in report.errors if not e.fatal]


def other(history, factor=1.5):
    return {k: [v * factor for v in vals] for k, vals in history.items()}


# -- a run folder with its TensorBoard dirs ------------------------------------------------------


@pytest.mark.parametrize("subdir", ["logs", "tb_logs", "tensorboard", "logs/fit/20240101-120000"])
def test_csv_and_tensorboard_dir_of_one_fit_are_one_run(tmp_path, subdir):
    write_csvlogger(tmp_path / "exp" / "history.csv", OVERFIT)
    write_keras_tensorboard(tmp_path / "exp" / subdir, OVERFIT)  # float32 copies of the same numbers
    report = lint(tmp_path)
    assert [r.id for r in report.runs] == ["exp"]
    run = report.runs[0]
    assert run.format == "keras-csv+tensorboard"
    assert len(run.sources) == 3 and run.sources[0].endswith("history.csv")
    assert notes(report) == []
    # every finding once, pointing at the CSV line
    gen = [f for f in report.findings if f.code == "GEN001"]
    assert len(gen) == 1 and gen[0].location.path.endswith("history.csv")


def test_json_csv_and_tensorboard_of_one_fit_are_one_run(tmp_path):
    write_history_json(tmp_path / "exp" / "history.json", OVERFIT)
    write_csvlogger(tmp_path / "exp" / "training.log", OVERFIT)
    write_keras_tensorboard(tmp_path / "exp" / "logs", OVERFIT)
    report = lint(tmp_path)
    assert [(r.id, r.format, len(r.sources)) for r in report.runs] == [("exp", "keras-csv+keras-json+tensorboard", 4)]


def test_tensorboard_dir_cut_short_still_joins_its_csv(tmp_path):
    # the process was killed before the event file was flushed: fewer epochs, the same numbers
    write_csvlogger(tmp_path / "exp" / "history.csv", OVERFIT)
    write_keras_tensorboard(tmp_path / "exp" / "logs", {k: v[:8] for k, v in OVERFIT.items()})
    report = lint(tmp_path)
    assert [r.id for r in report.runs] == ["exp"]
    assert report.runs[0].epochs == 12


def test_tensorboard_dir_that_disagrees_is_its_own_run_and_said_so(tmp_path):
    write_csvlogger(tmp_path / "exp" / "history.csv", OVERFIT)
    write_keras_tensorboard(tmp_path / "exp" / "tb_logs", other(OVERFIT))
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["exp", "exp/tb_logs"]
    [note] = notes(report)
    assert note.path.endswith("tb_logs") and "disagrees with" in note.message and "history.csv" in note.message
    assert "at epoch 0" in note.message and "linted as separate runs" in note.message


def test_sweep_folders_keep_each_run_with_its_own_tensorboard_dir(tmp_path):
    for name, history in (("lr_0.1", OVERFIT), ("lr_0.01", other(OVERFIT, 0.7)), ("lr_0.001", other(OVERFIT, 0.4))):
        write_history_json(tmp_path / "sweep" / name / "history.json", history)
        write_keras_tensorboard(tmp_path / "sweep" / name / "logs", history)
    report = lint(tmp_path / "sweep")
    assert sorted((r.id, len(r.sources)) for r in report.runs) == [("lr_0.001", 3), ("lr_0.01", 3), ("lr_0.1", 3)]
    assert notes(report) == []


def test_unrelated_tensorboard_dirs_below_a_csv_stay_separate_without_notes(tmp_path):
    write_csvlogger(tmp_path / "project" / "metrics.csv", HEALTHY)
    for i, factor in enumerate((0.5, 0.8, 1.3)):
        write_keras_tensorboard(tmp_path / "project" / "runs" / f"run{i}", other(OVERFIT, factor))
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["project", "project/runs/run0", "project/runs/run1", "project/runs/run2"]
    assert notes(report) == []  # a crowded folder: no pair is plainly meant to be one run


def test_tensorboard_dir_far_below_is_not_joined(tmp_path):
    write_csvlogger(tmp_path / "exp" / "history.csv", OVERFIT)
    write_keras_tensorboard(tmp_path / "exp" / "a" / "b" / "c" / "d", OVERFIT)
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["exp", "exp/a/b/c/d"]


def test_many_files_in_one_folder_pair_up_by_agreement_only(tmp_path):
    # unrelated CSV and JSON runs side by side, and one run saved both ways
    for i in range(6):
        write_csvlogger(tmp_path / f"run_{i}.csv", other(OVERFIT, 1 + i / 10))
        write_history_json(tmp_path / f"fit_{i}.json", other(OVERFIT, 2 + i / 10))
    write_csvlogger(tmp_path / "both.csv", other(OVERFIT, 0.5))
    write_history_json(tmp_path / "both.json", other(OVERFIT, 0.5))
    report = lint(tmp_path)
    assert len(report.runs) == 13
    both = [r for r in report.runs if len(r.sources) == 2]
    assert [r.id for r in both] == ["both.csv"] and notes(report) == []


def test_same_stem_in_two_formats_that_disagree_is_said_so(tmp_path):
    for i in range(3):
        write_csvlogger(tmp_path / f"run_{i}.csv", other(OVERFIT, 1 + i / 10))
    write_history_json(tmp_path / "run_1.json", other(OVERFIT, 3))
    report = lint(tmp_path)
    [note] = notes(report)
    assert note.path.endswith("run_1.json") and "disagrees with" in note.message and "run_1.csv" in note.message


def test_the_same_file_named_twice_is_read_once(tmp_path):
    p = write_csvlogger(tmp_path / "exp" / "training.log", OVERFIT)
    os.link(p, tmp_path / "exp" / "copy.log")  # a hard link: one file
    groups, _ = discover([str(tmp_path), str(p)], sorted(curvelint_readers(), key=lambda r: r.priority))
    assert [len(g.files) for g in groups] == [1]


# -- several trainings in one TensorBoard dir ----------------------------------------------------


def _two_processes(tmp_path, second_start=0, host2="host", pid2=2222):
    d = tmp_path / "logs"
    write_events(d / "train" / "events.out.tfevents.1700000000.host.1111.0.v2",
                 {"loss": OVERFIT["loss"]}, wall0=1_700_000_000)
    write_events(d / "validation" / "events.out.tfevents.1700000001.host.1111.1.v2",
                 {"loss": OVERFIT["val_loss"]}, wall0=1_700_000_001)
    later = 1_700_000_000 + 14 * 3600
    write_events(d / "train" / f"events.out.tfevents.{later}.{host2}.{pid2}.0.v2",
                 {"loss": HEALTHY["loss"][second_start:]}, start=second_start, wall0=later)
    write_events(d / "validation" / f"events.out.tfevents.{later + 1}.{host2}.{pid2}.1.v2",
                 {"loss": HEALTHY["val_loss"][second_start:]}, start=second_start, wall0=later + 1)
    return d


def test_two_writer_processes_starting_again_are_two_runs(tmp_path):
    _two_processes(tmp_path)
    report = lint(tmp_path)
    assert [(r.id, r.epochs, len(r.sources)) for r in report.runs] == [("logs#1", 12, 2), ("logs#2", 10, 2)]
    assert all(".1111." in s for s in report.runs[0].sources) and all(".2222." in s for s in report.runs[1].sources)
    assert report.runs[0].meta["training"]["number"] == 1 and report.runs[1].meta["training"]["of"] == 2
    assert "another process (2222)" in report.runs[1].meta["training"]["why"]
    [note] = notes(report)
    assert "2 separate trainings" in note.message and "logs#1" in note.message and "logs#2" in note.message
    assert "14 h after" in note.message and "steps starting again at 0" in note.message
    # the overfit first training is linted, not overwritten by the second
    assert any(f.code == "GEN001" and f.run == "logs#1" for f in report.findings)


def test_another_host_is_another_training(tmp_path):
    _two_processes(tmp_path, host2="gpu-node-7", pid2=1111)
    report = lint(tmp_path)
    assert [r.id for r in report.runs] == ["logs#1", "logs#2"]
    assert "another host (gpu-node-7)" in notes(report)[0].message


def test_a_new_process_whose_steps_continue_is_a_resume_one_run(tmp_path):
    _two_processes(tmp_path, second_start=5)
    report = lint(tmp_path)
    assert [r.id for r in report.runs] == ["logs"] and notes(report) == []
    assert len(report.runs[0].sources) == 4


def test_one_process_writing_several_files_is_one_log(tmp_path):
    # a notebook kernel calling fit() twice: one writer process, so not separate trainings by
    # file name; whether the second fit continued the model is read from the curves (attempts)
    d = tmp_path / "logs" / "train"
    write_events(d / "events.out.tfevents.1700000000.host.1111.0.v2", {"loss": OVERFIT["loss"]}, wall0=1_700_000_000)
    write_events(d / "events.out.tfevents.1700090000.host.1111.1.v2", {"loss": OVERFIT["loss"][-1:] * 5}, wall0=1_700_090_000)
    report = lint(tmp_path)
    assert not [n for n in notes(report) if "separate trainings" in n.message]
    assert all("training" not in r.meta for r in report.runs)
    assert sorted(s for r in report.runs for s in r.sources) == sorted(str(p) for p in d.iterdir())


def test_names_without_pid_split_on_a_long_pause_with_steps_starting_again(tmp_path):
    d = tmp_path / "run"
    write_events(d / "events.out.tfevents.1500000000.brain", {"loss": OVERFIT["loss"]}, wall0=1_500_000_000)
    write_events(d / "events.out.tfevents.1500100000.brain", {"loss": HEALTHY["loss"]}, wall0=1_500_100_000)
    report = lint(tmp_path)
    assert [r.id for r in report.runs] == ["run#1", "run#2"]
    assert "after a pause" in notes(report)[0].message


# -- the real corpus -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus():
    root = realworld()
    return root, Linter.create().lint_paths([str(root)])


def test_real_tensorboard_dir_with_two_trainings_14_hours_apart(corpus):
    # logs/train + logs/validation hold pid 32972 (250 epochs) and pid 18464 (52 epochs, 14 h later)
    root, report = corpus
    runs = {r.id: r for r in report.runs if r.id.startswith("AndreyPrado__Pronostico_Caudales_Extremos/logs")}
    assert sorted(runs) == ["AndreyPrado__Pronostico_Caudales_Extremos/logs#1", "AndreyPrado__Pronostico_Caudales_Extremos/logs#2"]
    first, second = runs["AndreyPrado__Pronostico_Caudales_Extremos/logs#1"], runs["AndreyPrado__Pronostico_Caudales_Extremos/logs#2"]
    assert first.get("train/loss") is not None and len(first.get("train/loss")) == 250
    assert len(second.get("train/loss")) == 52
    assert all(".32972." in s for s in first.sources) and all(".18464." in s for s in second.sources)
    [note] = [n for n in notes(report) if "AndreyPrado" in n.path]
    assert "2 separate trainings" in note.message and "another process (18464)" in note.message and "14 h" in note.message


def test_real_history_and_tensorboard_of_one_fit_are_one_run(corpus):
    root, report = corpus
    for run_id, n in (("GeorgeD88__BasicShapeIdentifierNN", 3),          # model_history.json + tensorboard-logs/
                      ("amckenna41__DCBLSTM_PSP/results", 4),            # training.log + logs/ (with profile-empty)
                      ("Milogav__keras-siamese-network-mnist/models", 2)):  # training.log + tensorboard/<time>/
        [run] = [r for r in report.runs if r.id == run_id]
        assert len(run.sources) == n and "tensorboard" in run.format, run_id
        assert not [r for r in report.runs if r.id.startswith(run_id + "/")], run_id


def test_real_history_and_an_unrelated_tensorboard_dir_stay_apart_and_said_so(corpus):
    root, report = corpus
    ids = {r.id for r in report.runs if r.id.startswith("raphaelsales__oasisbrains")}
    assert ids == {"raphaelsales__oasisbrains", "raphaelsales__oasisbrains/logs_cnn_3d_improved/fold_3"}
    [note] = [n for n in notes(report) if "raphaelsales" in n.path]
    assert "disagrees with" in note.message and "model_history.json" in note.message


def test_real_resumed_writer_of_one_process_is_one_run(corpus):
    # HF Trainer's SummaryWriter: two files of pid 107869 16 h apart (train steps, then the eval)
    root, report = corpus
    runs = [r for r in report.runs if r.id.startswith("10844110__t5-summarization-demo")]
    assert [len(r.sources) for r in runs] == [2] and "#" not in runs[0].id
