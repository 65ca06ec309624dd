"""`curvelint watch`: logs that grow under it, half-written last records, files that appear and go,
findings printed once, resolved, the exit status of `--until-idle`, Ctrl-C; and against a log
written by a real training in another process.

The watcher is driven poll by poll through its API where the timing matters (`clock` is the
wall clock file mtimes are compared with), so nothing here waits for a poll interval; the
command-line tests wait for output with generous timeouts, never with tight sleeps.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import HEALTHY, OVERFIT, REPO, run_cli, write_csvlogger, write_events, write_history_json
from curvelint.config import Config
from curvelint.engine import Linter
from curvelint.model import Finding, Severity
from curvelint.readers.base import Incomplete, growing
from curvelint.readers.keras_csv import KerasCsvReader
from curvelint.readers.keras_json import KerasJsonReader
from curvelint.readers.tfevents import TensorBoardReader
from curvelint.watch import CHANGED, NEW, RESOLVED, Watcher, _diff

#: In-progress-only verdicts: rules that judge a finished run (another change makes them silent
#: on a run with `meta["in_progress"]`).
END_RULES = {"OPT004", "FIT001", "FIT002"}


def first(history: dict[str, list[float]], n: int) -> dict[str, list[float]]:
    return {k: v[:n] for k, v in history.items()}


class Clock:
    """The wall clock the watcher compares mtimes with: now, or `later` (everything settled)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def later(self, seconds: float = 10_000) -> None:
        self.offset += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def watcher(path: Path, clock: Clock, **kw) -> Watcher:
    return Watcher(Linter.create(Config()), [str(path)], clock=clock, **kw)


def kinds(events) -> list[tuple[str, str, str]]:
    return [(e.kind, e.finding.run, e.finding.code) for e in events]


def log001(w: Watcher) -> list[Finding]:
    return [f for f in w.report().findings if f.code == "LOG001"]


# -- readers: a half-written last record while growing, an error once settled ----------------------


def test_csv_row_cut_mid_line_is_not_read_until_its_newline(tmp_path):
    path = write_csvlogger(tmp_path / "training.log", first(HEALTHY, 5))
    with open(path, "a") as fh:
        fh.write("5,0.3")  # CSVLogger is half-way through epoch 5's row
    reader = KerasCsvReader()
    with growing([str(path)]):
        source = reader.read(str(path))
    assert [len(c) for c in source.curves] == [5, 5] and source.problems == []
    settled = reader.read(str(path))  # not growing: a cut row is reported, as before
    assert any("row has 2 cells" in p.message for p in settled.problems)


def test_csv_damage_before_the_last_row_is_reported_while_growing(tmp_path):
    path = tmp_path / "training.log"
    path.write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,oops,0.9\n2,0.6,0.7\n3,0.5,0.6")
    with growing([str(path)]):
        source = KerasCsvReader().read(str(path))
    assert [(p.line, p.message) for p in source.problems] == [(3, "'loss' is 'oops', not a number")]
    assert {c.key: len(c) for c in source.curves} == {"train/loss": 2, "val/loss": 3}  # epoch 3 not written yet


def test_empty_csv_json_and_event_file_are_not_yet_written_while_growing(tmp_path):
    for reader, name in ((KerasCsvReader(), "training.log"), (KerasJsonReader(), "history.json"),
                         (TensorBoardReader(), "events.out.tfevents.1.host.1.0.v2")):
        path = tmp_path / name
        path.write_bytes(b"")
        with growing([str(path)]), pytest.raises(Incomplete):
            reader.read(str(path))
        with pytest.raises(Exception) as settled:  # an empty file that stays empty is reported
            reader.read(str(path))
        assert not isinstance(settled.value, Incomplete) and "empty" in str(settled.value)


