"""The W&B reader: run dirs written by the real `wandb` in offline mode (transaction logs of the
current client, read back and compared with the numbers logged), every W&B run in
../shared/realworld/formats checked against rows read by hand (head/tail/grep), and hand-made edge
cases: truncated and corrupt transaction logs, the extra missing, truncated JSON lines, summary-only
runs, Hugging Face's WandbCallback rows. Linting never imports mlflow or wandb unless a `.wandb`
file is read."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import realworld
from curvelint.engine import Linter
from curvelint.model import Severity
from curvelint.readers.base import ReadError
from curvelint.readers.wandb_run import WandbRunReader, frames

READER = WandbRunReader()
F = "formats/"
NAN = float("nan")


def lint(*paths):
    return Linter.create().lint_paths([str(p) for p in paths])


def _need_wandb() -> None:
    """The real package is a test extra: CI must have it, a bare checkout skips."""
    try:
        import wandb.proto.wandb_internal_pb2  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("wandb is not installed: pip install -e '.[test]'")
        pytest.skip("wandb is not installed (extra [wandb])")


# --- run dirs written by the real wandb, offline -------------------------------------------------

EPOCHS = 8
#: run "epochs": one wandb.log per epoch; NaN in val/loss at epoch 5; a nested dict
EPOCH_ROWS = [{"train/loss": 1.0 / (e + 1), "val/loss": (1.5 - 0.125 * e) if e != 5 else NAN, "epoch": e,
               "acc": {"top1": 0.5 + e / 64}} for e in range(EPOCHS)]
#: run "batches": 12 batch rows (3 epochs of 4), a validation row after each epoch
BATCH_ROWS: list[dict] = []
for _b in range(12):
    BATCH_ROWS.append({"loss": 2.0 - _b / 8, "epoch": _b // 4})
    if _b % 4 == 3:
        BATCH_ROWS.append({"val_loss": 2.25 - _b / 16})

WRITE = textwrap.dedent("""
    import json, os, sys
    out = sys.argv[1]
    os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_CONSOLE="off", WANDB_DIR=out,
                      WANDB_CONFIG_DIR=os.path.join(out, ".config"), WANDB_CACHE_DIR=os.path.join(out, ".cache"),
                      WANDB_DATA_DIR=os.path.join(out, ".data"), WANDB_DISABLE_GIT="true", WANDB_DISABLE_CODE="true")
    import wandb
    ids = {}
    for name, rows in json.loads(sys.argv[2]).items():
        run = wandb.init(dir=out, project="curvelint-test", name=name, reinit=True)
        for row in rows:
            wandb.log(row)
        if name == "summary-only":
            run.summary["accuracy"] = 0.875
        ids[name] = run.id
        run.finish()
    print("IDS", json.dumps(ids))
