"""The MLflow readers: stores written by the real `mlflow` package (file store and SQLite, test
extra) read back and compared with the numbers logged; every MLflow run in
../shared/realworld/formats checked against first and last lines read by hand from its metric
files (head/tail); hand-made edge cases: truncated and malformed metric files, broken meta.yaml,
deleted and metric-less runs, values logged without a step, corrupt databases."""

from __future__ import annotations

import json
import math
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
from curvelint.readers.base import NotALog, ReadError
from curvelint.readers.mlflow_store import MlflowFileStoreReader, MlflowSqliteReader

FILE_READER = MlflowFileStoreReader()
DB_READER = MlflowSqliteReader()
F = "formats/"
NAN = float("nan")
INF = float("inf")

#: What the test logs with the real mlflow: run name -> key -> [(step, value)]. `gamma` is
#: deleted after logging; `test_accuracy` is logged once (a summary value, not a curve).
LOGGED: dict[str, dict[str, list[tuple[int, float]]]] = {
    "alpha": {
        "train/loss": [(0, 1.0), (1, 0.75), (2, 0.5), (3, 0.4375), (4, 0.40625), (5, 0.390625)],
        "val_loss": [(0, 1.125), (1, 0.875), (2, 0.8), (3, NAN), (4, 0.85), (5, 0.95)],
        "val_accuracy": [(0, 0.5), (1, 0.625), (2, 0.7), (3, 0.71), (4, 0.69), (5, 0.68)],
        "lr": [(s, 0.001) for s in range(6)],
        "test_accuracy": [(0, 0.91)],
    },
    "beta": {
        "loss": [(s, 2.0 / (s + 1)) for s in range(10)],
        "val_loss": [(s, 2.5 / (s + 1) if s != 7 else INF) for s in range(10)],
    },
    "gamma": {"loss": [(0, 3.0), (1, 2.0)]},
}
EXPECTED = {  # run -> key as rules read it -> logged key
    "alpha": {"train/loss": "train/loss", "val/loss": "val_loss", "val/accuracy": "val_accuracy",
              "train/learning_rate": "lr"},
    "beta": {"train/loss": "loss", "val/loss": "val_loss"},
}

BUILD = textwrap.dedent("""
    import json, math, os, sys
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 keeps the file store behind this flag
    import mlflow
    uri, logged = sys.argv[1], json.loads(sys.argv[2])
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("curvelint-test")
    ids = {}
    for name, metrics in logged.items():
        with mlflow.start_run(run_name=name) as run:
            for key, points in metrics.items():
                for step, value in points:
                    mlflow.log_metric(key, float(value), step=step)
            ids[name] = run.info.run_id
        if name == "gamma":
            mlflow.delete_run(ids[name])
    print("IDS", json.dumps(ids))
""")


