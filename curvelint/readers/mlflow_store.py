"""MLflow tracking stores on disk: the file store (`mlruns/`) and the SQLite store (`mlflow.db`).

File store: `mlruns/<experiment id>/<run id>/` holds `meta.yaml` (run name, status, times),
`tags/<key>` (`mlflow.runName`, `mlflow.parentRunId`), `params/<key>` and one file per metric,
`metrics/<key>`, one `<timestamp ms> <value> <step>` line per `log_metric` call (MLflow before
1.0 wrote no step). A key with `/` (`train/box_loss`) is a nested folder. The run's `meta.yaml`
is the file discovery claims: a run dir is one run whatever metrics it holds, and every metric
file is read with it; findings point at the metric file's line.

SQLite store: the `metrics` table (`key, value, timestamp, step, is_nan, run_uuid`; NaN is stored
as 0 with `is_nan`, ±Inf as ±1.797e308, the largest double), `runs` and `experiments`, read with
the standard library's `sqlite3`, read-only. One database holds many runs: `read_runs` gives
one Source per MLflow run, each linted as a run of its own, `mlflow.db/<run name>`.

Either way a metric is a curve when it was logged at two steps or more; a value logged once
(HF's `train_loss` summary, skorch's `final accuracy`, an evaluation score) is kept in
`meta["summary"]`; a different value logged again at a run's last step (Ultralytics validates
`best.pt` once more after the last epoch) goes to `meta["logged_after_training"]`. The x-axis is the logged step: epochs when the framework logs by epoch
(Ultralytics, skorch, Keras autolog), optimizer steps when it logs an `epoch` metric beside a
global step (Hugging Face's `MLflowCallback`, Lightning's `MLFlowLogger`) or logs every N steps
(stable-baselines3's timesteps); then `Source.axis == "step"`. Ultralytics' keys (`train/box_loss`,
`metrics/mAP50B`) are named as its own `results.csv` reader names them, with total losses.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from curvelint.model import Curve, ReadProblem, Severity
from curvelint.readers.base import HEAD_BYTES, NotALog, Reader, ReadError, Source
from curvelint.readers.base import local_file, open_source  # a local file, or the bytes fetched for a URL
from curvelint.readers.ultralytics import is_ultralytics, tracked_names, with_total_losses

FORMAT = "mlflow"
SQLITE_FORMAT = "mlflow-sqlite"
STEP_AXIS = "step"
META_NAME = "meta.yaml"
SQLITE_MAGIC = b"SQLite format 3\x00"
#: MLflow's SQL store writes ±Inf as the largest finite double (it cannot store Inf).
_SQL_INF = 1.7976931348623157e308
#: `RunStatus` numbers in a file store's meta.yaml.
_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
#: Logged numbers that are axes, counters, timings or system load, not curves.
_NOT_CURVES = frozenset({
    "epoch", "step", "global_step", "dur", "duration", "fps", "total_flos", "total_timesteps", "time_elapsed",
    "n_updates", "episodes", "num_tokens", "num_input_tokens_seen", "train_runtime",
})
_NOT_CURVE_SUFFIXES = ("_runtime", "_samples_per_second", "_steps_per_second", "_tokens_per_second", "_num_tokens")
_NOT_CURVE_PREFIXES = ("system/", "time/")
#: A logged step that grows by at least this much between points counts optimizer or environment
#: steps, not epochs (an epoch-per-point log grows by 1).
STEP_STRIDE = 10
_HF_KEYS = re.compile(r"eval_.*|train_runtime|total_flos")


@dataclass
class Points:
    """One metric's points as logged, in logging order."""

    timestamp: list[float] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)


# -- the file store -------------------------------------------------------------------------------