""")


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    _need_wandb()
    out = tmp_path_factory.mktemp("wandb")
    runs = {"epochs": EPOCH_ROWS, "batches": BATCH_ROWS, "summary-only": []}
    proc = subprocess.run([sys.executable, "-c", WRITE, str(out), json.dumps(runs)], capture_output=True, text=True,
                          timeout=300, cwd=out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ids = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("IDS "))[4:])
    dirs = {name: next((out / "wandb").glob(f"*run-*-{rid}")) for name, rid in ids.items()}
    return {"root": out, "ids": ids, "dirs": dirs, "logs": {n: d / f"run-{ids[n]}.wandb" for n, d in dirs.items()}}


def _same(values: np.ndarray, want: list[float]) -> bool:
    return np.array_equal(values, np.asarray(want, dtype=np.float64), equal_nan=True)


def test_transaction_log_written_by_wandb_reads_back_what_was_logged(offline):
    source = READER.read(str(offline["logs"]["epochs"]))
    assert source.format == "wandb" and source.axis == "epoch" and not source.problems
    assert source.meta["wandb"] == {"run_id": offline["ids"]["epochs"], "display_name": "epochs",
                                    "project": "curvelint-test"}
    curves = {c.key: c for c in source.curves}
    assert set(curves) == {"train/loss", "val/loss", "train/acc_top1"}
    for key, logged in (("train/loss", "train/loss"), ("val/loss", "val/loss")):
        assert curves[key].step.tolist() == list(range(EPOCHS))
        assert _same(curves[key].value, [r[logged] for r in EPOCH_ROWS]), key
        assert curves[key].raw_name == logged and curves[key].epoch is None and curves[key].lines is None
    assert curves["train/acc_top1"].raw_name == "acc.top1"
    assert _same(curves["train/acc_top1"].value, [r["acc"]["top1"] for r in EPOCH_ROWS])
    assert curves["train/loss"].wall_time is not None


def test_batch_rows_and_separate_validation_rows_are_stepped_by_wandb_step(offline):
    source = READER.read(str(offline["logs"]["batches"]))
    assert source.axis == "step"  # _step counts wandb.log calls, not epochs
    curves = {c.key: c for c in source.curves}
    assert set(curves) == {"train/loss", "val/loss"}
    train_steps = [i for i, r in enumerate(BATCH_ROWS) if "loss" in r]
    val_steps = [i for i, r in enumerate(BATCH_ROWS) if "val_loss" in r]
    assert curves["train/loss"].step.tolist() == train_steps
    assert _same(curves["train/loss"].value, [r["loss"] for r in BATCH_ROWS if "loss" in r])
    assert curves["val/loss"].step.tolist() == val_steps
    assert _same(curves["val/loss"].value, [r["val_loss"] for r in BATCH_ROWS if "val_loss" in r])
    # each point knows its epoch: the last `epoch` logged at or before its step
    assert curves["train/loss"].epoch.tolist() == [b // 4 for b in range(12)]
    assert curves["val/loss"].epoch.tolist() == [0, 1, 2]


def test_summary_only_run_is_reported_as_such(offline):
    source = READER.read(str(offline["logs"]["summary-only"]))
    assert source.curves == [] and source.meta["summary"]["accuracy"] == 0.875
    (problem,) = source.problems
    assert problem.severity == Severity.WARNING and "only a summary" in problem.message


def test_offline_wandb_dir_lints_one_run_per_run_dir(offline):
    report = lint(offline["root"])
    ids = sorted(r.id for r in report.runs)
    assert ids == sorted(f"wandb/{d.name}" for d in offline["dirs"].values())  # `latest-run` adds none
    by_id = {r.id: r for r in report.runs}
    epochs = by_id[f"wandb/{offline['dirs']['epochs'].name}"]
    assert epochs.format == "wandb" and epochs.sources == [str(offline["logs"]["epochs"])]
    assert epochs.get("val/loss") is not None
    summary_only = [f for f in report.findings if f.code == "LOG001"]
    assert [f.run for f in summary_only] == [f"wandb/{offline['dirs']['summary-only'].name}"]
    assert not [f for f in report.findings if f.code == "INT001"]


def test_truncated_transaction_log_keeps_the_records_before_the_cut(offline, tmp_path):
    data = offline["logs"]["epochs"].read_bytes()
    starts = [off for off, _ in frames(data, "x", [])]
    cut = starts[len(starts) // 2] + 5  # inside a record header/body half-way through
    path = tmp_path / "run-x" / "run-x.wandb"
    path.parent.mkdir()
    path.write_bytes(data[:cut])
    source = READER.read(str(path))
    (problem,) = source.problems
    assert problem.severity == Severity.ERROR and "truncated" in problem.message and problem.offset <= cut
    loss = {c.key: c for c in source.curves}.get("train/loss")
    n = 0 if loss is None else len(loss)
    assert n < EPOCHS
    if loss is not None:
        assert _same(loss.value, [r["train/loss"] for r in EPOCH_ROWS[:n]])
    report = lint(path)
    (finding,) = [f for f in report.findings if f.code == "LOG001"]
    assert finding.location.path == str(path) and finding.evidence["offset"] == problem.offset
    assert f"at byte {problem.offset}" in finding.message


def test_corrupt_record_is_reported_and_reading_goes_on(offline, tmp_path):
    data = bytearray(offline["logs"]["epochs"].read_bytes())
    starts = [off for off, _ in frames(bytes(data), "x", [])]
    at = starts[-3] + 9
    data[at] ^= 0xFF  # one flipped byte in a late record's body
    path = tmp_path / "run-y.wandb"
    path.write_bytes(bytes(data))
    problems: list = []
    kept = list(frames(bytes(data), str(path), problems))
    assert len(kept) < len(starts) and [p.offset for p in problems] == [starts[-3]]
    assert "bad checksum" in problems[0].message
    source = READER.read(str(path))
    assert any("corrupt W&B record" in p.message for p in source.problems)


def test_without_the_extra_a_transaction_log_is_log001_naming_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m == "wandb" or m.startswith("wandb.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if it were not installed
    path = realworld() / F / "11291996__naver-bert-sentiment/wandb/run-20231005_200819-u9njiu6c/run-u9njiu6c.wandb"
    with pytest.raises(ReadError) as exc:
        READER.read(str(path))
    assert "pip install 'curvelint[wandb]'" in exc.value.message
    report = lint(path.parent)
    findings = {f.location.path: f for f in report.findings if f.code == "LOG001"}
    finding = findings[str(path)]
    assert finding.severity == Severity.ERROR and "needs the wandb package" in finding.message
    # the summary beside it is read instead, and says the history is in the transaction log
    summary = findings[str(path.parent / "files" / "wandb-summary.json")]
    assert summary.severity == Severity.INFO and "its history is in run-u9njiu6c.wandb" in summary.message


def test_bad_header_is_log001_at_byte_0(tmp_path):
    path = tmp_path / "run-z.wandb"
    path.write_bytes(b":W&B\x00\x00\x00" + b"\x00" * 20)
    with pytest.raises(ReadError) as exc:
        READER.read(str(path))
    assert exc.value.offset == 0 and "header" in exc.value.message
    short = tmp_path / "run-s.wandb"
    short.write_bytes(b":W&")
    with pytest.raises(ReadError):
        READER.read(str(short))


# --- real samples ------------------------------------------------------------------------------
# history file -> rows, axis, series, (count, first (step, value), last (step, value)) read by hand
SAMPLES: dict[str, dict] = {
    F + "13udha__connect-four-tensorflow/wandb/run-20191220_150203-qtikjrov/wandb-history.jsonl": {
        "axis": "epoch",  # `epoch` equals `_step` in every row
        "series": {"train/episode_reward", "train/nb_episode_steps", "train/nb_steps"},
        "points": {"train/episode_reward": (272, (0, 200.0), (271, 200.0)), "train/nb_steps": (272, (0, 200.0), (271, 49978.0))},
    },
    F + "13udha__connect-four-tensorflow/wandb/run-20191230_130928-n4duwwjc/wandb-history.jsonl": {
        "axis": "epoch",
        "points": {"train/episode_reward": (8010, (0, 24.0), (8009, 44.0)), "train/nb_steps": (8010, (0, 4.0), (8009, 49998.0))},
    },
    F + "Benoxi__pytorch-dl-notebook/wandb/run-20200228_173521-6lp07cge/wandb-history.jsonl": {
        "axis": "step",  # train and val rows alternate, each its own _step; epoch 0..2 in the train rows
        "series": {"train/loss", "train/accuracy", "val/loss", "val/accuracy"},
        "points": {"train/loss": (675, (0, 0.24939559400081635), (1348, 0.14871013164520264)),
                   "val/loss": (675, (1, 0.253356397151947), (1349, 0.1917652040719986)),
                   "train/accuracy": (675, (0, 0.53), (1348, 0.7692307692307693))},
        "epochs": {"train/loss": (0.0, 2.0), "val/loss": (0.0, 2.0)},
    },
    F + "Benoxi__pytorch-dl-notebook/wandb/run-20200228_174009-z6hhs4tz/wandb-history.jsonl": {
        "axis": "step",  # numbers logged as strings with a leading space; _step starts at 5393, no epoch
        "series": {"train/loss", "train/accuracy", "val/loss", "val/accuracy"},
        "points": {"train/loss": (680, (5393, 0.163), (6751, 0.1412)), "val/loss": (680, (5394, 0.2035), (6752, 0.201)),
                   "train/accuracy": (680, (5393, 0.73), (6751, 0.79))},
    },
    F + "11291996__naver-bert-sentiment/wandb/run-20231005_200819-u9njiu6c/run-u9njiu6c.wandb": {
        "axis": "epoch", "needs": "wandb",  # W&B 0.15 transaction log: 10 rows, train and val in each
        "series": {"train/loss", "train/accuracy", "val/loss", "val/accuracy"},
        "points": {"train/loss": (10, (0, 0.387902615292867), (9, 0.035935232766345145)),
                   "val/loss": (10, (0, 0.3401692921320597), (9, 0.855558911005656)),
                   "val/accuracy": (10, (0, 0.8866666666666667), (9, 0.864)),
                   "train/accuracy": (10, (0, 0.8426666666666667), (9, 0.9957333333333334))},
        "second": {"train/loss": 0.222927508354187, "val/loss": 0.38959091949462893},
        "meta": {"run_id": "u9njiu6c", "project": "LIS8040 BERT Sentiment Analysis"},
    },
}


def test_every_wandb_run_in_the_corpus_is_covered():
    root = realworld()
    runs = {str(p.relative_to(root)) for p in (root / "formats").rglob("*") if p.is_dir() and p.name.startswith("run-")}
    assert runs == {str(Path(rel).parent) for rel in SAMPLES}


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_real_sample_gives_its_series_and_numbers(rel):
    want = SAMPLES[rel]
    if want.get("needs"):
        _need_wandb()
    path = realworld() / rel
    source = READER.read(str(path))
    assert source.format == "wandb" and source.axis == want["axis"] and not source.problems
    curves = {c.key: c for c in source.curves}
    if "series" in want:
        assert set(curves) == want["series"]
    for key, (count, first, last) in want["points"].items():
        curve = curves[key]
        assert len(curve) == count, key
        assert (int(curve.step[0]), float(curve.value[0])) == first, key
        assert (int(curve.step[-1]), float(curve.value[-1])) == last, key
    for key, value in want.get("second", {}).items():
        assert curves[key].value[1] == value
    for key, (e0, e1) in want.get("epochs", {}).items():
        assert (curves[key].epoch[0], curves[key].epoch[-1]) == (e0, e1)
    if want["axis"] == "epoch":
        assert all(c.epoch is None for c in curves.values())
    for k, v in want.get("meta", {}).items():
        assert source.meta["wandb"][k] == v
    assert source.meta.get("summary")  # wandb-summary.json beside the history, or the log's summary records


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_real_run_dir_is_one_run_read_from_its_history(rel):
    want = SAMPLES[rel]
    if want.get("needs"):
        _need_wandb()
    path = realworld() / rel
    run_dir = path.parent
    report = lint(run_dir)
    (run,) = report.runs
    assert run.id == run_dir.name and run.format == "wandb" and run.sources == [str(path)]
    assert not [f for f in report.findings if f.code in ("LOG001", "INT001")]


def test_real_overfitting_run_is_found():
    _need_wandb()
    run_dir = realworld() / F / "11291996__naver-bert-sentiment/wandb/run-20231005_200819-u9njiu6c"
    report = lint(run_dir)
    (gen001,) = [f for f in report.findings if f.code == "GEN001"]  # val_loss min at epoch 0 (MANIFEST)
    assert gen001.evidence["best_epoch"] == 0 and gen001.location.path.endswith("run-u9njiu6c.wandb")


# --- hand-made history files -------------------------------------------------------------------

def _jsonl(path: Path, rows: list[dict], tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + tail)
    return path


def test_files_layout_is_one_run_named_by_its_run_dir(tmp_path):
    run_dir = tmp_path / "wandb" / "run-20210101_000000-abc"
    rows = [{"loss": 1.0 - e / 10, "val_loss": 1.2 - e / 20, "_step": e, "_runtime": e, "_timestamp": 1e9 + e}
            for e in range(6)]
    hist = _jsonl(run_dir / "files" / "wandb-history.jsonl", rows)
    (run_dir / "files" / "wandb-summary.json").write_text(json.dumps({"loss": 0.5, "val_loss": 0.95, "_step": 5,
                                                                       "_wandb": {"runtime": 3}}))
    report = lint(tmp_path)
    (run,) = report.runs
    assert run.id == "wandb/run-20210101_000000-abc" and run.sources == [str(hist)]
    assert run.meta["summary"] == {"loss": 0.5, "val_loss": 0.95}
    assert run.meta["checkpoints_skipped"] == [str(run_dir / "files" / "wandb-summary.json")]
    assert run.get("val/loss").lines.tolist() == list(range(1, 7))  # findings point at the JSON line
    assert run.axis == "epoch" and run.get("train/loss").wall_time.tolist() == [1e9 + e for e in range(6)]


def test_truncated_history_line_is_log001_and_the_rest_is_kept(tmp_path):
    rows = [{"loss": 1.0 - e / 10, "_step": e} for e in range(5)]
    path = _jsonl(tmp_path / "run-1" / "wandb-history.jsonl", rows, tail='{"loss": 0.4, "_st')
    source = READER.read(str(path))
    assert {c.key: len(c) for c in source.curves} == {"train/loss": 5}
    (problem,) = source.problems
    assert problem.severity == Severity.ERROR and problem.line == 6 and "invalid JSON" in problem.message


def test_values_nested_media_strings_and_nan(tmp_path):
    rows = [{"_step": 0, "loss": " 1.5", "val": {"loss": 2.0}, "img": {"_type": "image-file", "path": "a.png"},
             "flag": True, "note": "warmup"},
            {"_step": 1, "loss": float("nan"), "val": {"loss": 1.5}},
            {"_step": 2, "loss": 0.5, "val": {"loss": 1.25}}]
    path = _jsonl(tmp_path / "run-2" / "wandb-history.jsonl", rows)
    curves = {c.key: c for c in READER.read(str(path)).curves}
    assert set(curves) == {"train/loss", "val/loss"}  # `val.loss` is the val split's loss
    assert _same(curves["train/loss"].value, [1.5, NAN, 0.5])
    assert curves["val/loss"].raw_name == "val.loss" and curves["val/loss"].value.tolist() == [2.0, 1.5, 1.25]


def test_hugging_face_wandb_callback_rows_are_stepped_by_global_step(tmp_path):
    rows = []
    for i, gs in enumerate(range(50, 301, 50)):
        rows.append({"train/loss": 2.0 - gs / 300, "train/learning_rate": 1e-4, "train/epoch": gs / 100,
                     "train/global_step": gs, "_step": len(rows)})
        if gs % 100 == 0:
            rows.append({"eval/loss": 2.2 - gs / 400, "eval/runtime": 3.1, "eval/samples_per_second": 50.0,
                         "train/epoch": gs / 100, "train/global_step": gs, "_step": len(rows)})
    rows.append({"train/train_runtime": 100.0, "train/train_loss": 1.4, "train/total_flos": 1e15,
                 "train/epoch": 3.0, "train/global_step": 300, "_step": len(rows)})
    path = _jsonl(tmp_path / "run-3" / "wandb-history.jsonl", rows)
    source = READER.read(str(path))
    assert source.axis == "step" and source.meta["framework"] == "hf"
    curves = {c.key: c for c in source.curves}
    assert set(curves) == {"train/loss", "train/learning_rate", "val/loss"}
    assert curves["val/loss"].step.tolist() == [100, 200, 300] and curves["val/loss"].epoch.tolist() == [1.0, 2.0, 3.0]
    assert curves["train/loss"].step.tolist() == [50, 100, 150, 200, 250, 300]
    assert source.meta["summary"]["train/train_loss"] == 1.4  # logged once: a value, not a curve


def test_summary_only_and_empty_run_dirs(tmp_path):
    old = tmp_path / "wandb" / "run-20190101_000000-old"
    old.mkdir(parents=True)
    (old / "wandb-summary.json").write_text(json.dumps({"loss": 0.3, "acc": 0.9, "_step": 9}))
    empty = _jsonl(tmp_path / "wandb" / "run-20190101_000001-new" / "wandb-history.jsonl", [])
    report = lint(tmp_path)
    messages = {f.run: (f.severity, f.message) for f in report.findings if f.code == "LOG001"}
    assert set(messages) == {"wandb/run-20190101_000000-old", "wandb/run-20190101_000001-new"}
    assert messages["wandb/run-20190101_000000-old"][0] == Severity.WARNING
    assert "only a summary (the last value of 2 metrics)" in messages["wandb/run-20190101_000000-old"][1]
    assert "no history rows" in messages["wandb/run-20190101_000001-new"][1]
    assert str(empty) in {s for r in report.runs for s in r.sources}


def test_latest_run_link_names_the_run_it_points_at(tmp_path):
    real = tmp_path / "wandb" / "run-20220101_000000-lnk"
    _jsonl(real / "files" / "wandb-history.jsonl", [{"loss": 1.0 - e / 10, "_step": e} for e in range(4)])
    (tmp_path / "wandb" / "latest-run").symlink_to("run-20220101_000000-lnk")
    assert READER.run_directory(str(tmp_path / "wandb" / "latest-run" / "files" / "wandb-history.jsonl")) == str(real)
    report = lint(tmp_path)
    assert [r.id for r in report.runs] == ["wandb/run-20220101_000000-lnk"]


def test_sniff_names_and_ranks():
    assert READER.accepts_name("wandb-history.jsonl") and READER.accepts_name("wandb-summary.json")
    assert READER.accepts_name("run-u9njiu6c.wandb") and not READER.accepts_name("wandb-events.jsonl")
    assert not READER.accepts_name("config.yaml") and not READER.accepts_name("history.json")
    assert READER.sniff(b":W&B\xe1\xbe\x00", "run-a.wandb") and not READER.sniff(b"PK\x03\x04", "run-a.wandb")
    assert READER.sniff(b'{"loss": 1}', "wandb-history.jsonl") and not READER.sniff(b"loss,val_loss", "wandb-history.jsonl")
    ranks = [READER.snapshot_rank(n) for n in ("wandb-history.jsonl", "run-a.wandb", "wandb-summary.json")]
    assert ranks == sorted(ranks, reverse=True)  # history, then the transaction log, then the summary


# --- what linting imports ----------------------------------------------------------------------

def test_linting_mlflow_stores_and_wandb_history_imports_neither_package(tmp_path):
    run_dir = tmp_path / "mlruns" / "1" / "r1"
    (run_dir / "metrics" / "train").mkdir(parents=True)
    (run_dir / "meta.yaml").write_text("experiment_id: '1'\nlifecycle_stage: active\nrun_id: r1\nrun_uuid: r1\n"
                                       "run_name: a\nstatus: 3\n")
    (run_dir / "metrics" / "train" / "loss").write_text("".join(f"{1000 + s} {1.0 / (s + 1)} {s}\n" for s in range(5)))
    db = tmp_path / "db" / "mlflow.db"
    db.parent.mkdir()
    con = sqlite3.connect(db)
    con.executescript("""
        CREATE TABLE experiments (experiment_id INTEGER, name TEXT, lifecycle_stage TEXT);
        CREATE TABLE runs (run_uuid TEXT, name TEXT, status TEXT, start_time INTEGER, end_time INTEGER,
                           lifecycle_stage TEXT, experiment_id INTEGER);
        CREATE TABLE metrics (key TEXT, value FLOAT, timestamp INTEGER, run_uuid TEXT, step INTEGER, is_nan BOOLEAN);
        INSERT INTO experiments VALUES (1, 'e', 'active');
        INSERT INTO runs VALUES ('u1', 'b', 'FINISHED', 1, 2, 'active', 1);
    """)
    con.executemany("INSERT INTO metrics VALUES ('loss', ?, ?, 'u1', ?, 0)", [(1.0 / (s + 1), 1000 + s, s) for s in range(5)])
    con.commit()
    con.close()
    _jsonl(tmp_path / "wandb" / "run-1" / "wandb-history.jsonl", [{"loss": 1.0 - s / 10, "_step": s} for s in range(5)])
    code = textwrap.dedent(f"""
        import sys
        from curvelint.cli import main
        main([{str(tmp_path)!r}, "--isolated", "--exit-zero", "--format", "json"])
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("mlflow", "wandb", "sqlalchemy", "alembic"))
        print("HEAVY:", heavy, file=sys.stderr)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "HEAVY: []" in proc.stderr
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert sorted(r["format"] for r in report["runs"]) == ["mlflow", "mlflow-sqlite", "wandb"]  # all three were read
