"""curvelint in a notebook: short reprs, the report as HTML, `report.plot()`, `report.to_frame()`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import curvelint
from conftest import OVERFIT, realworld, write_csvlogger
from curvelint.model import FRAME_COLUMNS


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """One overfitting run `logs/a` (12 epochs, 4 series) beside a healthy-looking `logs/b`."""
    root = tmp_path_factory.mktemp("nb") / "logs"
    write_csvlogger(root / "a" / "training.log", OVERFIT)
    write_csvlogger(root / "b" / "training.log", {k: v[:5] for k, v in OVERFIT.items()})
    return curvelint.lint(root, isolated=True)


def test_reprs_show_counts_not_arrays(small):
    counts = small.counts()
    assert repr(small) == (f"<Report 2 runs, {len(small.findings)} findings ({counts['error']} error, "
                           f"{counts['warning']} warning, {counts['info']} info), 0 errors>")
    run = small.run("a")
    assert repr(run) == "<Run 'a' keras-csv, 12 epochs, 4 series>"
    assert repr(run.get("val/loss")) == "<Curve val/loss 12 points epoch>"
    finding = next(f for f in small.findings if f.code == "GEN001")
    assert repr(finding).startswith("<Finding GEN001 overfitting warning on 'a' epochs ") and len(repr(finding)) < 200
    assert repr(curvelint.Report()) == "<Report 0 runs, 0 findings, 0 errors>"


def test_repr_of_the_realworld_report_stays_small():
    report = curvelint.lint(realworld(), isolated=True)
    text = repr(report)
    counts = report.counts()
    assert len(text) < 200  # the dataclass repr was 3.5 MB: every array of every run
    assert f"{len(report.runs)} runs" in text and f"{len(report.findings)} findings" in text
    assert f"{counts['error']} error, {counts['warning']} warning, {counts['info']} info" in text
    assert f"{len(report.errors)} errors" in text
    # what a notebook shows for the lists: one short line per item
    assert max(len(repr(run)) for run in report.runs) < 400
    assert max(len(repr(c)) for run in report.runs for c in run.curves) < 200
    assert max(len(repr(f)) for f in report.findings) < 400


def test_repr_html_is_a_fragment_with_the_overview_and_plots(small):
    html = small._repr_html_()
    assert html.startswith('<div class="curvelint"') and html.rstrip().endswith("</div>")
    assert "<html" not in html and "<head" not in html and "<body" not in html
    assert "<svg" in html and "GEN001" in html
    assert html.count('<section class="run"') == 2


def test_repr_html_needs_no_matplotlib(tmp_path):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    code = textwrap.dedent(f"""
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        import curvelint
        html = curvelint.lint({str(tmp_path)!r}, isolated=True)._repr_html_()
        print("svg" if "<svg" in html else "no plots", "GEN001" in html)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["svg", "True"]


def _lines(fig) -> list[tuple[list[float], list[float]]]:
    return [(np.asarray(ln.get_xdata(), float).tolist(), np.asarray(ln.get_ydata(), float).tolist())
            for ax in fig.axes for ln in ax.get_lines()]


def test_plot_draws_the_runs_curves(small):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    run = small.run("a")
    for which in ("a", run):  # an id or the Run itself
        fig = small.plot(which)
        try:
            assert isinstance(fig, Figure)
            lines = _lines(fig)
            for key in ("train/loss", "val/loss", "train/accuracy", "val/accuracy"):
                curve = run.get(key)
                assert (curve.step.astype(float).tolist(), curve.value.tolist()) in lines, key
        finally:
            import matplotlib.pyplot as plt

            plt.close(fig)


def test_plot_of_an_unknown_run_suggests_the_closest(small):
    with pytest.raises(KeyError, match=r"no run 'aa' in this report; did you mean 'a'\?"):
        small.plot("aa")
    with pytest.raises(KeyError, match=r"the report has 2 runs: 'a', 'b'"):
        small.run("zzzzzz")


def test_to_frame_one_row_per_finding(small):
    pd = pytest.importorskip("pandas")
    frame = small.to_frame()
    assert list(frame.columns) == list(FRAME_COLUMNS)
    assert len(frame) == len(small.findings)
    row = frame[frame.code == "GEN001"].iloc[0]
    finding = next(f for f in small.findings if f.code == "GEN001")
    assert (row.run, row.rule, row.severity, row.message) == ("a", "overfitting", "warning", finding.message)
    assert (row.first_epoch, row.last_epoch) == finding.epochs
    assert row.series == ", ".join(finding.series) and row.remediation == finding.remediation
    assert row.location.startswith(finding.location.path)
    explained = frame[frame.code == "GEN002"]
    assert explained.explained_by.tolist() == ["GEN001"]
    worst_first = frame.sort_values("severity", ascending=False).severity.tolist()
    assert worst_first == sorted(worst_first, key=lambda s: curvelint.Severity(s).rank, reverse=True)
    assert isinstance(frame.severity.dtype, pd.CategoricalDtype)


def test_to_frame_of_a_report_without_findings_has_the_columns():
    pytest.importorskip("pandas")
    frame = curvelint.Report().to_frame()
    assert frame.empty
    assert list(frame.columns) == ["run", "code", "rule", "severity", "message", "first_epoch", "last_epoch",
                                   "series", "explained_by", "remediation", "location"]


def test_to_frame_without_pandas_says_how_to_install(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        small.to_frame()