class MlflowFileStoreReader(Reader):
    format = FORMAT
    priority = 10

    def accepts_name(self, name: str) -> bool:
        return name == META_NAME

    def sniff(self, head: bytes, name: str) -> bool:
        # a run's meta.yaml; the experiment's meta.yaml beside the runs has neither key
        return (b"run_uuid:" in head or b"run_id:" in head) and b"experiment_id:" in head

    def read(self, path: str) -> Source:
        meta_yaml = _load_yaml(path)
        if not isinstance(meta_yaml, dict) or not ("run_uuid" in meta_yaml or "run_id" in meta_yaml):
            raise NotALog("not an MLflow run's meta.yaml")
        if meta_yaml.get("lifecycle_stage") == "deleted":
            raise NotALog("a deleted MLflow run")
        run_dir = os.path.dirname(path) or "."
        metrics_dir = os.path.join(run_dir, "metrics")
        problems: list[ReadProblem] = []
        points: dict[str, Points] = {}
        files: dict[str, str] = {}
        empty = 0
        for key, file in _metric_files(metrics_dir):
            got = _read_metric_file(file, problems)
            if got is not None:
                points[key], files[key] = got, file
            else:
                empty += 1
        if not points and not problems:
            if not empty:
                raise NotALog("an MLflow run without metrics (a parent of nested runs, or one that logged nothing)")
            problems.append(ReadProblem(path, f"holds no curve: its {empty} metric file{'s are' if empty != 1 else ' is'} "
                                              "empty (a run that had logged nothing yet)", severity=Severity.WARNING))
        tags = _read_tags(os.path.join(run_dir, "tags"))
        experiment = _load_yaml(os.path.join(os.path.dirname(run_dir), META_NAME), missing_ok=True)
        status = meta_yaml.get("status")
        info = {
            "run_id": meta_yaml.get("run_id") or meta_yaml.get("run_uuid"),
            "run_name": tags.get("mlflow.runName") or meta_yaml.get("run_name") or meta_yaml.get("name") or None,
            "experiment_id": str(meta_yaml.get("experiment_id", "")),
            "experiment": experiment.get("name") if isinstance(experiment, dict) else None,
            "status": _STATUS.get(status, status) if isinstance(status, int) else status,
            "parent_run_id": tags.get("mlflow.parentRunId"),
            "start_time": meta_yaml.get("start_time"),
            "end_time": meta_yaml.get("end_time"),
        }
        return build_source(path, FORMAT, points, files.get, problems, info, lines=True)


def _metric_files(metrics_dir: str) -> Iterable[tuple[str, str]]:
    """(key, path) of every metric file, keys with `/` from nested folders, in a stable order."""
    if not os.path.isdir(metrics_dir):
        return
    for dirpath, dirnames, filenames in os.walk(metrics_dir):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith("."):  # .DS_Store beside the metrics
                continue
            file = os.path.join(dirpath, name)
            yield os.path.relpath(file, metrics_dir).replace(os.sep, "/"), file


