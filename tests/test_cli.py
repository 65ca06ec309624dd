from __future__ import annotations

import json
import os

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
    # the run's only file is named once, in its header; each finding says its line there
    assert "overfit  keras-csv · 12 epochs · training.log" in proc.stdout
    assert "GEN001" in proc.stdout and "[overfitting]  line 6" in proc.stdout
    assert "Found 2 findings in 2 runs of 3 linted (1 error, 1 warning, 0 info)." in proc.stdout
    target = tree / "report.json"
    proc = run_cli("runs", "--isolated", "--format", "json", "--output", str(target), cwd=tree)
    assert proc.stdout == "" and json.loads(target.read_text())["summary"]["runs"] == 3
    proc = run_cli("runs", "--isolated", "--statistics", "--select", "GEN001,NUM001", cwd=tree)
    lines = [l.split() for l in proc.stdout.splitlines() if l.strip().startswith("1 ")]
    assert sorted(l[1] for l in lines) == ["GEN001", "NUM001"]


def test_rule_and_rules_commands(tmp_path):
    proc = run_cli("rule", "overfitting")
    assert proc.returncode == 0
    for needle in ("# GEN001 overfitting", "## What it detects", "## Why it matters", "## Remediation", "## Example", "min-rise"):
        assert needle in proc.stdout
    assert run_cli("rule", "GEN001").stdout == proc.stdout
    assert run_cli("rule", "NOPE").returncode == 2
    listing = run_cli("rules", cwd=tmp_path).stdout  # not the repo root: it has a rules/ directory
    for code in ("LOG001", "LOG002", "LOG003", "LOG004", "LOG005", "NUM001", "GEN001", "INT001"):
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


# -- never silently green ------------------------------------------------------------------------