def _need_mlflow() -> None:
    """The real package is a test extra: CI must have it, a bare checkout skips."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("mlflow is not installed: pip install -e '.[test]'")
        pytest.skip("mlflow is not installed (test extra)")


def _start(uri: str, cwd: Path) -> subprocess.Popen:
    cwd.mkdir(parents=True, exist_ok=True)
    # Python's json carries NaN and Infinity as tokens both ways
    return subprocess.Popen([sys.executable, "-c", BUILD, uri, json.dumps(LOGGED)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "MLFLOW_TRACKING_URI": ""})


def _ids(proc: subprocess.Popen) -> dict[str, str]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    line = next(l for l in out.splitlines() if l.startswith("IDS "))
    return json.loads(line[4:])


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    _need_mlflow()
    root = tmp_path_factory.mktemp("mlflow")
    db = root / "db" / "mlflow.db"
    db.parent.mkdir()
    # both at once: creating the SQLite schema (MLflow's migrations) takes most of the time
    file_proc = _start((root / "store" / "mlruns").as_uri(), root / "cwd-file")
    db_proc = _start(f"sqlite:///{db}", root / "cwd-db")
    return {"mlruns": root / "store" / "mlruns", "file_ids": _ids(file_proc), "db": db, "db_ids": _ids(db_proc)}


def _points(key: str, run: str) -> tuple[list[int], list[float]]:
    pts = LOGGED[run][key]
    return [s for s, _ in pts], [v for _, v in pts]


def _same(values: np.ndarray, want: list[float]) -> bool:
    return np.array_equal(values, np.asarray(want), equal_nan=True)


def lint(*paths):
    return Linter.create().lint_paths([str(p) for p in paths])


# --- stores written by mlflow ------------------------------------------------------------------

def test_file_store_written_by_mlflow_reads_back_what_was_logged(stores):
    mlruns, ids = stores["mlruns"], stores["file_ids"]
    report = lint(mlruns)
    runs = {r.meta["mlflow"]["run_name"]: r for r in report.runs}
    assert set(runs) == {"alpha", "beta"}  # gamma was deleted; the Default experiment has no run
    for name, run in runs.items():
        (exp_dir,) = {p.parent.parent.name for p in mlruns.glob(f"*/{ids[name]}/meta.yaml")}
        assert run.id == f"{exp_dir}/{ids[name]}" and run.format == "mlflow" and run.axis == "epoch"
        assert run.sources == [str(mlruns / exp_dir / ids[name] / "meta.yaml")]
        assert run.meta["mlflow"]["experiment"] == "curvelint-test" and run.meta["mlflow"]["status"] == "FINISHED"
        assert set(run.series) == set(EXPECTED[name])
        for key, logged in EXPECTED[name].items():
            curve = run.raw(key)
            steps, values = _points(logged, name)
            assert curve.step.tolist() == steps and _same(curve.value, values), (name, key)
            assert curve.raw_name == logged
            assert curve.source == str(mlruns / exp_dir / ids[name] / "metrics" / logged)  # nested dirs for `/`
            assert curve.lines.tolist() == list(range(1, len(steps) + 1))
            assert curve.wall_time is not None and (np.diff(curve.wall_time) >= 0).all()
    assert runs["alpha"].meta["summary"] == {"test_accuracy": 0.91}
    assert not [f for f in report.findings if f.code in ("LOG001", "INT001")]


def test_sqlite_store_written_by_mlflow_reads_back_every_run(stores):
    db, ids = stores["db"], stores["db_ids"]
    sources = DB_READER.read_runs(str(db))
    assert [s.meta["mlflow"]["run_name"] for s in sources] == ["alpha", "beta"]  # oldest first, gamma deleted
    for source in sources:
        name = source.meta["mlflow"]["run_name"]
        assert source.format == "mlflow-sqlite" and source.path == str(db) and source.axis == "epoch"
        assert source.meta["mlflow"]["run_id"] == ids[name] and source.meta["mlflow"]["experiment"] == "curvelint-test"
        assert source.meta["mlflow"]["status"] == "FINISHED" and not source.problems
        curves = {c.key: c for c in source.curves}
        assert set(curves) == set(EXPECTED[name])
        for key, logged in EXPECTED[name].items():
            steps, values = _points(logged, name)
            assert curves[key].step.tolist() == steps and _same(curves[key].value, values), (name, key)
            assert curves[key].lines is None and curves[key].source == str(db)
    beta = {c.key: c for c in sources[1].curves}
    assert beta["val/loss"].value[7] == INF  # stored as the largest double, read back as Inf
    assert math.isnan({c.key: c for c in sources[0].curves}["val/loss"].value[3])  # stored as 0 + is_nan
    assert sources[0].meta["summary"] == {"test_accuracy": 0.91}


def test_sqlite_store_is_linted_one_run_per_mlflow_run(stores):
    # every MLflow run of the database is a curvelint run of its own, named <file>/<run name>,
    # and never merged with another run by agreement (alpha and beta are different trainings)
    report = lint(stores["db"])
    runs = {r.id: r for r in report.runs}
    assert sorted(runs) == ["mlflow.db/alpha", "mlflow.db/beta"]
    for name in ("alpha", "beta"):
        run = runs[f"mlflow.db/{name}"]
        assert run.format == "mlflow-sqlite" and run.meta["mlflow"]["run_name"] == name
        assert set(run.series) == set(EXPECTED[name])
    assert not [f for f in report.findings if f.code in ("LOG001", "INT001")]
    # findings name their own run
    assert {f.run for f in report.findings} <= set(runs)


def test_runs_of_one_database_sharing_a_name_get_distinct_ids(stores, tmp_path):
    import shutil
    import sqlite3

    db = tmp_path / "same" / "mlflow.db"
    db.parent.mkdir()
    shutil.copy(stores["db"], db)
    con = sqlite3.connect(db)
    con.execute("UPDATE tags SET value = 'twin' WHERE key = 'mlflow.runName'")
    con.execute("UPDATE runs SET name = 'twin'")
    con.commit()
    con.close()
    ids = sorted(r.id for r in lint(db).runs)
    assert len(ids) == 2 and len(set(ids)) == 2
    assert ids == sorted(f"mlflow.db/twin-{stores['db_ids'][n][:8]}" for n in ("alpha", "beta"))


def test_sqlite_store_is_read_without_changing_it(stores, tmp_path):
    db = tmp_path / "copy" / "mlflow.db"
    db.parent.mkdir()
    db.write_bytes(stores["db"].read_bytes())
    before = (db.read_bytes(), db.stat().st_mtime_ns, sorted(os.listdir(db.parent)))
    DB_READER.read_runs(str(db))
    lint(db.parent)
    assert (db.read_bytes(), db.stat().st_mtime_ns, sorted(os.listdir(db.parent))) == before  # no journal left


# --- real samples ------------------------------------------------------------------------------
# run dir -> run name, axis, framework, series, (count, first (step, value), last (step, value))
# read by hand with head/tail from the metric files, summary keys, values moved after training.
SAMPLES: dict[str, dict] = {
    F + "AIML-Model__simcard-shelf-space-cnn/runs/mlflow/662197954743695805/215b558fddfe4dd8b960ddad171271b2": {
        "name": "train4", "experiment": "/Shared/YOLOv8", "axis": "epoch", "framework": "ultralytics",
        "series": {"train/box_loss", "train/cls_loss", "train/dfl_loss", "val/box_loss", "val/cls_loss",
                   "val/dfl_loss", "val/precision", "val/recall", "val/map50", "val/map50_95", "train/learning_rate",
                   "train/lr_pg1", "train/lr_pg2", "train/loss", "val/loss"},
        "points": {"train/box_loss": (100, (0, 1.56904), None), "val/box_loss": (100, (0, 1.4566), (99, 1.37489)),
                   "val/map50": (100, (0, 0.05092), (99, 0.2908))},
        # Ultralytics validates best.pt once more after the last epoch and logs it at that step
        "after": {"metrics/mAP50B": 0.31041377880299015, "metrics/mAP50-95B": 0.2202066860981128,
                  "metrics/precisionB": 0.3430494238928269, "metrics/recallB": 0.3021049098367839},
    },
    F + "AIML-Model__simcard-shelf-space-cnn/runs/mlflow/662197954743695805/3edac9d3e1404d2ba53a953c833ce301": {
        "name": "train", "experiment": "/Shared/YOLOv8", "axis": "epoch", "framework": "ultralytics",
        "points": {"val/box_loss": (25, (0, 1.53683), (24, 1.42813)), "val/map50": (25, (0, 0.02692), (24, 0.25386))},
        "after": {"metrics/mAP50B": 0.2650322514582792, "metrics/mAP50-95B": 0.16867154029695347,
                  "metrics/precisionB": 0.28447230518903155, "metrics/recallB": 0.3139264440893464},
    },
    F + "AttentionSeekers__CNNtention/mlruns/998492728198223474/63d2a0913fb8432abd45f92446950e0b": {
        "name": "illustrious-lark-142", "experiment": "cifar10_resnet20_cbam_training", "axis": "epoch",
        "series": {"train/loss", "val/loss", "val/accuracy", "train/err", "val/err"},  # skorch; `dur` is a timing
        "points": {"train/loss": (182, (1, 1.6133780599594116), (182, 0.03603396092752616)),
                   "val/loss": (182, (1, 1.5011725006103516), (182, 0.42151677207946775))},
        "summary": {"final_accuracy", "final_error"},
    },
    F + "AttentionSeekers__CNNtention/mlruns/638951903560728821/30fc528b2d954833becdd40579484db2": {
        "name": "honorable-elk-965", "experiment": "selfatt_unweighted_resnet20", "axis": "epoch",
        "points": {"train/loss": (121, (1, 4.349730295393202), (121, 0.0631082094265355)),
                   "val/loss": (121, (1, 2.6883321350097655), (121, 0.38525687583088875))},
        "summary": {"final_accuracy", "final_error"},
    },
    F + "BozzoloLu__GAN/mlruns/1/07cd61a82ecc46bb9b61d1142c15ea42": {
        "name": "Run_0", "experiment": "Classical GAN", "axis": "epoch", "parent": "f6c98980d5554f8cb202cfdb0c1e7370",
        "series": {"train/discriminator_loss", "train/generator_loss"},
        "points": {"train/discriminator_loss": (270, (0, 9.220457077026367), (269, 0.9166891574859619))},
    },
    F + "BozzoloLu__GAN/mlruns/1/2d731c66ae6a41dfa54693a3481c357f": {
        "name": "Run_0", "experiment": "Classical GAN", "axis": "epoch", "parent": "eea9a4163c0248aebcfddb75ea44c530",
        "points": {"train/discriminator_loss": (63000, (0, 10.524819374084473), (62999, 1.4491418600082397))},
    },
    F + "ChallapalliHemanthsaikumar__image-classification-regression-models/notebooks/mlruns/0/"
        "f36e1500e91a4ec0a7477f8bd0f85a35": {  # HF Trainer's MLflowCallback: global steps, `epoch` a metric
        "name": "capable-auk-759", "experiment": "Default", "axis": "step", "framework": "hf",
        "series": {"train/loss", "val/loss", "train/grad_norm", "train/learning_rate"},
        "points": {"train/loss": (172, (10, 9.8627), (1720, 1.2617)), "val/loss": (34, (50, 7.104399681091309),
                                                                                     (1700, 1.290091633796692))},
        "epochs": {"train/loss": (0.14492753623188406, 24.92753623188406)},
        "summary": {"train_loss"},  # the end-of-training summary; its timings and counters are no curves
    },
    F + "Finnk11__bilevel-rl/experiments/mlruns/1/770cc011eb214ea997501cabcfe12f58": {  # stable-baselines3 timesteps
        "name": "qb", "experiment": "DQN", "axis": "step",
        "points": {"train/loss": (29, (1440, 0.015191427432000637), (21600, 0.014295351691544056)),
                   "train/rollout_ep_rew_mean": (30, (720, -295.181266), (21600, -235.20043246666663)),
                   "val/mean_reward": (6, (3600, -242.447169), None)},
        "repeated": {"rollout/exploration_rate": 6},  # logged again at each evaluation step and at the end
    },
}


def test_every_mlflow_run_in_the_corpus_is_covered():
    root = realworld()
    runs = set()
    for meta in (root / "formats").rglob("meta.yaml"):
        if (meta.parent / "metrics").is_dir() and any((meta.parent / "metrics").rglob("*")):
            runs.add(str(meta.parent.relative_to(root)))
    assert runs == set(SAMPLES)


@pytest.mark.parametrize("rel", sorted(SAMPLES))
def test_real_run_gives_its_series_and_numbers(rel):
    run_dir = realworld() / rel
    want = SAMPLES[rel]
    source = FILE_READER.read(str(run_dir / "meta.yaml"))
    info = source.meta["mlflow"]
    assert info["run_name"] == want["name"] and info["run_id"] == run_dir.name
    assert info["experiment"] == want["experiment"] and info["status"] == "FINISHED"
    assert info.get("parent_run_id") == want.get("parent")
    assert source.axis == want["axis"] and source.meta.get("framework") == want.get("framework")
    assert not source.problems
    curves = {c.key: c for c in source.curves}
    if "series" in want:
        assert set(curves) == want["series"]
    for key, (count, first, last) in want["points"].items():
        curve = curves[key]
        assert len(curve) == count, key
        assert (int(curve.step[0]), float(curve.value[0])) == first, key
        assert curve.lines[0] == 1 and curve.source.startswith(str(run_dir / "metrics"))
        if last is not None:
            assert (int(curve.step[-1]), float(curve.value[-1])) == last, key
    for key, (e0, e1) in want.get("epochs", {}).items():
        assert (curves[key].epoch[0], curves[key].epoch[-1]) == (e0, e1)
    assert set(source.meta.get("summary", {})) == want.get("summary", set())
    assert source.meta.get("logged_after_training") == want.get("after")
    assert info.get("repeated_steps") == want.get("repeated")


def test_real_ultralytics_run_in_mlflow_sums_its_loss_terms():
    run_dir = realworld() / F / "AIML-Model__simcard-shelf-space-cnn/runs/mlflow/662197954743695805/215b558fddfe4dd8b960ddad171271b2"
    curves = {c.key: c for c in FILE_READER.read(str(run_dir / "meta.yaml")).curves}
    total = curves["train/loss"]
    assert total.raw_name == "train/loss (box+cls+dfl)"
    # first lines of metrics/train/{box,cls,dfl}_loss: 1.56904, 3.951..., 1.589...
    assert total.value[0] == pytest.approx(sum(curves[f"train/{t}_loss"].value[0] for t in ("box", "cls", "dfl")))
    assert curves["train/box_loss"].value[0] == 1.56904


def test_real_experiment_tree_gives_one_run_per_run_dir():
    root = realworld() / F / "BozzoloLu__GAN"
    report = lint(root)
    # two child runs; the two parents (meta and tags only) and the experiment's meta.yaml are no runs
    assert sorted(r.id for r in report.runs) == ["mlruns/1/07cd61a82ecc46bb9b61d1142c15ea42",
                                                 "mlruns/1/2d731c66ae6a41dfa54693a3481c357f"]
    assert all(r.format == "mlflow" for r in report.runs)
    assert not [f for f in report.findings if f.code in ("LOG001", "INT001")]
    with pytest.raises(NotALog):
        FILE_READER.read(str(root / "mlruns/1/eea9a4163c0248aebcfddb75ea44c530/meta.yaml"))
    assert not FILE_READER.sniff((root / "mlruns/1/meta.yaml").read_bytes(), "meta.yaml")


DB_SAMPLES = {
    # run name -> series and (count, first, last) read by hand with sqlite3 (ORDER BY rowid)
    F + "17-doha__GANS/mlruns.db": {
        "runs": ["rambunctious-bat-651", "dazzling-loon-103"],  # 2 FAILED runs logged nothing
        "series": {"train/discriminator_loss", "train/generator_loss", "train/accuracy_real", "train/accuracy_fake"},
        "experiment": "Assignment3_DohaHemdan", "axis": "epoch", "count": 5,
    },
    F + "Pooyash1998__Toy_sft/mlruns.db": {
        "runs_with_curves": ["lora-sft-lr0.0002-r16-20260616-120749", "lora-sft-lr5e-05-r16-20260616-131808",
                             "lora-sft-lr0.0001-r32-20260616-134825"],
        "total": 27,  # 30 runs, 3 deleted; 24 lm-eval runs hold single values only
        "series": {"train/loss", "train/grad_norm", "train/learning_rate", "train/entropy",
                   "train/mean_token_accuracy", "val/loss", "val/entropy", "val/mean_token_accuracy"},
        "experiment": "granite-350M-sft", "axis": "step", "framework": "hf",
    },
}


def _by_hand(db: Path, run_name: str, key: str) -> list[tuple[int, float]]:
    con = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        return con.execute("SELECT m.step, m.value FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid "
                           "WHERE r.name = ? AND m.key = ? ORDER BY m.rowid", (run_name, key)).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("rel", sorted(DB_SAMPLES))
def test_real_sqlite_store_gives_every_run(rel):
    db = realworld() / rel
    want = DB_SAMPLES[rel]
    sources = DB_READER.read_runs(str(db))
    with_curves = [s for s in sources if s.curves]
    names = [s.meta["mlflow"]["run_name"] for s in with_curves]
    assert names == want.get("runs") or names == want.get("runs_with_curves")
    if "total" in want:
        assert len(sources) == want["total"]
        for s in sources:
            if not s.curves:
                assert [p.severity for p in s.problems] == [Severity.INFO]
                assert s.problems[0].message.startswith("holds no curve: only single values")
    for s in with_curves:
        assert s.meta["mlflow"]["experiment"] == want["experiment"] and s.axis == want["axis"]
        assert s.meta.get("framework") == want.get("framework")
        curves = {c.key: c for c in s.curves}
        assert set(curves) == want["series"]
        for curve in curves.values():
            logged = _by_hand(db, s.meta["mlflow"]["run_name"], curve.raw_name)
            assert curve.step.tolist() == [p[0] for p in logged] and curve.value.tolist() == [p[1] for p in logged]
            if "count" in want:
                assert len(curve) == want["count"]
    if want["axis"] == "step":  # HF's `epoch` metric gives each point its epoch
        loss = {c.key: c for c in with_curves[0].curves}["train/loss"]
        assert loss.epoch is not None and 0 < loss.epoch[0] < loss.epoch[-1]


def test_real_gan_database_first_and_last_numbers():
    db = realworld() / F / "17-doha__GANS/mlruns.db"
    loon = next(s for s in DB_READER.read_runs(str(db)) if s.meta["mlflow"]["run_name"] == "dazzling-loon-103")
    d = {c.key: c for c in loon.curves}["train/discriminator_loss"]
    assert d.step.tolist() == [0, 1, 2, 3, 4]
    assert d.value[0] == pytest.approx(0.44, abs=0.01) and d.value[-1] == pytest.approx(0.39, abs=0.01)  # MANIFEST


# --- hand-made edge cases ----------------------------------------------------------------------

RUN_META = ("artifact_uri: file:///x/artifacts\nend_time: 1700000100000\nentry_point_name: ''\nexperiment_id: '7'\n"
            "lifecycle_stage: {stage}\nrun_id: {rid}\nrun_name: {name}\nrun_uuid: {rid}\nsource_name: ''\nsource_type: 4\n"
            "source_version: ''\nstart_time: 1700000000000\nstatus: 3\ntags: []\nuser_id: me\n")


def _run(root: Path, rid: str = "abc123", name: str = "hand", stage: str = "active",
         metrics: dict[str, str] | None = None) -> Path:
    run_dir = root / "mlruns" / "7" / rid
    (run_dir / "metrics").mkdir(parents=True, exist_ok=True)
    (run_dir.parent / "meta.yaml").write_text("experiment_id: '7'\nlifecycle_stage: active\nname: hand-made\n")
    (run_dir / "meta.yaml").write_text(RUN_META.format(stage=stage, rid=rid, name=name))
    for key, text in (metrics or {}).items():
        path = run_dir / "metrics" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return run_dir


def _lines(points, start=1700000000000) -> str:
    return "".join(f"{start + 1000 * i} {v} {s}\n" for i, (s, v) in enumerate(points))


def test_truncated_metric_file_keeps_its_complete_lines_and_names_the_cut_one(tmp_path):
    text = _lines([(0, 1.0), (1, 0.8), (2, 0.7), (3, 0.65)])
    run_dir = _run(tmp_path, metrics={"loss": text + "1700000004000 0.6", "val_loss": _lines([(s, 1.0) for s in range(4)])})
    report = lint(tmp_path)
    (run,) = report.runs
    assert run.get("train/loss").value.tolist() == [1.0, 0.8, 0.7, 0.65]
    (finding,) = [f for f in report.findings if f.code == "LOG001"]
    assert finding.severity == Severity.ERROR
    assert finding.location.path == str(run_dir / "metrics" / "loss") and finding.location.line == 5
    assert "timestamp value step" in finding.message


def test_malformed_and_binary_metric_files_are_reported(tmp_path):
    run_dir = _run(tmp_path, metrics={"loss": _lines([(0, 1.0), (1, 0.9), (2, 0.8)]).replace("0.9", "zero point nine")})
    (run_dir / "metrics" / "acc").write_bytes(b"\x00\x01binary")
    source = FILE_READER.read(str(run_dir / "meta.yaml"))
    assert {c.key: len(c) for c in source.curves} == {"train/loss": 2}
    assert [(Path(p.path).name, p.line, p.offset) for p in source.problems] == [("acc", None, 0), ("loss", 2, None)]


def test_runs_without_metrics_deleted_runs_empty_metrics_and_broken_meta(tmp_path):
    empty = _run(tmp_path / "a")
    with pytest.raises(NotALog):
        FILE_READER.read(str(empty / "meta.yaml"))
    deleted = _run(tmp_path / "b", stage="deleted", metrics={"loss": _lines([(0, 1.0), (1, 0.5)])})
    with pytest.raises(NotALog):
        FILE_READER.read(str(deleted / "meta.yaml"))
    broken = _run(tmp_path / "c", metrics={"loss": _lines([(0, 1.0), (1, 0.5)])})
    (broken / "meta.yaml").write_text("run_id: abc\nexperiment_id: '7'\nname: [unclosed\n")
    with pytest.raises(ReadError) as exc:
        FILE_READER.read(str(broken / "meta.yaml"))
    assert exc.value.line == 3 or exc.value.line == 4
    started = _run(tmp_path / "d", rid="def456", metrics={"loss": "", "val_loss": ""})  # nothing flushed yet
    source = FILE_READER.read(str(started / "meta.yaml"))
    assert source.curves == [] and [(p.severity, p.message) for p in source.problems] == [
        (Severity.WARNING, "holds no curve: its 2 metric files are empty (a run that had logged nothing yet)")]
    report = lint(tmp_path)
    assert sorted(r.sources[0] for r in report.runs) == [str(broken / "meta.yaml"), str(started / "meta.yaml")]
    assert {f.location.path: f.severity for f in report.findings if f.code == "LOG001"} == {
        str(broken / "meta.yaml"): Severity.ERROR, str(started / "meta.yaml"): Severity.WARNING}


def test_values_logged_without_a_step_are_single_values_not_a_curve(tmp_path):
    # mlflow.log_metric("loss", v) without step= logs every value at step 0
    run_dir = _run(tmp_path, metrics={"loss": _lines([(0, 1.0), (0, 0.8), (0, 0.7), (0, 0.6)])})
    source = FILE_READER.read(str(run_dir / "meta.yaml"))
    assert source.curves == [] and source.meta["summary"] == {"loss": 0.6}
    (problem,) = source.problems
    assert problem.severity == Severity.INFO and "loss (4 values at step 0)" in problem.message
    assert "step=epoch" in problem.message


def test_mlflow_before_1_0_wrote_no_step(tmp_path):
    run_dir = _run(tmp_path, metrics={"loss": "1500000000000 1.0\n1500000001000 0.5\n1500000002000 0.25\n"})
    (curve,) = FILE_READER.read(str(run_dir / "meta.yaml")).curves
    assert curve.step.tolist() == [0, 1, 2] and curve.value.tolist() == [1.0, 0.5, 0.25]


def test_nan_and_inf_in_a_file_store_are_kept(tmp_path):
    run_dir = _run(tmp_path, metrics={"loss": _lines([(0, 1.0), (1, "nan"), (2, "inf"), (3, "-inf")])})
    (curve,) = FILE_READER.read(str(run_dir / "meta.yaml")).curves
    assert _same(curve.value, [1.0, NAN, INF, -INF])


def test_corrupt_and_foreign_databases(tmp_path):
    junk = tmp_path / "a" / "mlflow.db"
    junk.parent.mkdir()
    junk.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)  # a header and garbage
    other = tmp_path / "b" / "app.db"
    other.parent.mkdir()
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE users (id INTEGER)")
    con.commit()
    con.close()
    text = tmp_path / "c" / "notes.db"
    text.parent.mkdir()
    text.write_text("not a database")
    report = lint(tmp_path)
    assert [f.location.path for f in report.findings if f.code == "LOG001"] == [str(junk)]
    assert [r.sources for r in report.runs] == [[str(junk)]]
    with pytest.raises(NotALog):
        DB_READER.read_runs(str(other))
    assert not DB_READER.sniff(text.read_bytes()[:100], "notes.db")


def test_sniff_and_names():
    assert FILE_READER.accepts_name("meta.yaml") and not FILE_READER.accepts_name("config.yaml")
    assert FILE_READER.sniff(RUN_META.format(stage="active", rid="r", name="n").encode(), "meta.yaml")
    assert not FILE_READER.sniff(b"artifact_location: x\nexperiment_id: '0'\nname: Default\n", "meta.yaml")
    assert DB_READER.accepts_name("mlflow.db") and DB_READER.accepts_name("mlruns.db") and DB_READER.accepts_name("t.sqlite")
    assert not DB_READER.accepts_name("mlflow.yaml")
