from __future__ import annotations

import errno
import subprocess
import sys

import numpy as np
import pytest

import curvelint
from conftest import OVERFIT, write_csvlogger


class FakeHistory:
    """What `model.fit` returns: `.history` (Keras 3 may hold numpy floats) and `.epoch`."""

    def __init__(self, history, epoch):
        self.history = history
        self.epoch = epoch


def test_lint_paths(tmp_path):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    report = curvelint.lint(tmp_path, isolated=True, select=["GEN001"])
    assert [r.id for r in report.runs] == ["a"]
    assert [f.code for f in report.findings] == ["GEN001"]
    assert report.summary == {"runs": 1, "error": 0, "warning": 1, "info": 0}
    # the whole catalogue also sees the 6x gap, which the overfitting explains; the best epoch 4
    # of 12 leaves 58% of the run after it, short of wasted-epochs' 60%
    findings = curvelint.lint(tmp_path, isolated=True).findings
    assert {f.code: f.explained_by for f in findings} == {"GEN001": None, "GEN002": "GEN001"}


def test_lint_history_dict_and_history_object():
    report = curvelint.lint_history(OVERFIT, select=["GEN001"])
    assert [f.code for f in report.findings] == ["GEN001"]
    assert report.findings[0].location is None  # nothing on disk to point at
    hist = FakeHistory({k: [np.float32(v) for v in vals] for k, vals in OVERFIT.items()}, list(range(10, 22)))
    report = curvelint.lint_history(hist, run_id="notebook", select=["overfitting"])
    f = report.findings[0]
    assert f.run == "notebook" and f.epochs == (14, 21)  # epochs from History.epoch


def test_lint_history_with_options_and_selection():
    relaxed = curvelint.lint_history(OVERFIT, config={"rules": {"overfitting": {"min-rise": 2.0}}})
    assert "GEN001" not in {f.code for f in relaxed.findings} and "GEN002" in {f.code for f in relaxed.findings}
    assert not any(f.code.startswith("GEN") for f in curvelint.lint_history(OVERFIT, ignore=["GEN"]).findings)
    with pytest.raises(curvelint.ConfigError):
        curvelint.lint_history(OVERFIT, select=["NOPE1"])


def test_lint_history_rejects_non_histories():
    with pytest.raises(ValueError, match="cannot read this history"):
        curvelint.lint_history({"name": "x"})


def test_lint_dataframe():
    pd = pytest.importorskip("pandas")
    report = curvelint.lint_history(pd.DataFrame(OVERFIT))
    assert "GEN001" in {f.code for f in report.findings}


def test_dir_lists_the_public_api_and_import_stays_light():
    names = dir(curvelint)
    assert {"lint", "lint_history", "Report", "Run", "Curve", "Finding", "Severity", "Linter", "__version__"} <= set(names)
    assert "annotations" not in names and "Any" not in names and "engine" not in names  # no helpers, no submodules
    assert all(hasattr(curvelint, name) for name in names)
    # `import curvelint` (and so `curvelint --version`) must not pay for numpy
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import curvelint"], capture_output=True, text=True, timeout=60)
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "curvelint" in imported and "numpy" not in imported and "curvelint.model" not in imported


def test_lint_raises_for_a_missing_path(tmp_path):
    missing = tmp_path / "nonexistent"
    with pytest.raises(FileNotFoundError) as info:
        curvelint.lint(missing, isolated=True)
    assert info.value.errno == errno.ENOENT and info.value.filename == str(missing)
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    with pytest.raises(FileNotFoundError) as info:  # one run is there, two paths are not: both named
        curvelint.lint([tmp_path / "a", missing, tmp_path / "also-missing"], isolated=True)
    assert info.value.filename == str(missing)
    assert repr(str(missing)) in str(info.value) and repr(str(tmp_path / "also-missing")) in str(info.value)
    assert "2 of 3 paths" in str(info.value)


def test_lint_leaves_urls_and_existing_but_unreadable_paths_to_the_report(tmp_path):
    url = "nosuchscheme://bucket/logs"  # fetched, not checked on disk: the fetch error is reported
    report = curvelint.lint(url, isolated=True)
    assert not report.runs and [e.path for e in report.errors] == [url]
    (tmp_path / "notes.txt").write_text("not a log\n")  # there, but unreadable: a LOG001, not an exception
    report = curvelint.lint(tmp_path / "notes.txt", isolated=True)
    assert [f.code for f in report.findings] == ["LOG001"]


def test_the_command_line_still_reports_a_missing_path_and_exits_2(tmp_path, capsys):
    from curvelint.cli import main

    assert main([str(tmp_path / "missing"), "--isolated"]) == 2
    assert capsys.readouterr().err == f"curvelint: error: {tmp_path / 'missing'}: no such file or directory\n"
