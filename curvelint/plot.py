"""Drawing a run: train and val curves per metric, with the findings drawn on them.

matplotlib is imported here only, when a plot is asked for (extra `[plots]`).
"""

from __future__ import annotations

import io
import re
from typing import Iterable

import numpy as np

from curvelint.model import EPOCH, TRAIN, Finding, Run, Severity

INSTALL_HINT = "plots need matplotlib: pip install 'curvelint[plots]'"
_COLOR = {Severity.ERROR: "#d62728", Severity.WARNING: "#ff7f0e", Severity.INFO: "#1f77b4"}
MAX_PANELS = 4


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlotUnavailable(f"{INSTALL_HINT} ({exc})") from None
    return plt


def _panels(run: Run) -> list[str]:
    """Metric names to draw, loss first, then accuracy, then the rest (learning rate last)."""
    names = sorted({c.name for c in run.select()})
    order = {"loss": 0, "accuracy": 1, "learning_rate": 99}
    names.sort(key=lambda n: (order.get(n, 50), n))
    return names[:MAX_PANELS]


def plot_run(run: Run, findings: Iterable[Finding], fmt: str = "png", dpi: int = 80) -> bytes:
    """The run's figure as PNG (or SVG) bytes."""
    plt = _pyplot()
    findings = list(findings)
    panels = _panels(run) or ["loss"]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.5, 2.4 * len(panels)), sharex=True, squeeze=False)
    try:
        for ax, name in zip(axes[:, 0], panels):
            _draw_panel(ax, run, name, findings)
        axes[-1, 0].set_xlabel("epoch")
        fig.suptitle(run.id, fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi)
        return buf.getvalue()
    finally:
        plt.close(fig)


def _draw_panel(ax, run: Run, name: str, findings: list[Finding]) -> None:
    positive = True
    spans = []
    for split, style, color in ((TRAIN, "-", "C0"), ("val", "--", "C1")):
        curve = run.get(f"{split}/{name}")
        if curve is None or curve.granularity != EPOCH or not len(curve):
            continue
        ok = np.isfinite(curve.value)
        label = name if split == TRAIN else f"val_{name}"
        ax.plot(curve.step[ok], curve.value[ok], style, label=label, linewidth=1.4, color=color)
        bad = ~ok
        if bad.any():  # NaN/Inf: a dotted line where the curve breaks off
            for step in curve.step[bad][:1]:
                ax.axvline(step, color=_COLOR[Severity.ERROR], linewidth=1, linestyle=":")
                ax.annotate("NaN", (step, 1), xycoords=("data", "axes fraction"), color=_COLOR[Severity.ERROR],
                            fontsize=8, va="top")
        if ok.any():
            positive &= bool(np.all(curve.value[ok] > 0))
            spans.append(curve.value[ok])
    if spans and positive:
        values = np.concatenate(spans)
        if values.max() / values.min() > 50:
            ax.set_yscale("log")
    drawn = 0
    for f in findings:
        if f.epochs is None or not any(s.endswith(f"/{name}") for s in f.series):
            continue
        drawn += 1
        first, last = f.epochs
        color = _COLOR[f.severity]
        if last > first:
            ax.axvspan(first, last, color=color, alpha=0.08)
        best = f.evidence.get("best_epoch")
        ax.axvline(best if isinstance(best, int) else first, color=color, linewidth=1, alpha=0.7)
        ax.annotate(f.code, (best if isinstance(best, int) else first, 0.02 + 0.3 * ((drawn - 1) % 3)), xycoords=("data", "axes fraction"),
                    color=color, fontsize=8, rotation=90, va="bottom")
    ax.set_ylabel(name)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)


def safe_filename(run_id: str, taken: set[str]) -> str:
    """A file name for a run id (ids are untrusted paths): `[A-Za-z0-9._-]` only, unique."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._") or "run"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name
