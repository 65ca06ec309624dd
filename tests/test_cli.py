from __future__ import annotations

import json

import pytest

from conftest import HEALTHY, OVERFIT, run_cli, write_csvlogger, write_history_json


@pytest.fixture
def tree(tmp_path):
    write_csvlogger(tmp_path / "runs" / "overfit" / "training.log", OVERFIT)
    write_csvlogger(tmp_path / "runs" / "healthy" / "training.log", HEALTHY)
    nan = dict(HEALTHY, loss=HEALTHY["loss"][:5] + [float("nan")] * 5)
    write_history_json(tmp_path / "runs" / "nan" / "history.json", nan)
    return tmp_path


def test_exit_codes(tree):
    assert run_cli("runs/healthy", "--isolated", cwd=tree).returncode == 0
    assert run_cli("runs/overfit", "--isolated", cwd=tree).returncode == 0  # a warning < default fail-on
    assert run_cli("runs/overfit", "--isolated", "--fail-on", "warning", cwd=tree).returncode == 1
    assert run_cli("runs/nan", "--isolated", cwd=tree).returncode == 1  # NUM001 is an error
    assert run_cli("runs/nan", "--isolated", "--exit-zero", cwd=tree).returncode == 0
    assert run_cli("runs/nan", "--isolated", "--fail-on", "never", cwd=tree).returncode == 0
    assert run_cli("missing", "--isolated", cwd=tree).returncode == 2
    assert run_cli("runs", "--isolated", "--exit-zero", "--select", "NOPE9", cwd=tree).returncode == 2
    assert run_cli("runs", "--bogus-flag", cwd=tree).returncode == 2
    assert run_cli("runs", "--format", "nope", cwd=tree).returncode == 2


def test_json_contract(tree):
    proc = run_cli("runs", "--isolated", "--format", "json", "--select", "GEN001,NUM001", cwd=tree)
    out = json.loads(proc.stdout)
    assert set(out) == {"version", "runs", "findings", "errors", "summary"}
    assert out["version"] == 1
    runs = {r["id"]: r for r in out["runs"]}
    assert set(runs) == {"overfit", "healthy", "nan"}  # ids relative to the argument
    assert runs["overfit"] == {"id": "overfit", "format": "keras-csv", "sources": ["runs/overfit/training.log"],
                               "epochs": 12, "series": ["train/accuracy", "train/loss", "val/accuracy", "val/loss"]}
    gen = next(f for f in out["findings"] if f["code"] == "GEN001")
    assert set(gen) == {"run", "code", "rule", "severity", "message", "remediation", "series", "epochs", "location", "evidence",
                        "explained_by"}
    assert gen["explained_by"] is None
    assert gen["rule"] == "overfitting" and gen["severity"] == "warning" and gen["series"] == ["val/loss", "train/loss"]
    # val_loss minimum 0.6 at epoch 4 (CSV line 6), last epoch 11
    assert gen["epochs"] == [4, 11]
    assert gen["location"] == {"path": "runs/overfit/training.log", "line": 6}
    assert gen["evidence"]["best_epoch"] == 4 and gen["evidence"]["best_val_loss"] == 0.6
    assert "from its minimum 0.6 at epoch 4" in gen["message"]
    assert out["summary"] == {"runs": 3, "error": 1, "warning": 1, "info": 0}


@pytest.mark.parametrize("selector, codes", [
    ("GEN001", {"GEN001"}), ("overfitting", {"GEN001"}), ("gen001", {"GEN001"}),
    ("GEN", {"GEN001", "GEN002"}), ("G", {"GEN001", "GEN002"}), ("GEN00", {"GEN001", "GEN002"}),
])
def test_select_by_code_prefix_slug(tree, selector, codes):
    out = json.loads(run_cli("runs", "--isolated", "--format", "json", "--select", selector, cwd=tree).stdout)
    assert {f["code"] for f in out["findings"]} == codes