def _read_metric_file(path: str, problems: list[ReadProblem]) -> Points | None:
    """The points of one metric file; a malformed line is reported with its number and skipped."""
    try:
        with open_source(path) as fh:
            data = fh.read()
    except OSError as exc:
        problems.append(ReadProblem(path, f"cannot read: {exc.strerror or exc}"))
        return None
    if b"\x00" in data[:HEAD_BYTES]:
        problems.append(ReadProblem(path, "binary data in an MLflow metric file (NUL byte)", offset=data.index(b"\x00")))
        return None
    out = Points()
    width = 0  # 3 cells since MLflow 1.0, 2 before: decided by the file's first line
    for number, raw in enumerate(data.decode("utf-8", "replace").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        cells = line.split()
        width = width or (len(cells) if len(cells) in (2, 3) else 3)
        try:
            if len(cells) != width:
                raise ValueError
            ts, value = float(cells[0]), float(cells[1])
            step = int(cells[2]) if len(cells) == 3 else len(out.step)  # MLflow < 1.0: no step
        except ValueError:
            problems.append(ReadProblem(path, f"not an MLflow metric line `timestamp value step`: {line[:60]!r}",
                                        line=number))
            continue
        out.timestamp.append(ts)
        out.value.append(value)
        out.step.append(step)
        out.line.append(number)
    return out if out.step else None


def _read_tags(tags_dir: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("mlflow.runName", "mlflow.parentRunId", "mlflow.source.name"):
        try:
            with open(os.path.join(tags_dir, name), "rb") as fh:
                out[name] = fh.read(1000).decode("utf-8", "replace").strip()
        except OSError:
            continue
    return out


def _load_yaml(path: str, missing_ok: bool = False) -> Any:
    import yaml  # only when an MLflow store is read

    try:
        with open_source(path) as fh:
            data = fh.read(1 << 20)
    except OSError:
        if missing_ok:
            return None
        raise
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as exc:
        if missing_ok:
            return None
        mark = getattr(exc, "problem_mark", None)
        raise ReadError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                        line=mark.line + 1 if mark is not None else None) from None


# -- the SQLite store ------------------------------------------------------------------------------


class MlflowSqliteReader(Reader):
    format = SQLITE_FORMAT
    priority = 10

    def accepts_name(self, name: str) -> bool:
        return name.lower().endswith((".db", ".sqlite", ".sqlite3"))

    def sniff(self, head: bytes, name: str) -> bool:
        return head.startswith(SQLITE_MAGIC)

    def read(self, path: str) -> Source:
        """The latest run that holds curves (for callers that want one); `read_runs` gives all."""
        sources = self.read_runs(path)
        return next((s for s in reversed(sources) if s.curves), sources[-1])

    def read_runs(self, path: str) -> list[Source]:
        """One Source per MLflow run of the database (deleted runs and runs that logged no metric
        left out), oldest first; each names its run in `meta["mlflow"]`."""
        with local_file(path) as real:  # SQLite opens files itself: a URL's bytes go to a temporary one
            return self._read_runs(path, real)

    def _read_runs(self, path: str, real: str) -> list[Source]:
        import sqlite3

        try:
            con = _connect(real)
        except sqlite3.Error as exc:
            raise ReadError(f"cannot open the SQLite database: {exc}") from None
        try:
            return _read_database(con, path)
        except sqlite3.DatabaseError as exc:
            raise ReadError(f"cannot read the MLflow tables: {exc}") from None
        finally:
            con.close()


def _connect(path: str):
    """Read-only, never creating or changing the file (or its journal) under the user's feet."""
    import sqlite3
    from urllib.parse import quote

    uri = "file:" + quote(os.path.abspath(path))
    try:
        con = sqlite3.connect(uri + "?mode=ro", uri=True)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError:
        # a read-only folder where SQLite cannot take its shared lock: read the file as it is
        con = sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con


def _columns(con, table: str) -> set[str]:
    return {row[1] for row in con.execute(f'PRAGMA table_info("{table}")')}


def _read_database(con, path: str) -> list[Source]:
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"metrics", "runs", "experiments"} <= tables:
        raise NotALog("an SQLite database without MLflow's metrics/runs/experiments tables")
    metric_cols = _columns(con, "metrics")
    run_cols = _columns(con, "runs")
    step = "step" if "step" in metric_cols else "0"
    is_nan = "is_nan" if "is_nan" in metric_cols else "0"
    experiments = {row[0]: (row[1], row[2]) for row in con.execute(
        "SELECT experiment_id, name, lifecycle_stage FROM experiments")}
    wanted = [c for c in ("run_uuid", "name", "status", "start_time", "end_time", "lifecycle_stage", "experiment_id")
              if c in run_cols]
    runs = [dict(zip(wanted, row)) for row in con.execute(f"SELECT {', '.join(wanted)} FROM runs")]
    tags: dict[tuple[str, str], str] = {}
    if "tags" in tables:
        for key, value, run in con.execute(
                "SELECT key, value, run_uuid FROM tags WHERE key IN ('mlflow.runName', 'mlflow.parentRunId')"):
            tags[(run, key)] = value
    points: dict[str, dict[str, Points]] = {}
    # rowid is the order rows were inserted: the order the metrics were logged
    for run, key, value, ts, st, nan in con.execute(
            f"SELECT run_uuid, key, value, timestamp, {step}, {is_nan} FROM metrics ORDER BY rowid"):
        p = points.setdefault(run, {}).setdefault(key, Points())
        p.timestamp.append(float(ts or 0))
        p.value.append(_sql_value(value, nan))
        p.step.append(int(st or 0))
    sources = []
    skipped_deleted = 0
    for run in sorted(runs, key=lambda r: (r.get("start_time") or 0, r["run_uuid"])):
        uuid = run["run_uuid"]
        experiment, exp_stage = experiments.get(run.get("experiment_id"), (None, None))
        if run.get("lifecycle_stage") == "deleted" or exp_stage == "deleted":
            skipped_deleted += 1
            continue
        if uuid not in points:
            continue  # a run that logged no metric (failed at start, a parent of nested runs)
        info = {
            "run_id": uuid,
            "run_name": tags.get((uuid, "mlflow.runName")) or run.get("name") or None,
            "experiment_id": str(run.get("experiment_id", "")),
            "experiment": experiment,
            "status": run.get("status"),
            "parent_run_id": tags.get((uuid, "mlflow.parentRunId")),
            "start_time": run.get("start_time"),
            "end_time": run.get("end_time"),
        }
        sources.append(build_source(path, SQLITE_FORMAT, points[uuid], lambda key: path, [], info, lines=False))
    if not sources:
        why = f" ({skipped_deleted} deleted)" if skipped_deleted else ""
        raise NotALog(f"an MLflow database whose runs logged no metric{why}")
    if len(sources) > 1:
        _name_runs(sources)
    return sources