def test_no_training_log_is_an_error_with_one_line_on_stderr(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli("empty", "--isolated", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("curvelint: error: no training logs found under empty")
    assert "allow-empty" in proc.stderr
    # files that are not logs are still nothing to lint
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("# not a log\n")
    (tmp_path / "notes" / "package.json").write_text('{"name": "x"}')
    proc = run_cli("notes", "--isolated", cwd=tmp_path)
    assert proc.returncode == 2 and "no training logs found under notes" in proc.stderr
    # machine formats still get their report, with the error in it
    proc = run_cli("empty", "--isolated", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 2
    assert [e["message"].split(" (")[0] for e in json.loads(proc.stdout)["errors"]] == ["no training logs found under empty"]


def test_allow_empty_in_the_config_exits_zero(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "curvelint.toml").write_text("allow-empty = true\n")
    proc = run_cli("empty", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "All checks passed: 0 runs linted" in proc.stdout and proc.stderr == ""
    (tmp_path / "curvelint.toml").write_text('allow-empty = "yes"\n')
    proc = run_cli("empty", cwd=tmp_path)
    assert proc.returncode == 2 and "allow-empty: expected true or false" in proc.stderr


def test_missing_path_is_one_error_on_stderr_and_nothing_passes(tree):
    proc = run_cli("missing", "--isolated", cwd=tree)
    assert proc.returncode == 2
    assert proc.stdout == "" and "All checks passed" not in proc.stderr
    assert proc.stderr == "curvelint: error: missing: no such file or directory\n"
    # beside a real run: the run is reported, the missing path is still an error (once)
    proc = run_cli("runs/healthy", "missing", "--isolated", cwd=tree)
    assert proc.returncode == 2 and proc.stderr == "curvelint: error: missing: no such file or directory\n"
    assert "missing" not in proc.stdout


def test_a_run_no_rule_can_read_gets_log005(tmp_path):
    """Prefixed names of a train-only detection log: no loss, no validation, no metric with a
    direction. The run must not pass silently."""
    write_history_json(tmp_path / "yolo" / "history.json",
                       {"box_loss": [1.2, 0.9, 0.7, 0.6, 0.55], "cls_loss": [0.8, 0.6, 0.5, 0.45, 0.42]})
    out = json.loads(run_cli("yolo", "--isolated", "--format", "json", cwd=tmp_path).stdout)
    log005 = [f for f in out["findings"] if f["code"] == "LOG005"]
    assert len(log005) == 1 and log005[0]["severity"] == "warning" and log005[0]["rule"] == "nothing-checked"
    assert "2 series logged (box_loss, cls_loss)" in log005[0]["message"]
    assert "[tool.curvelint.series]" in log005[0]["remediation"] and '"box_loss" = "train/loss"' in log005[0]["remediation"]
    proc = run_cli("yolo", "--isolated", "--fail-on", "warning", cwd=tmp_path)
    assert proc.returncode == 1 and "LOG005" in proc.stdout


def test_log005_judges_the_selection(tree):
    # healthy: the whole catalogue reads train/val loss, nothing to say
    out = json.loads(run_cli("runs/healthy", "--isolated", "--format", "json", cwd=tree).stdout)
    assert "LOG005" not in {f["code"] for f in out["findings"]}
    # only training loss, and the selected rules all need validation
    write_history_json(tree / "trainonly" / "history.json", {"loss": [1.0, 0.8, 0.7, 0.65, 0.6]})
    out = json.loads(run_cli("trainonly", "--isolated", "--format", "json", "--select", "GEN002,DAT,LOG005", cwd=tree).stdout)
    [f] = [f for f in out["findings"] if f["code"] == "LOG005"]
    assert "none of the selected rules (DAT001, DAT002, DAT003, DAT004, GEN002) can read any of them" in f["message"]
    assert "other rules of the catalogue can" in f["message"]
    # not selected, not reported; ignorable like any rule
    out = json.loads(run_cli("trainonly", "--isolated", "--format", "json", "--select", "GEN002", cwd=tree).stdout)
    assert out["findings"] == []
    out = json.loads(run_cli("trainonly", "--isolated", "--format", "json", "--select", "GEN002,DAT,LOG005",
                             "--ignore", "nothing-checked", cwd=tree).stdout)
    assert out["findings"] == []


def test_a_rule_that_raises_is_reported_whatever_the_selection(tree, monkeypatch):
    """INT001 used to be emitted only when selected: `--select GEN001` dropped GEN001's crash."""
    from curvelint.config import Config, Selection
    from curvelint.engine import Linter
    from curvelint.rules.overfitting import Overfitting
    from curvelint.testing import make_run

    def boom(self, run, opts):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(Overfitting, "check", boom)
    run = make_run({"train/loss": [1, 0.8, 0.6, 0.5], "val/loss": [1, 0.9, 0.95, 1.1]})
    for select in (["GEN001"], ["GEN001", "INT001"], ["ALL"]):
        linter = Linter.create(Config(), Selection(select=select))
        crashed = [f for f in linter.check(run) if f.code == "INT001"]
        assert len(crashed) == 1 and "rule GEN001 (overfitting) raised RuntimeError: boom" in crashed[0].message, select
    linter = Linter.create(Config(), Selection(select=["GEN001"], ignore=["INT001"]))
    assert [f.code for f in linter.check(run)] == ["INT001"]


def test_a_severity_set_in_the_config_wins_even_when_it_is_the_default():
    """A rule may grade one case (GEN001 reports a metric that disagrees with the monitor as
    info); `severity = "warning"` in the config must win, although warning is GEN001's default."""
    from curvelint.config import Config
    from curvelint.engine import Linter
    from curvelint.testing import make_run

    # val/loss keeps falling (the monitor is fine) while val/accuracy falls from its best
    run = make_run({
        "train/loss": [1.0, 0.8, 0.6, 0.45, 0.35, 0.27, 0.2, 0.15, 0.11, 0.08],
        "val/loss": [1.0, 0.85, 0.72, 0.63, 0.57, 0.53, 0.5, 0.48, 0.47, 0.46],
        "train/accuracy": [0.5, 0.6, 0.7, 0.78, 0.84, 0.88, 0.91, 0.94, 0.96, 0.97],
        "val/accuracy": [0.5, 0.6, 0.7, 0.78, 0.8, 0.77, 0.73, 0.7, 0.66, 0.62],
    })

    def gen001(rules):
        found = [f for f in Linter.create(Config(rules=rules)).check(run) if f.code == "GEN001"]
        assert len(found) == 1, found
        return found[0].severity.value

    assert gen001({}) == "info"  # the rule's own grading
    assert gen001({"overfitting": {"severity": "warning"}}) == "warning"  # equal to the default: still wins
    assert gen001({"GEN001": {"severity": "error"}}) == "error"
    assert gen001({"GEN001": {"min_rise": 0.1}}) == "info"  # options alone do not override the grading


def test_fail_on_uses_severity_ranks(tree):
    assert run_cli("runs/overfit", "--isolated", "--fail-on", "info", cwd=tree).returncode == 1
    assert run_cli("runs/healthy", "--isolated", "--fail-on", "info", "--select", "GEN001", cwd=tree).returncode == 0
    import curvelint.cli as cli

    source = open(cli.__file__, encoding="utf-8").read()
    assert '"error": 3' not in source  # one ranking: Severity.rank


# -- a CLI without traps ---------------------------------------------------------------------------


def test_check_is_the_canonical_command_and_a_bare_path_is_the_same(tree):
    bare = run_cli("runs", "--isolated", "--format", "json", cwd=tree)
    check = run_cli("check", "runs", "--isolated", "--format", "json", cwd=tree)
    assert bare.returncode == check.returncode == 1 and bare.stdout == check.stdout  # nan: NUM001 is an error
    assert json.loads(check.stdout)["summary"]["runs"] == 3
    default = run_cli("check", "--isolated", "--format", "json", cwd=tree / "runs")  # default path: .
    assert json.loads(default.stdout)["summary"]["runs"] == 3
    helped = run_cli("check", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: curvelint check [PATH ...]")
    top = run_cli("--help")
    assert top.stdout.startswith("usage: curvelint [check] [PATH ...]")
    for command in ("check [PATH ...]", "rule CODE|SLUG", "rules", "plugins", "train SCENARIO", "comment"):
        assert command in top.stdout


def test_a_command_name_that_is_also_a_directory_here_is_not_run_by_surprise(tmp_path):
    """`curvelint train` inside a Keras run directory (which has train/ and validation/) must
    not start the trainer, nor silently lint; it says how to ask for either."""
    from conftest import write_keras_tensorboard

    write_keras_tensorboard(tmp_path, OVERFIT)
    proc = run_cli("train", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "'train' is both a curvelint command and a directory here" in proc.stderr
    assert "curvelint check train" in proc.stderr and "curvelint ./train" in proc.stderr
    assert "training" not in proc.stderr  # the trainer did not start
    for spelling in (("check", "train"), ("./train",), ("check", "./train")):
        proc = run_cli(*spelling, "--isolated", "--format", "json", cwd=tmp_path)
        assert proc.returncode == 0, (spelling, proc.stderr)
        sources = [[os.path.normpath(p) for p in r["sources"]] for r in json.loads(proc.stdout)["runs"]]
        assert sources == [["train/events.out.tfevents.1700000000.host.1.0.v2"]], spelling
    # with an argument it is the command, as the hint says
    listing = run_cli("train", "--list", cwd=tmp_path)
    assert listing.returncode == 0 and "overfitting" in listing.stdout
    # two directories named like a command and a scenario: the trainer's error says how to lint them
    proc = run_cli("train", "validation", cwd=tmp_path)
    assert proc.returncode == 2 and "curvelint check train validation" in proc.stderr
    # `rules` in a directory holding rules/ (this repository's root)
    (tmp_path / "rules").mkdir()
    proc = run_cli("rules", cwd=tmp_path)
    assert proc.returncode == 2 and "curvelint rules --format text" in proc.stderr
    proc = run_cli("rules", "--format", "text", cwd=tmp_path)
    assert proc.returncode == 0 and "GEN001" in proc.stdout
    # no such path here: the bare command runs
    assert "GEN001" in run_cli("rules", cwd=tmp_path / "train").stdout


# -- zero rules, and running from a checkout -----------------------------------------------------


def _venv_without_curvelint(root):
    """A real virtualenv whose site-packages holds every installed distribution except
    curvelint's own (symlinked, so nothing is downloaded): `import curvelint` fails in it."""
    import subprocess
    import sys
    import sysconfig

    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    for entry in os.scandir(sysconfig.get_paths()["purelib"]):
        if "curvelint" in entry.name.lower() or _points_at_curvelint(entry.path):
            continue  # curvelint itself (and the team plugin that depends on it)
        target = os.path.join(site, entry.name)
        if not os.path.lexists(target):
            os.symlink(entry.path, target)
    return python


def _points_at_curvelint(path: str) -> bool:
    """A `.pth` file that puts a directory holding a `curvelint` package on sys.path."""
    if not path.endswith(".pth"):
        return False
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = [line.strip() for line in fh if line.strip() and not line.startswith(("#", "import"))]
    return any(os.path.isfile(os.path.join(line, "curvelint", "__init__.py")) for line in lines)


def _checkout(root, with_rules=True):
    """The source tree as cloned: curvelint/ and rules/ side by side, no egg-info, no dist-info."""
    import shutil

    from conftest import REPO

    checkout = root / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "rules")  # a symlink curvelint/rules would cheat
    shutil.copytree(REPO / "curvelint", checkout / "curvelint", ignore=ignore)
    if with_rules:
        shutil.copytree(REPO / "rules", checkout / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    return checkout


def _run(python, checkout, *args, cwd, **extra_env):
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GITHUB_ACTIONS", "PYTHONHOME")}
    env.update(PYTHONPATH=str(checkout), XDG_CACHE_HOME=str(checkout.parent / "cache"), **extra_env)
    return subprocess.run([str(python), "-m", "curvelint", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def no_install(tmp_path_factory):
    root = tmp_path_factory.mktemp("noinstall")
    return root, _venv_without_curvelint(root)


def test_running_from_a_checkout_without_install_lints(no_install):
    import subprocess

    from conftest import REPO

    root, python = no_install
    checkout = _checkout(root / "full")
    # really not installed: no curvelint to import, no curvelint entry point
    probe = subprocess.run([str(python), "-c", "import importlib.metadata as m, importlib.util as u; "
                            "print(u.find_spec('curvelint'), [e.name for e in m.entry_points(group='curvelint')])"],
                           capture_output=True, text=True, cwd=root, env={"PATH": os.environ.get("PATH", "")})
    assert probe.stdout.strip() == "None []", probe.stdout + probe.stderr
    proc = _run(python, checkout, str(REPO / "fixtures" / "nan_loss"), "--isolated", "--format", "json", cwd=root)
    assert proc.returncode == 1, proc.stderr  # NUM001 is an error
    out = json.loads(proc.stdout)
    assert "NUM001" in {f["code"] for f in out["findings"]} and out["errors"] == [], out["errors"]
    listing = _run(python, checkout, "rules", cwd=root)
    assert listing.returncode == 0 and "LOG005" in listing.stdout and "GEN001" in listing.stdout


def test_a_checkout_shadowing_an_installed_curvelint_still_finds_its_rules(no_install, tmp_path):
    """Entry points present (an installed dist-info) but `curvelint` imported from a checkout,
    where `curvelint.rules` is `rules/` beside the package."""
    from conftest import REPO

    root, python = no_install
    checkout = _checkout(tmp_path)
    info = checkout / "curvelint-0.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: curvelint\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text("[curvelint]\nbuiltin-rules = curvelint.rules\n"
                                           "builtin-readers = curvelint.readers.builtin\nbuiltin-reporters = curvelint.reporters.builtin\n")
    proc = _run(python, checkout, str(REPO / "fixtures" / "nan_loss"), "--isolated", "--format", "json", cwd=root)
    assert proc.returncode == 1, proc.stderr
    assert "NUM001" in {f["code"] for f in json.loads(proc.stdout)["findings"]}


def test_zero_built_in_rules_is_fatal_and_says_how_to_install(no_install, tmp_path):
    from conftest import REPO

    root, python = no_install
    checkout = _checkout(tmp_path, with_rules=False)  # the package without its rules
    for args in ((str(REPO / "fixtures" / "nan_loss"), "--isolated"), ("rules",), ("rule", "GEN001"), ("plugins",)):
        proc = _run(python, checkout, *args, cwd=root)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "no built-in rule could be loaded" in proc.stderr and "pip install" in proc.stderr, (args, proc.stderr)
        assert "All checks passed" not in proc.stdout
    # switched off on purpose, it is not an installation problem
    off = _run(python, _checkout(tmp_path / "full"), "rules", cwd=root, CURVELINT_DISABLE_PLUGINS="builtin-rules")
    assert off.returncode == 0 and "GEN001" not in off.stdout, off.stderr


def test_rule_lookup_ignores_case_and_compare_is_a_command():
    proc = run_cli("rule", "Overfitting")
    assert proc.returncode == 0 and proc.stdout.startswith("# GEN001 overfitting"), proc.stderr
    proc = run_cli("--help")
    assert "compare" in proc.stdout


def test_rule_finds_comparison_rules_by_code_and_slug():
    proc = run_cli("rule", "CMP001")
    assert proc.returncode == 0 and proc.stdout.startswith("# CMP001 best-worse"), proc.stderr
    assert "moves the verdict to: worse" in proc.stdout and "## What it detects" in proc.stdout
    assert "Accuracy:" not in proc.stdout  # comparison rules are not measured on the lint corpus
    assert run_cli("rule", "pathology-fixed").stdout.startswith("# CMP004 pathology-fixed")
    proc = run_cli("rule", "best-wrose")
    assert proc.returncode == 2 and "best-worse" in proc.stderr
    headers = [line for line in run_cli("rule", "--all").stdout.splitlines() if line.startswith("# ")]
    assert headers[-6:] == ["# CMP001 best-worse", "# CMP002 slower-to-best", "# CMP003 new-pathology",
                            "# CMP004 pathology-fixed", "# CMP005 slower-epochs", "# CMP006 best-better"]
