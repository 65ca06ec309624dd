from __future__ import annotations

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