def _sql_value(value: Any, nan: Any) -> float:
    if nan:
        return math.nan
    v = float(value)
    if abs(v) >= _SQL_INF:
        return math.copysign(math.inf, v)
    return v


def _name_runs(sources: list[Source]) -> None:
    """`Source.run` for each run of a database: its MLflow run name, with the start of its run id
    where two runs share a name (MLflow does not make names unique)."""
    names = [s.meta["mlflow"].get("run_name") or s.meta["mlflow"]["run_id"] for s in sources]
    for source, name in zip(sources, names):
        if names.count(name) > 1:
            name = f"{name}-{source.meta['mlflow']['run_id'][:8]}"
        source.run = name


# -- both stores: points to curves -------------------------------------------------------------


def build_source(path: str, fmt: str, points: dict[str, Points], source_of, problems: list[ReadProblem],
                 info: dict, lines: bool) -> Source:
    """Curves from one run's metrics: single values to `meta["summary"]`, a different last value
    re-logged at the last step to `meta["logged_after_training"]`, the axis decided, names
    canonical."""
    meta: dict = {"mlflow": {k: v for k, v in info.items() if v not in (None, "")}}
    summary: dict[str, float] = {}
    after: dict[str, float] = {}
    one_step: list[str] = []
    repeated: dict[str, int] = {}
    series: dict[str, Points] = {}
    for key, p in points.items():
        if key != "epoch" and not _is_curve(key):
            continue
        distinct = set(p.step)
        if len(distinct) < 2:
            summary[key] = p.value[-1]
            if len(p.step) > 2:
                one_step.append(f"{key} ({len(p.step)} values at step {p.step[0]})")
            continue
        if p.step[-1] == p.step[-2] and not _same_number(p.value[-1], p.value[-2]):
            after[key] = p.value[-1]
            p = Points(p.timestamp[:-1], p.value[:-1], p.step[:-1], p.line[:-1])
        p, repeats = _last_of_repeats(p)
        if repeats and key != "epoch":  # HF logs the epoch with every training and evaluation log
            repeated[key] = repeats
        series[key] = p
    epoch_of = _epoch_map(series.get("epoch"))
    keys = [k for k in series if k != "epoch"]
    yolo = is_ultralytics(keys)
    if yolo:
        meta["framework"] = "ultralytics"
    elif "epoch" in points and any(_HF_KEYS.fullmatch(k) for k in points):
        meta["framework"] = "hf"
    axis = STEP_AXIS if epoch_of is not None or _strided(series[k] for k in keys) else "epoch"
    named = tracked_names(list(keys), yolo)
    curves = []
    for key in keys:
        if key not in named:
            continue
        p = series[key]
        split, name, granularity = named[key]
        step = np.asarray(p.step, dtype=np.int64)
        curves.append(Curve(
            name=name, split=split, step=step, value=np.asarray(p.value, dtype=np.float64), granularity=granularity,
            wall_time=np.asarray(p.timestamp, dtype=np.float64) / 1000.0,
            lines=np.asarray(p.line, dtype=np.int64) if lines else None,
            source=source_of(key), raw_name=key,
            epoch=epoch_of(step) if epoch_of is not None else None))
    if yolo:
        curves = with_total_losses(curves)
    if summary:
        meta["summary"] = summary
    if after:
        meta["logged_after_training"] = after
    if repeated:
        meta["mlflow"]["repeated_steps"] = repeated
    if not curves and not any(p.message.startswith("holds no curve") for p in problems):
        what = "only single values (a summary or an evaluation)" if summary else "no metric"
        if one_step:
            what += "; " + ", ".join(one_step[:3]) + " were logged without a step (log_metric(..., step=epoch))"
        problems.append(ReadProblem(path, f"holds no curve: {what}", severity=Severity.INFO if summary else Severity.WARNING))
    return Source(path=path, format=fmt, curves=curves, problems=problems, axis=axis, meta=meta)