def test_ignore_and_extend_select(tree):
    out = json.loads(run_cli("runs", "--isolated", "--format", "json", "--select", "GEN001,NUM001,GEN002",
                             "--ignore", "NUM,overfitting", cwd=tree).stdout)
    assert {f["code"] for f in out["findings"]} == {"GEN002"}
    out = json.loads(run_cli("runs", "--isolated", "--format", "json", "--select", "NUM001", "--extend-select", "GEN001", cwd=tree).stdout)
    assert {f["code"] for f in out["findings"]} == {"GEN001", "NUM001"}


def test_text_output_output_file_and_statistics(tree):
    proc = run_cli("runs", "--isolated", "--select", "GEN001,NUM001", cwd=tree)
    assert "\x1b[" not in proc.stdout  # not a TTY: no colour
    assert "overfit" in proc.stdout and "GEN001" in proc.stdout and "runs/overfit/training.log:6" in proc.stdout
    assert "Found 2 findings in 2 runs of 3 linted (1 error, 1 warning, 0 info)." in proc.stdout
    target = tree / "report.json"
    proc = run_cli("runs", "--isolated", "--format", "json", "--output", str(target), cwd=tree)
    assert proc.stdout == "" and json.loads(target.read_text())["summary"]["runs"] == 3
    proc = run_cli("runs", "--isolated", "--statistics", "--select", "GEN001,NUM001", cwd=tree)
    lines = [l.split() for l in proc.stdout.splitlines() if l.strip().startswith("1 ")]
    assert sorted(l[1] for l in lines) == ["GEN001", "NUM001"]


def test_rule_and_rules_commands():
    proc = run_cli("rule", "overfitting")
    assert proc.returncode == 0
    for needle in ("# GEN001 overfitting", "## What it detects", "## Why it matters", "## Remediation", "## Example", "min-rise"):
        assert needle in proc.stdout
    assert run_cli("rule", "GEN001").stdout == proc.stdout
    assert run_cli("rule", "NOPE").returncode == 2
    listing = run_cli("rules").stdout
    for code in ("LOG001", "LOG002", "LOG003", "LOG004", "NUM001", "GEN001", "INT001"):
        assert code in listing


def test_version_and_module_entry():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("curvelint ")


def test_jobs_give_the_same_output_in_the_same_order():
    from conftest import REALWORLD, REPO

    paths = [str(REPO / "fixtures")] + ([str(REALWORLD)] if REALWORLD.is_dir() else [])
    one = run_cli(*paths, "--isolated", "--format", "json", "--jobs", "1", "--exit-zero")
    two = run_cli(*paths, "--isolated", "--format", "json", "--jobs", "2", "--exit-zero")
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout
    assert len(json.loads(one.stdout)["runs"]) >= 24  # enough log directories to run in parallel


def test_parallel_lint_beside_another_thread_uses_fresh_workers_and_agrees(monkeypatch):
    """With a second thread alive (the progress bar's), workers must not be forked from this
    process; the forkserver path must give the same report as one process."""
    import multiprocessing
    import threading

    from conftest import REPO
    from curvelint.engine import Linter

    linter = Linter.create()
    one = linter.lint_paths([str(REPO / "fixtures")], jobs=1)
    started = []
    original = multiprocessing.get_context
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: started.append(method) or original(method))
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        two = linter.lint_paths([str(REPO / "fixtures")], jobs=2)
    finally:
        stop.set()
        thread.join()
    assert started and "fork" not in started
    assert [r.id for r in two.runs] == [r.id for r in one.runs]
    assert [(f.run, f.code, f.message, f.evidence) for f in two.findings] == [(f.run, f.code, f.message, f.evidence) for f in one.findings]


def test_default_jobs_stay_in_process_for_a_small_tree(monkeypatch):
    import multiprocessing

    from conftest import REPO
    from curvelint import engine
    from curvelint.engine import Linter

    started = []
    original = multiprocessing.get_context
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: started.append(method) or original(method))
    linter = Linter.create()
    small = linter.lint_paths([str(REPO / "fixtures")], jobs=None)  # 1.6 MB of logs
    assert started == []
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 1024)
    big = linter.lint_paths([str(REPO / "fixtures")], jobs=None)
    assert started  # workers were started
    assert [(f.run, f.code, f.message) for f in big.findings] == [(f.run, f.code, f.message) for f in small.findings]