def test_history_json_half_dumped_is_incomplete_while_growing(tmp_path):
    path = tmp_path / "history.json"
    whole = json.dumps(OVERFIT)
    path.write_text(whole[: len(whole) // 2])
    with growing([str(path)]), pytest.raises(Incomplete, match="still being written"):
        KerasJsonReader().read(str(path))
    settled = KerasJsonReader().read(str(path))  # the salvage of a JSON that stays cut, as before
    assert settled.problems and "invalid JSON" in settled.problems[0].message


def test_tfrecord_cut_in_its_last_record_is_silent_while_growing(tmp_path):
    path = write_events(tmp_path / "events.out.tfevents.1.host.1.0.v2", {"loss": [1.0, 0.8, 0.6, 0.5]})
    data = path.read_bytes()
    path.write_bytes(data[:-7])  # the writer is inside the last record
    with growing([str(path)]):
        source = TensorBoardReader().read(str(path))
    assert source.problems == [] and [len(c) for c in source.curves] == [3]
    settled = TensorBoardReader().read(str(path))
    assert [p.severity for p in settled.problems] == [Severity.INFO]
    assert "file ends inside a record after 4 complete records" in settled.problems[0].message


def test_tfrecord_corrupt_record_before_the_end_is_reported_while_growing(tmp_path):
    path = write_events(tmp_path / "events.out.tfevents.1.host.1.0.v2", {"loss": [1.0, 0.8, 0.6, 0.5, 0.4]})
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte mid-file: corruption, not a record still being written
    path.write_bytes(bytes(data))
    with growing([str(path)]):
        source = TensorBoardReader().read(str(path))
    assert source.problems and all(p.severity == Severity.ERROR for p in source.problems)


# -- the watcher ---------------------------------------------------------------------------------


def test_growing_csv_is_linted_in_progress_and_a_finding_prints_once(tmp_path, clock):
    path = tmp_path / "run" / "training.log"
    write_csvlogger(path, first(OVERFIT, 6))
    w = watcher(tmp_path, clock)
    assert w.poll() == []  # 6 epochs: nothing to say yet
    run = w.report().runs[0]
    assert run.meta.get("in_progress") is True and run.epochs == 6
    seen = []
    for n in range(7, 13):
        write_csvlogger(path, first(OVERFIT, n))
        seen += w.poll()
    new = [e for e in seen if e.kind == NEW]
    assert ("new", "run", "GEN001") in kinds(new) and all(e.in_progress for e in new)
    assert len([e for e in seen if e.finding.code == "GEN001"]) == 1  # its numbers changed every epoch
    assert "at epoch 11" in next(f for f in w.report().findings if f.code == "GEN001").message  # the newest message


def test_half_written_row_is_not_a_finding_while_growing_and_is_one_when_it_stays(tmp_path, clock):
    path = write_csvlogger(tmp_path / "run" / "training.log", first(HEALTHY, 6))
    with open(path, "a") as fh:
        fh.write("6,0.3")
    w = watcher(tmp_path, clock)
    w.poll()
    assert log001(w) == [] and w.report().runs[0].epochs == 6
    with open(path, "a") as fh:
        fh.write("2,0.39\n")  # the row is finished
    w.poll()
    assert log001(w) == [] and w.report().runs[0].epochs == 7
    with open(path, "a") as fh:
        fh.write("7,0.29")  # and the next one cut, for good: the training died there
    w.poll()
    assert log001(w) == []
    clock.later()
    events = [e for e in w.poll() if e.finding.code == "LOG001"]  # settled: read strictly, the cut row is reported
    assert [e.kind for e in events] == [NEW]
    assert "row has 2 cells" in events[0].finding.message and not events[0].in_progress


def test_truncated_tfrecord_last_record_while_growing(tmp_path, clock):
    path = write_events(tmp_path / "run" / "events.out.tfevents.1.host.1.0.v2",
                        {"loss": HEALTHY["loss"][:6]})
    whole = path.read_bytes()
    path.write_bytes(whole[:-5])
    w = watcher(tmp_path, clock)
    w.poll()
    assert log001(w) == [] and w.report().runs[0].epochs == 5
    path.write_bytes(whole)  # the writer finished the record
    w.poll()
    assert log001(w) == [] and w.report().runs[0].epochs == 6


def test_history_json_being_rewritten_keeps_its_last_complete_version(tmp_path, clock):
    path = write_history_json(tmp_path / "run" / "history.json", first(HEALTHY, 8))
    w = watcher(tmp_path, clock)
    w.poll()
    assert w.report().runs[0].epochs == 8
    whole = json.dumps(first(HEALTHY, 10))
    path.write_text(whole[: len(whole) // 2])  # json.dump is half-way through the new version
    assert w.poll() == [] and w.report().runs[0].epochs == 8 and log001(w) == []
    path.write_text(whole)
    w.poll()
    assert w.report().runs[0].epochs == 10 and log001(w) == []


def test_a_file_appearing_is_linted(tmp_path, clock):
    w = watcher(tmp_path, clock)
    assert w.poll() == [] and w.report().runs == []
    (tmp_path / "later").mkdir()
    path = tmp_path / "later" / "training.log"
    path.write_bytes(b"")  # CSVLogger opens its file at the start, writes the first row after epoch 0
    assert w.poll() == [] and w.report().runs == []
    write_csvlogger(path, OVERFIT)
    assert ("new", "later", "GEN001") in kinds(w.poll())


def test_a_deleted_run_resolves_its_findings_and_the_others_stay(tmp_path, clock):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    write_csvlogger(tmp_path / "b" / "training.log", OVERFIT)
    w = watcher(tmp_path, clock)
    found = w.poll()
    assert {e.finding.run for e in found} == {"a", "b"}
    kept = [f for f in w.report().findings if f.run == "b"]
    os.remove(tmp_path / "a" / "training.log")
    events = w.poll()
    assert {(e.kind, e.finding.run) for e in events} == {(RESOLVED, "a")}
    assert sorted(kinds(events)) == sorted((RESOLVED, "a", e.finding.code) for e in found if e.finding.run == "a")
    assert [r.id for r in w.report().runs] == ["b"]
    assert all(any(f is g for g in w.report().findings) for f in kept)  # b was not linted again


def test_a_finding_resolving(tmp_path, clock):
    path = tmp_path / "run" / "training.log"
    write_csvlogger(path, {"loss": [1.0, 0.8, float("nan"), 0.6, 0.5], "val_loss": [1.1, 0.9, 0.8, 0.7, 0.6]})
    w = watcher(tmp_path, clock)
    assert ("new", "run", "NUM001") in kinds(w.poll())
    write_csvlogger(path, {"loss": [1.0, 0.8, 0.7, 0.6, 0.5], "val_loss": [1.1, 0.9, 0.8, 0.7, 0.6]})
    events = w.poll()
    assert ("resolved", "run", "NUM001") in kinds(events)
    resolved = next(e for e in events if e.finding.code == "NUM001")
    assert "NaN" in resolved.finding.message  # the message it had, to say what went away


def test_severity_change_is_a_change_and_new_numbers_are_not():
    def finding(severity: Severity, message: str) -> Finding:
        return Finding(run="r", code="NUM002", rule="divergence", severity=severity, message=message, series=("train/loss",))

    same = _diff([finding(Severity.WARNING, "rose 2x")], [finding(Severity.WARNING, "rose 3x")], {}, 0.0)
    assert same == []
    worse = _diff([finding(Severity.WARNING, "rose 3x")], [finding(Severity.ERROR, "rose 9x")], {}, 0.0)
    assert [(e.kind, e.finding.severity, e.was) for e in worse] == [(CHANGED, Severity.ERROR, Severity.WARNING)]
    gone = _diff([finding(Severity.ERROR, "rose 9x")], [], {}, 0.0)
    assert [(e.kind, e.finding.message) for e in gone] == [(RESOLVED, "rose 9x")]


def test_a_settled_run_is_linted_once_more_as_finished(tmp_path, clock):
    write_csvlogger(tmp_path / "run" / "training.log", OVERFIT)
    w = watcher(tmp_path, clock, settle=30)
    w.poll()
    assert w.report().runs[0].meta.get("in_progress") is True
    assert w.poll() == [] and w.relinted == 0
    clock.later(31)  # no file changed, but the run settled
    w.poll()
    assert w.relinted == 1 and "in_progress" not in w.report().runs[0].meta
    w.poll()
    assert w.relinted == 0


def test_finish_lints_every_run_as_finished(tmp_path, clock):
    write_csvlogger(tmp_path / "run" / "training.log", OVERFIT)
    w = watcher(tmp_path, clock)
    w.poll()
    assert w.in_progress() == 1
    w.finish()
    assert w.in_progress() == 0 and w.relinted == 1


def test_only_changed_files_are_read_again(tmp_path, clock):
    for name in ("a", "b", "c"):
        write_csvlogger(tmp_path / name / "training.log", first(OVERFIT, 8))
        write_history_json(tmp_path / name / "history.json", first(OVERFIT, 8))
    w = watcher(tmp_path, clock)
    w.poll()
    assert w.cache.reads == 6
    assert w.poll() == [] and w.cache.reads == 6 and w.relinted == 0  # nothing changed, nothing read
    write_csvlogger(tmp_path / "b" / "training.log", first(OVERFIT, 9))
    w.poll()
    assert w.cache.reads == 7 and w.relinted == 1  # b's CSV only; its history JSON came from the cache


def test_a_file_the_linter_skips_does_not_rediscover(tmp_path, clock, monkeypatch):
    write_csvlogger(tmp_path / "run" / "training.log", OVERFIT)
    w = watcher(tmp_path, clock)
    w.poll()
    import curvelint.watch as watch

    calls = []
    real = watch.discover
    monkeypatch.setattr(watch, "discover", lambda *a, **k: calls.append(a) or real(*a, **k))
    (tmp_path / "run" / "ckpt-01.weights.h5").write_bytes(b"\0" * 64)  # a checkpoint every epoch
    w.poll()
    assert calls == []
    (tmp_path / "run" / "history.json").write_text(json.dumps(OVERFIT))
    w.poll()
    assert len(calls) == 1


# -- the command line ----------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}, "PYTHONUNBUFFERED": "1"}


def _start(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    """`curvelint ARGS` in a process that takes Ctrl-C (SIGINT) as a terminal's foreground job does,
    even when the test runner was started with SIGINT ignored (a background job of a shell)."""
    return subprocess.Popen([sys.executable, "-m", "curvelint", *args], cwd=cwd, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_until_idle_exits_with_checks_status_and_prints_each_finding_once(tmp_path):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    write_csvlogger(tmp_path / "b" / "training.log", {"loss": [1.0, float("nan"), 0.5, 0.4], "val_loss": [1.0, 0.9, 0.8, 0.7]})
    write_csvlogger(tmp_path / "ok" / "training.log", HEALTHY)
    check = run_cli("check", str(tmp_path), "--isolated", "--output-format", "json")
    expected = sorted((f["run"], f["code"]) for f in json.loads(check.stdout)["findings"])
    watch = run_cli("watch", str(tmp_path), "--isolated", "--until-idle", "1", "--interval", "0.2",
                    "--output-format", "concise")
    assert watch.returncode == check.returncode == 1, watch.stderr
    lines = watch.stdout.splitlines()
    assert all(line.startswith("new ") for line in lines), lines
    got = sorted((line.split()[1].split("/")[-2], line.split(": ")[1].split()[0]) for line in lines)
    assert got == expected
    assert "watching" in watch.stderr and "Traceback" not in watch.stderr


def test_until_idle_exit_status_follows_fail_on(tmp_path):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)  # warnings only
    assert run_cli("watch", str(tmp_path), "--isolated", "--until-idle", "0.5", "-q").returncode == 0
    assert run_cli("watch", str(tmp_path), "--isolated", "--until-idle", "0.5", "-q", "--fail-on", "warning").returncode == 1


def test_no_log_at_the_end_is_exit_2_and_a_missing_path_at_once(tmp_path):
    empty = run_cli("watch", str(tmp_path), "--isolated", "--until-idle", "0.5")
    assert empty.returncode == 2 and "no training logs found" in empty.stderr
    missing = run_cli("watch", str(tmp_path / "nope"), "--isolated")
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr


def _lines(stream, into: list[str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.extend(iter(stream.readline, "")), daemon=True)
    thread.start()
    return thread


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.1)


def test_ctrl_c_stops_cleanly_with_130(tmp_path):
    path = write_csvlogger(tmp_path / "run" / "training.log", first(OVERFIT, 5))
    proc = _start("watch", str(tmp_path), "--isolated", "--interval", "0.2", "--output-format", "json-lines")
    out: list[str] = []
    err: list[str] = []
    readers = [_lines(proc.stdout, out), _lines(proc.stderr, err)]
    try:
        _wait_for(lambda: any("1 run" in line for line in err), 60, "the first lint")
        write_csvlogger(path, OVERFIT)  # the run grows while watched: GEN001 appears
        _wait_for(lambda: any('"GEN001"' in line for line in out), 60, "GEN001 on the grown run")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    for thread in readers:
        thread.join(timeout=10)
    assert "Traceback" not in "".join(err) and "stopped watching" in "".join(err)
    events = [json.loads(line) for line in out]
    assert {k: events[-1][k] for k in ("event", "status", "reason")} == \
        {"event": "exit", "status": 130, "reason": "interrupted"}
    assert events[-1]["summary"]["runs"] == 1
    gen001 = [e for e in events if e.get("code") == "GEN001"]
    assert [(e["event"], e["in_progress"]) for e in gen001] == [("new", True)]


def test_watch_is_a_command():
    result = run_cli("--help")
    assert "watch [PATH ...]" in result.stdout
    assert "--until-idle" in run_cli("watch", "--help").stdout


# -- a real training in another process ------------------------------------------------------------


def _have_tensorflow() -> bool:
    if os.environ.get("CI"):
        return True  # CI must have it: the trainer fails the test if the install step did not run
    return importlib.util.find_spec("tensorflow") is not None


@pytest.mark.skipif(not _have_tensorflow(), reason="the trainer needs TensorFlow")
def test_watching_a_real_training(tmp_path):
    """`curvelint train divergence` in one process, `curvelint watch --until-idle` in another:
    the divergence is reported once, while the run is still training, and the exit status is the
    one `curvelint check` gives on the finished run."""
    out, trainer_log = tmp_path / "runs", tmp_path / "trainer.err"
    out.mkdir()
    with open(trainer_log, "w") as err:  # a file, not a pipe: TensorFlow's notes must never block it
        trainer = subprocess.Popen([sys.executable, "-m", "curvelint", "train", "divergence", "--out", str(out),
                                    "--epochs", "30"], env=_env(), stdout=subprocess.DEVNULL, stderr=err)
    log = out / "divergence" / "training.log"
    try:
        # TensorFlow's import takes seconds (more on a loaded machine): watch once the first epoch
        # is written, so --until-idle measures the gaps between epochs, not the import
        _wait_for(lambda: log.is_file() and log.stat().st_size > 0 or trainer.poll() is not None, 300,
                  "the trainer's first epoch")
        assert trainer.poll() is None, trainer_log.read_text()
        watch = subprocess.run([sys.executable, "-m", "curvelint", "watch", str(out), "--isolated",
                                "--interval", "0.3", "--until-idle", "15", "--output-format", "json-lines"],
                               env=_env(), capture_output=True, text=True, timeout=600)
        assert trainer.wait(timeout=300) == 0, trainer_log.read_text()
    finally:
        if trainer.poll() is None:
            trainer.kill()
    events = [json.loads(line) for line in watch.stdout.splitlines()]
    changes = [e for e in events if e["event"] in ("new", "changed", "resolved")]
    divergence = [e for e in changes if e["code"] == "NUM002"]
    assert [e["event"] for e in divergence if e["event"] != "changed"] == ["new"], changes
    assert divergence[0]["in_progress"] is True  # found while it was still training
    assert divergence[0]["run"] == "divergence" and "loss rose" in divergence[0]["message"]
    assert not [e for e in changes if e["in_progress"] and e["code"] in END_RULES]  # no end-of-run verdict mid-run
    check = run_cli("check", str(out), "--isolated", "--output-format", "json")
    final: set[tuple[str, str]] = set()
    for e in changes:  # replayed in order: what the watch says at the end
        (final.discard if e["event"] == "resolved" else final.add)((e["run"], e["code"]))
    assert final == {(f["run"], f["code"]) for f in json.loads(check.stdout)["findings"]}
    assert events[-1]["event"] == "exit" and events[-1]["reason"] == "idle"
    assert watch.returncode == events[-1]["status"] == check.returncode == 1, watch.stderr