def _same_number(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _last_of_repeats(p: Points) -> tuple[Points, int]:
    """A step logged again right after itself is one point, its later value (stable-baselines3
    logs `rollout/exploration_rate` again with each evaluation): not a restart of the run. Steps
    that go back (a second fit in one run) are kept as logged."""
    keep = [i for i in range(len(p.step)) if i + 1 == len(p.step) or p.step[i + 1] != p.step[i]]
    if len(keep) == len(p.step):
        return p, 0
    pick = lambda xs: [xs[i] for i in keep] if xs else xs  # noqa: E731
    return Points(pick(p.timestamp), pick(p.value), pick(p.step), pick(p.line)), len(p.step) - len(keep)


def _epoch_map(p: Points | None):
    """Hugging Face and Lightning log the (fractional) epoch as a metric at each global step:
    a function giving the epoch of any step, or None when the steps are the epochs already."""
    if p is None:
        return None
    steps = np.asarray(p.step, dtype=np.int64)
    epochs = np.asarray(p.value, dtype=np.float64)
    if np.array_equal(steps.astype(np.float64), epochs):
        return None
    order = np.argsort(steps, kind="stable")
    steps, epochs = steps[order], epochs[order]

    def epoch_of(at: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(steps, at, side="right") - 1  # the last epoch logged at or before
        return np.where(idx >= 0, epochs[np.clip(idx, 0, None)], np.nan)

    return epoch_of


def _strided(series: Iterable[Points]) -> bool:
    """Steps that grow by STEP_STRIDE or more between points count optimizer or env steps."""
    longest = max(series, key=lambda p: len(p.step), default=None)
    if longest is None or len(longest.step) < 2:
        return False
    diffs = np.diff(np.asarray(longest.step, dtype=np.int64))
    diffs = diffs[diffs > 0]
    return bool(diffs.size) and float(np.median(diffs)) >= STEP_STRIDE


def _is_curve(key: str) -> bool:
    low = key.lower()
    return (low not in _NOT_CURVES and not low.endswith(_NOT_CURVE_SUFFIXES)
            and not low.startswith(_NOT_CURVE_PREFIXES))
