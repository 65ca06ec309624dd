"""The Ultralytics reader: every `results.csv` in ../shared/realworld/formats (detect, segment,
classify, pose; old padded 0-based files, new 1-based ones, YOLOv5's names) checked against the
first and last rows read by hand from the files (head/tail, not code), the total losses the rules
read, and hand-made edge cases: truncated and empty files, NaN cells, args.yaml, sniffing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import realworld
from curvelint.engine import Linter
from curvelint.model import Severity
from curvelint.readers.ultralytics import UltralyticsReader, is_ultralytics, yolo_name

READER = UltralyticsReader()
F = "formats/"

DETECT = {"train/box_loss", "train/cls_loss", "train/dfl_loss", "val/box_loss", "val/cls_loss", "val/dfl_loss",
          "val/precision", "val/recall", "val/map50", "val/map50_95", "train/learning_rate", "train/lr_pg1",
          "train/lr_pg2", "train/loss", "val/loss"}
MASK = {"val/precision_mask", "val/recall_mask", "val/map50_mask", "val/map50_95_mask"}
POSE = {"val/precision_pose", "val/recall_pose", "val/map50_pose", "val/map50_95_pose"}
CLASSIFY = {"train/loss", "val/loss", "val/accuracy", "val/accuracy_top5", "train/learning_rate", "train/lr_pg1",
            "train/lr_pg2"}

# file -> task, (first epoch, last epoch, rows), series, and (first, last) values of some series;
# "terms" -> the loss terms whose sum is each split's total at the first and last row.
SAMPLES: dict[str, dict] = {
    F + "01-Zhangsaisai__Wheat-Weed-Detection-YOLOv8/runs/detect/train/results.csv": {
        "task": "detect", "epochs": (1, 102, 102), "series": DETECT, "time": (9.91891, 833.209),
        "values": {"train/box_loss": (1.1267, 0.72402), "val/map50": (0.77837, 0.82831),
                   "val/map50_95": (0.50016, 0.50396), "val/precision": (0.65713, 0.75404),
                   "val/recall": (0.75043, 0.79263), "train/learning_rate": (3.334e-05, 0.000555778)},
        "terms": {"train": ((1.1267, 1.17186, 1.15737), (0.72402, 0.58595, 0.93761)),
                  "val": ((1.31339, 1.33454, 1.25503), (1.39398, 1.01914, 1.36186))},
    },
    F + "A-Alviento__rock-paper-scissors-yolo-object-detection/runs/detect/train/results.csv": {
        "task": "detect", "epochs": (0, 99, 100), "series": DETECT,  # old padded style, CRLF endings
        "values": {"val/map50": (0.70463, 0.95756), "train/learning_rate": (0.070032, 0.000298),
                   "train/lr_pg1": (0.0033298, 0.000298)},
        "terms": {"train": ((1.4449, 2.6958, 1.5728), (0.61568, 0.4143, 0.99515)),
                  "val": ((1.7189, 1.6238, 1.6487), (0.9366, 0.50768, 1.157))},
    },
    F + "Abhinaya35__dental-tooth-detection-yolov8/runs/detect/train/results.csv": {
        "task": "detect", "epochs": (1, 55, 55), "series": DETECT, "time": (18.1322, 883.467),
        "values": {"val/cls_loss": (9.41175, 2.385), "val/map50": (0.07444, 0.43599)},
        "terms": {"train": ((1.85087, 3.97148, 1.55091), (0.92421, 0.5981, 1.01127)),
                  "val": ((1.35387, 9.41175, 1.23539), (1.16252, 2.385, 1.20235))},
    },
    F + "Abonia1__YOLOv8-Fire-and-Smoke-Detection/runs/detect/train/results.csv": {
        "task": "detect", "epochs": (0, 24, 25), "series": DETECT,
        "values": {"val/map50_95": (0.05583, 0.45929), "val/box_loss": (2.335, 1.4933)},
        "terms": {"train": ((1.6878, 3.3859, 2.143), (0.93868, 0.66467, 1.6412)),
                  "val": ((2.335, 2.822, 3.3394), (1.4933, 0.92472, 2.2912))},
    },
    F + "Alexandor136__YOLOv11_cls/runs/classify/train3/results.csv": {
        "task": "classify", "epochs": (1, 20, 20), "series": CLASSIFY, "time": (246.636, 4777.66),
        "values": {"train/loss": (1.63467, 0.03483), "val/loss": (0.09469, 0.00116),
                   "val/accuracy": (0.97203, 1.0), "val/accuracy_top5": (0.99767, 1.0)},
    },
    F + "BhushanMalusare__Car-Segmentation-using-YOLOv8/runs/segment/train/results.csv": {
        "task": "segment", "epochs": (1, 10, 10), "series": DETECT | MASK | {"train/seg_loss", "val/seg_loss"},
        "values": {"val/precision": (0.00333, 0.99789), "val/map50_mask": (0.85934, 0.995),
                   "val/map50_95_mask": (0.77977, 0.97103), "val/map50_95": (0.74678, 0.91948)},
        "terms": {"train": ((0.96712, 4.0523, 3.3624, 1.526), (0.36176, 0.56479, 1.0037, 0.9761)),
                  "val": (None, (0.39764, 0.41697, 1.2477, 1.0515))},
    },
    F + "DDSSMahith__Pothole-Segmentation-using-YOLOv8/runs/segment/train/results.csv": {
        "task": "segment", "epochs": (1, 10, 10), "time": (1281.61, 8969.45),
        "series": DETECT | MASK | {"train/seg_loss", "val/seg_loss", "train/sem_loss", "val/sem_loss"}
        | {f"train/lr_pg{n}" for n in range(3, 8)},
        "values": {"train/sem_loss": (0.0, 0.0), "train/lr_pg7": (0.000662963, 0.000218),
                   "val/map50_mask": (0.1005, 0.72297)},
        "terms": {"train": ((1.68156, 3.86014, 3.44799, 1.68701, 0.0), (1.12136, 1.94118, 1.60517, 1.20953, 0.0)),
                  "val": ((1.57829, 2.92578, 3.12445, 1.48082, 0.0), (1.34199, 2.18719, 1.6338, 1.27818, 0.0))},
    },
    F + "Grafit-Kil__helmet-detection-yolov5/runs/train/exp2/results.csv": {
        "task": "detect", "epochs": (0, 149, 150),  # YOLOv5: obj_loss, mAP_0.5, x/lr0
        "series": {"train/box_loss", "train/obj_loss", "train/cls_loss", "val/box_loss", "val/obj_loss", "val/cls_loss",
                   "val/precision", "val/recall", "val/map50", "val/map50_95", "train/learning_rate", "train/lr_pg1",
                   "train/lr_pg2", "train/loss", "val/loss"},
        "values": {"val/map50": (0.00078878, 0.81077), "val/map50_95": (0.00018939, 0.49232),
                   "train/learning_rate": (0.0937, 0.000232), "train/cls_loss": (0.0, 0.0)},
        "terms": {"train": ((0.12278, 0.023659, 0.0), (0.020972, 0.01094, 0.0)),
                  "val": ((0.11717, 0.016575, 0.0), (0.036326, 0.010594, 0.0))},
    },
    F + "Kamkus__Fruits-and-Vegetables-classification-using-YOLOv8/runs/classify/train/results.csv": {
        "task": "classify", "epochs": (1, 20, 20), "series": CLASSIFY,
        "values": {"train/loss": (2.9436, 0.1859), "val/loss": (3.2618, 2.7829), "val/accuracy": (0.66162, 0.90909)},
    },
    F + "chrismuntean__YOLO11n-pose-hands/runs/pose/train/results.csv": {
        "task": "pose", "epochs": (1, 100, 100), "time": (102.937, 9685.15),
        "series": DETECT | POSE | {"train/pose_loss", "train/kobj_loss", "val/pose_loss", "val/kobj_loss"},
        "values": {"train/pose_loss": (9.63061, 1.40361), "val/map50_95_pose": (0.02013, 0.75744)},
        "terms": {"train": ((0.99263, 9.63061, 0.6922, 0.83263, 1.35747), (0.41341, 1.40361, 0.06141, 0.21888, 0.95116)),
                  "val": ((0.86874, 7.04581, 0.55465, 0.50137, 1.24765), (0.49297, 1.6327, 0.03806, 0.24063, 0.93757))},
    },
}


def lint(*paths):
    return Linter.create().lint_paths([str(p) for p in paths])


def test_every_results_csv_in_the_corpus_is_covered():
    root = realworld()
    found = {str(p.relative_to(root)) for p in (root / "formats").rglob("results.csv")}
    assert found == set(SAMPLES)


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_real_sample_gives_its_series_and_numbers(rel):
    path = realworld() / rel
    want = SAMPLES[rel]
    source = READER.read(str(path))
    assert source.format == "ultralytics" and source.axis == "epoch" and not source.problems
    assert source.meta == {"framework": "ultralytics", "task": want["task"]}
    curves = {c.key: c for c in source.curves}
    assert set(curves) == want["series"]
    first, last, rows = want["epochs"]
    for curve in curves.values():
        assert len(curve) == rows and curve.step[0] == first and curve.step[-1] == last, curve.key
        assert curve.lines[0] == 2 and curve.lines[-1] == rows + 1  # the CSV row a finding points at
    for key, (v0, v1) in want["values"].items():
        assert (curves[key].value[0], curves[key].value[-1]) == (v0, v1), key
    for split, ends in want.get("terms", {}).items():
        total = curves[f"{split}/loss"]
        terms = [c for c in curves.values() if c.split == split and c.name.endswith("_loss")]
        assert total.raw_name == f"{split}/loss ({'+'.join(t.name[:-5] for t in terms)})"
        for i, row in zip((0, -1), ends):
            if row is not None:
                assert total.value[i] == pytest.approx(sum(row), rel=1e-12), (split, i)
    if "time" in want:
        assert (curves["train/loss"].wall_time[0], curves["train/loss"].wall_time[-1]) == want["time"]
    else:
        assert curves["train/loss"].wall_time is None


def test_old_padded_segment_sample_has_its_first_val_terms():
    path = realworld() / F / "BhushanMalusare__Car-Segmentation-using-YOLOv8/runs/segment/train/results.csv"
    curves = {c.key: c for c in READER.read(str(path)).curves}
    # line 2 of the file, read by hand: val/box_loss 0.43699, val/seg_loss 0.6368, val/cls_loss 3.1651
    assert curves["val/box_loss"].value[0] == 0.43699 and curves["val/seg_loss"].value[0] == 0.6368
    assert curves["val/cls_loss"].value[0] == 3.1651
    assert curves["val/loss"].value[0] == pytest.approx(0.43699 + 0.6368 + 3.1651 + curves["val/dfl_loss"].value[0])


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_real_run_dir_is_one_ultralytics_run_named_after_it(rel):
    root = realworld()
    run_dir = (root / rel).parent
    report = lint(run_dir.parent)
    runs = [r for r in report.runs if r.sources == [str(run_dir / "results.csv")]]
    assert len(runs) == 1
    run = runs[0]
    assert run.id == run_dir.name and run.format == "ultralytics" and run.meta["framework"] == "ultralytics"
    assert not [f for f in report.findings if f.code in ("LOG001", "INT001")]


def test_known_findings_on_real_runs():
    root = realworld()
    # val/cls_loss bottoms 1.84 at epoch 34 then rises to 2.39 while train/cls_loss falls (MANIFEST):
    # the total validation loss the rules read rises from its minimum too, named as the sum it is
    report = lint(root / F / "Abhinaya35__dental-tooth-detection-yolov8")
    (gen001,) = [f for f in report.findings if f.code == "GEN001"]
    assert gen001.message.startswith("val/loss (box+cls+dfl) rose")
    assert gen001.series[0] == "val/loss" and gen001.evidence["best_epoch"] == 40
    assert gen001.location.path.endswith("results.csv") and gen001.location.line == 41  # epoch 40's row


# --- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, split, name", [
    ("train/box_loss", "train", "box_loss"), ("val/dfl_loss", "val", "dfl_loss"), ("train/loss", "train", "loss"),
    ("metrics/mAP50(B)", "val", "map50"), ("metrics/mAP50-95(B)", "val", "map50_95"),
    ("metrics/mAP50-95(M)", "val", "map50_95_mask"), ("metrics/precision(P)", "val", "precision_pose"),
    ("metrics/mAP50B", "val", "map50"), ("metrics/mAP50-95B", "val", "map50_95"), ("metrics/recallM", "val", "recall_mask"),
    ("metrics/mAP_0.5", "val", "map50"), ("metrics/mAP_0.5:0.95", "val", "map50_95"), ("metrics/precision", "val", "precision"),
    ("metrics/accuracy_top1", "val", "accuracy"), ("metrics/accuracy_top5", "val", "accuracy_top5"),
    ("lr/pg0", "train", "learning_rate"), ("lr/pg2", "train", "lr_pg2"), ("x/lr0", "train", "learning_rate"),
])
def test_yolo_names(raw, split, name):
    got = yolo_name(raw)
    assert got is not None and (got.split, got.name) == (split, name)


def test_other_names_are_not_taken_for_ultralytics_ones():
    assert yolo_name("val_loss") is None and yolo_name("loss") is None and yolo_name("metrics/f1_macro") is None
    assert is_ultralytics(["train/box_loss", "metrics/mAP50B", "lr/pg0"])
    assert not is_ultralytics(["train/loss", "val/loss"]) and not is_ultralytics(["loss", "val_loss", "lr"])


# --- hand-made edge cases --------------------------------------------------------------------

HEADER = ("epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),metrics/recall(B),"
          "metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,val/dfl_loss,lr/pg0,lr/pg1,lr/pg2")


def _row(epoch: int) -> str:
    t = epoch / 10
    return ",".join(str(x) for x in (epoch, 10.0 * epoch, 1.5 - t, 2.0 - t, 1.2 - t / 2, 0.3 + t / 5, 0.4 + t / 5,
                                      0.35 + t / 5, 0.2 + t / 10, 1.6 - t, 2.1 - t, 1.3 - t / 2, 0.001, 0.001, 0.001))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_truncated_results_keep_complete_rows_and_report_the_cut_line(tmp_path):
    text = HEADER + "\n" + "\n".join(_row(e) for e in range(1, 6)) + "\n" + _row(6)[:25] + "\n"
    path = _write(tmp_path / "runs" / "detect" / "train" / "results.csv", text)
    report = lint(tmp_path / "runs")
    (run,) = report.runs
    assert run.id == "detect/train"
    # the cut row holds its first cells only: they are kept, the missing ones are not invented
    assert run.get("val/box_loss").step.tolist() == [1, 2, 3, 4, 5]
    (finding,) = [f for f in report.findings if f.code == "LOG001"]
    assert finding.severity == Severity.ERROR and finding.location.path == str(path) and finding.location.line == 7
    assert "cells" in finding.message


def test_nan_cells_are_kept_and_make_the_total_nan(tmp_path):
    rows = [_row(e) for e in range(1, 6)]
    cells = rows[2].split(",")
    cells[10] = "nan"  # val/cls_loss at epoch 3
    rows[2] = ",".join(cells)
    path = _write(tmp_path / "results.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    curves = {c.key: c for c in READER.read(str(path)).curves}
    assert math.isnan(curves["val/cls_loss"].value[2]) and math.isnan(curves["val/loss"].value[2])
    assert np.isfinite(curves["val/loss"].value[[0, 1, 3, 4]]).all()
    assert curves["train/loss"].value[0] == pytest.approx(1.4 + 1.9 + 1.15)


def test_empty_and_header_only_files(tmp_path):
    empty = _write(tmp_path / "a" / "results.csv", "")
    header_only = _write(tmp_path / "b" / "results.csv", HEADER + "\n")
    report = lint(empty, header_only)
    assert {f.location.path for f in report.findings if f.code == "LOG001"} >= {str(empty)}
    run_b = next(r for r in report.runs if r.sources == [str(header_only)])
    assert run_b.curves == []


def test_args_yaml_beside_the_results_is_evidence(tmp_path):
    run_dir = tmp_path / "runs" / "detect" / "train2"
    _write(run_dir / "results.csv", HEADER + "\n" + "\n".join(_row(e) for e in range(1, 4)) + "\n")
    _write(run_dir / "args.yaml", "task: detect\nmode: train\nmodel: yolov8n.pt\nepochs: 100\npatience: 50\n"
                                  "lr0: 0.01\nclose_mosaic: 10\nproject: null\nnames: [a, b]\n")
    source = READER.read(str(run_dir / "results.csv"))
    assert source.meta["args"] == {"task": "detect", "mode": "train", "model": "yolov8n.pt", "epochs": 100,
                                   "patience": 50, "lr0": 0.01, "close_mosaic": 10}
    _write(run_dir / "args.yaml", "epochs: [unclosed\n")  # unreadable args never cost the results
    assert "args" not in READER.read(str(run_dir / "results.csv")).meta


def test_sniff_and_names(tmp_path):
    assert READER.accepts_name("results.csv") and not READER.accepts_name("training.csv")
    assert READER.sniff((HEADER + "\n").encode(), "results.csv")
    assert READER.sniff(b"                  epoch,         train/box_loss,         train/cls_loss,"
                        b"   metrics/precision(B),                 lr/pg0\n", "results.csv")
    assert not READER.sniff(b"epoch,loss,val_loss\n0,1.0,1.1\n", "results.csv")  # a CSVLogger file of that name
    keras = _write(tmp_path / "results.csv", "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.6,0.8\n")
    run = lint(keras).runs[0]
    assert run.format != "ultralytics" and run.has("val/loss")


# --- remediations in Ultralytics' words ----------------------------------------------------------

YOLO_MARKS = ("box_loss", "accuracy_top1", "mAP50")
KERAS_WORDS = ("model.fit", "keras.", "EarlyStopping(", "validation_data", "restore_best_weights", "clipnorm")


def test_every_rule_with_framework_advice_speaks_ultralytics():
    host = Linter.create().host
    missing = [r.code for r in host.rules.values() if r.remediations and "ultralytics" not in r.remediations]
    assert not missing


def test_yolo_runs_get_remediations_in_ultralytics_words():
    """Every finding on the real YOLO samples (results.csv and YOLO runs in MLflow / W&B) advises
    `model.train(...)` arguments, never Keras callbacks."""
    report = Linter.create().lint_paths([str(realworld() / "formats")])
    # YOLO runs told by what they logged, not by the code under test
    yolo = {r.id for r in report.runs if any(m in c.raw_name for c in r.curves for m in YOLO_MARKS)}
    assert len(yolo) >= 10
    advised = [f for f in report.findings if f.run in yolo and f.remediation]
    assert advised
    for f in advised:
        assert not any(w in f.remediation for w in KERAS_WORDS), (f.run, f.code, f.remediation)
    words = " ".join(f.remediation for f in advised)
    assert "model.train(" in words and "patience" in words
