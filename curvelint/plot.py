"""Drawing a run: which panels, on which scale, with which finding markers, and matplotlib.

`layout(run, findings)` decides what a picture of a run shows, in plain numbers, so the HTML
report's inline SVG and matplotlib's figures (`--plot DIR`, `Report.plot`) always agree:

- panels by relevance: the loss, then the series the findings name, then the learning rate,
  then other informative series, up to `MAX_PANELS`; a constant series (a `fold` column, a
  fixed learning rate), a counter (`epoch`, `step`) or a copy of a panel already shown is left
  out, constant ones named in `Layout.constants` instead;
- log y only for a positive loss spanning more than `LOG_SPAN` times; bounded metrics
  (accuracy, AUC, F1, ...) always linear;
- each problem (a finding with those it explains) is a numbered marker keyed to the findings
  table; a finding about the whole run is a marker at its best epoch (or the end), never a
  shaded panel; labels are stacked in rows (`label_rows`) so they do not overlap.

matplotlib is imported here only, when a figure is asked for (extra `[plots]`).
"""

from __future__ import annotations

import io
import itertools
import numbers
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from curvelint.model import TEST, TRAIN, VAL, Curve, Finding, Run, Severity
from curvelint.reporters.base import Problem, fold

INSTALL_HINT = "plots need matplotlib: pip install 'curvelint[plots]'"
#: Severity colours, the same as the HTML report's text colours.
COLOR = {Severity.ERROR: "#bb0000", Severity.WARNING: "#bb6600", Severity.INFO: "#0066bb"}
#: Line colour and dash pattern (SVG `stroke-dasharray`, "" solid) per split.
SPLIT_STYLE = {TRAIN: ("#1f77b4", ""), VAL: ("#ff7f0e", "5 3"), TEST: ("#2ca02c", "2 2")}
_SPLITS = (TRAIN, VAL, TEST)
MAX_PANELS = 6
#: A positive loss whose largest value is more than this many times its smallest is drawn on a log axis.
LOG_SPAN = 50.0
#: Relative spread under which a series counts as constant (float noise in a logged constant).
CONSTANT_SPREAD = 1e-9
#: A finding over at least this share of the drawn x range is about the whole run: a marker, no shading.
WHOLE_RUN_SHARE = 0.9
_LOSS_WORDS = {"loss", "mse", "mae", "rmse", "mape", "smape", "perplexity", "nll", "elbo"}
_BOUNDED_WORDS = {"accuracy", "acc", "auc", "f1", "precision", "recall", "iou", "map", "map50", "map50_95",
                  "dice", "jaccard", "r2", "sensitivity", "specificity"}
#: Bookkeeping columns that are not curves of the training.
_BOOKKEEPING = re.compile(r"(^|_)(epochs?|steps?|global_step|iter(ation)?s?|fold|time|runtime|timestamp|flos|"
                          r"per_second|samples|lr_step)($|_)")
_LR = re.compile(r"(^|_)(lr|learning_rate)($|_)|^lr")
_LR_PREFERENCE = ("learning_rate", "lr")


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


# ----------------------------------------------------------------------------------------------
# What to draw


@dataclass
class Line:
    """One split of a panel: its finite points, and where it first went NaN/Inf (if it did)."""

    split: str
    x: np.ndarray
    y: np.ndarray
    bad_x: float | None = None


@dataclass
class Mark:
    """A problem drawn on a panel: number `n` in the findings table, a shaded span (or None for
    a whole-run finding) and the x of its marker line and label."""

    n: int
    problem: Problem
    x: float
    span: tuple[float, float] | None

    @property
    def color(self) -> str:
        return COLOR[self.problem.finding.severity]


@dataclass
class Panel:
    name: str
    lines: list[Line]
    log: bool
    marks: list[Mark] = field(default_factory=list)

    @property
    def y_range(self) -> tuple[float, float]:
        ys = np.concatenate([ln.y for ln in self.lines])
        return float(ys.min()), float(ys.max())


@dataclass
class Layout:
    panels: list[Panel]
    problems: list[Problem]
    xlabel: str
    x_range: tuple[float, float]
    #: Constant series left out, as (name, value): worth a mention, not a panel.
    constants: list[tuple[str, float]] = field(default_factory=list)


def problems_of(findings: Iterable[Finding]) -> list[Problem]:
    """The problems in the order the findings table numbers them: folded, worst first (stable),
    as `reporters.base.overview` orders each run's problems."""
    return sorted(fold(list(findings)), key=lambda p: -p.finding.severity.rank)


def metric_of(key: str) -> str:
    """`val/accuracy@batch` -> `accuracy`."""
    return key.partition("@")[0].partition("/")[2]


def _words(name: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", name.lower()))


def is_loss(name: str) -> bool:
    return bool(_words(name) & _LOSS_WORDS) or name.lower().endswith("loss")


def is_bounded(name: str) -> bool:
    return bool(_words(name) & _BOUNDED_WORDS) or "accuracy" in name.lower()


def _lines(run: Run, name: str) -> list[Line]:
    return [ln for ln in (series_line(run, f"{split}/{name}") for split in _SPLITS) if ln is not None]


def series_line(run: Run, key: str) -> Line | None:
    """The finite points of `run`'s series `key` as analysed (`Run.get`), None when it has none."""
    curve: Curve | None = run.get(key)
    if curve is None or not len(curve):
        return None
    ok = np.isfinite(curve.value)
    if not ok.any():
        return None
    bad = curve.step[~ok]
    return Line(curve.split, curve.step[ok].astype(float), curve.value[ok], float(bad[0]) if bad.size else None)


def _constant(lines: list[Line]) -> bool:
    ys = np.concatenate([ln.y for ln in lines])
    scale = float(np.abs(ys).max()) or 1.0
    return bool(ys.max() / scale - ys.min() / scale <= CONSTANT_SPREAD)


def _signature(lines: list[Line]) -> tuple:
    return tuple((ln.split, ln.x.tobytes(), ln.y.tobytes()) for ln in lines)


def _log(name: str, lines: list[Line]) -> bool:
    if not is_loss(name) or is_bounded(name):
        return False
    low, high = float(min(ln.y.min() for ln in lines)), float(max(ln.y.max() for ln in lines))
    return low > 0 and high / low > LOG_SPAN


def _candidates(run: Run, findings: list[Finding]) -> list[str]:
    """Metric names in order of relevance (duplicates and constants are removed later)."""
    names = list(dict.fromkeys(c.name for c in run.select()))
    named = [n for f in findings for n in map(metric_of, f.series) if n in names]
    loss = ["loss"] if "loss" in names else sorted(n for n in names if is_loss(n))[:1]
    rank = {n: i for i, n in enumerate(_LR_PREFERENCE)}
    lrs = sorted((n for n in names if _LR.search(n)), key=lambda n: (rank.get(n, len(rank)), n))
    rest = sorted(n for n in names if not _LR.search(n) and not _BOOKKEEPING.search(n)
                  and n not in named and max((len(run.get(k)) for k in _keys(run, n)), default=0) >= 2)
    # other losses, bounded metrics and the rest in turn, so a capped list still shows each kind
    kinds = [[n for n in rest if is_loss(n)], [n for n in rest if is_bounded(n) and not is_loss(n)],
             [n for n in rest if not is_loss(n) and not is_bounded(n)]]
    mixed = [n for group in itertools.zip_longest(*kinds) for n in group if n is not None]
    bookkeeping = [n for n in names if _BOOKKEEPING.search(n)]  # only ever named as constants
    return list(dict.fromkeys([*loss, *named, *lrs[:1], *mixed, *bookkeeping]))


def _keys(run: Run, name: str) -> list[str]:
    return [key for key in (f"{split}/{name}" for split in _SPLITS) if run.get(key) is not None]


def layout(run: Run, findings: Iterable[Finding], max_panels: int = MAX_PANELS) -> Layout:
    """What a picture of `run` shows; `findings` are the run's (folded here, as the table is)."""
    problems = problems_of(findings)
    roots = [p.finding for p in problems]
    named = {metric_of(k) for f in roots for k in f.series}
    panels: list[Panel] = []
    constants: list[tuple[str, float]] = []
    seen: set[tuple] = set()
    for name in _candidates(run, roots):
        lines = _lines(run, name)
        if not lines:
            continue
        keep = name in named or (not panels and is_loss(name))  # a flat loss is news: "nothing learned"
        if not keep and _constant(lines) and sum(ln.x.size for ln in lines) > 1:
            constants.append((name, float(lines[0].y[0])))
            continue
        sig = _signature(lines)
        if sig in seen or len(panels) >= max_panels or (_BOOKKEEPING.search(name) and name not in named):
            continue
        seen.add(sig)
        panels.append(Panel(name, lines, _log(name, lines)))
    xs = [ln.x for p in panels for ln in p.lines]
    x_range = (float(min(x.min() for x in xs)), float(max(x.max() for x in xs))) if xs else (0.0, 0.0)
    if panels:
        _place_marks(panels, problems, x_range)
    return Layout(panels, problems, "step" if run.axis == "step" else "epoch", x_range, constants)


def _place_marks(panels: list[Panel], problems: list[Problem], x_range: tuple[float, float]) -> None:
    """Each problem onto every panel of a series it names (the first panel if it names none drawn)."""
    low, high = x_range
    by_name = {p.name: p for p in panels}
    for n, problem in enumerate(problems, 1):
        f = problem.finding
        best = f.evidence.get("best_epoch")
        best = float(best) if isinstance(best, numbers.Real) and not isinstance(best, bool) and low <= best <= high else None
        if f.epochs is None or _whole_run(f.epochs, x_range):
            span, x = None, best if best is not None else high  # about the whole run: one marker
        else:
            first, last = max(float(f.epochs[0]), low), min(float(f.epochs[1]), high)
            span = (first, last) if last > first else None
            x = best if best is not None and first <= best <= last else first
        targets = [by_name[m] for m in dict.fromkeys(map(metric_of, f.series)) if m in by_name] or panels[:1]
        for panel in targets:
            panel.marks.append(Mark(n, problem, x, span))


def _whole_run(epochs: tuple[int, int], x_range: tuple[float, float]) -> bool:
    low, high = x_range
    covered = min(float(epochs[1]), high) - max(float(epochs[0]), low)
    return covered >= WHOLE_RUN_SHARE * (high - low)


def label_rows(xs: Sequence[float], widths: Sequence[float], rows: int) -> list[int]:
    """A row for each label at `xs` (same units as `widths`, labels left-aligned at x) so that no
    two labels in a row overlap; past `rows` rows, the row with the most room is reused."""
    ends: list[float] = []
    out = [0] * len(xs)
    for i in sorted(range(len(xs)), key=lambda i: xs[i]):
        free = [r for r, end in enumerate(ends) if end <= xs[i]]
        if free:
            row = free[0]
        elif len(ends) < rows:
            ends.append(-np.inf)
            row = len(ends) - 1
        else:
            row = int(np.argmin(ends))
        ends[row] = xs[i] + widths[i]
        out[i] = row
    return out


# ----------------------------------------------------------------------------------------------
# Two sides of a comparison on one axis (`curvelint compare`'s HTML report)


@dataclass
class Trace:
    """One run's curve on an overlay panel: `side` is "base" or "head"; `best` is the (x, y)
    of its best point on a series with a direction."""

    side: str
    run: str
    line: Line
    best: tuple[float, float] | None = None


@dataclass
class OverlayPanel(Panel):
    """A panel of one series from several runs. `lines` holds every trace's line, so the y
    range (and an SVG axis built from it) covers all of them; `reference` is a horizontal level
    to draw (the baseline's best)."""

    key: str = ""
    traces: list[Trace] = field(default_factory=list)
    reference: float | None = None


@dataclass
class Overlay:
    panels: list[OverlayPanel]
    xlabel: str
    #: One x range for every panel: the same epoch sits at the same place in each.
    x_range: tuple[float, float]


def overlay(base: Sequence[Run], head: Run, keys: Sequence[str], *,
            higher_is_better: dict[str, bool] | None = None, reference: dict[str, float] | None = None) -> Overlay:
    """What a picture of BASE runs against a HEAD run shows: a panel per series of `keys` that
    some run logs, each run a trace (BASE first, HEAD last). On a series named in
    `higher_is_better` each trace marks its best point, the first on ties, as
    `stats.Profile.best` picks it (both look at the same finite points)."""
    directions = higher_is_better or {}
    panels = []
    for key in dict.fromkeys(keys):
        traces = []
        for side, run in [*(("base", r) for r in base), ("head", head)]:
            line = series_line(run, key)
            if line is None:
                continue
            best = None
            if key in directions:
                i = int(np.argmax(line.y) if directions[key] else np.argmin(line.y))
                best = (float(line.x[i]), float(line.y[i]))
            traces.append(Trace(side, run.id, line, best))
        if not traces:
            continue
        curve = (head if any(t.side == "head" for t in traces) else base[0]).get(key)
        name = (curve.raw_name if curve is not None else "") or metric_of(key)
        lines = [t.line for t in traces]
        panels.append(OverlayPanel(name, lines, _log(metric_of(key), lines), key=key, traces=traces,
                                   reference=(reference or {}).get(key)))
    xs = [ln.x for p in panels for ln in p.lines]
    x_range = (float(min(x.min() for x in xs)), float(max(x.max() for x in xs))) if xs else (0.0, 0.0)
    axes = {r.axis for r in [*base, head]}
    xlabel = "step" if axes == {"step"} else "epoch" if axes == {"epoch"} else "epoch or step"
    return Overlay(panels, xlabel, x_range)


# ----------------------------------------------------------------------------------------------
# matplotlib

#: Figure width and height per panel, inches.
FIG_WIDTH = 7.5
PANEL_HEIGHT = 1.9
#: Room around the panels, inches: title above, x label below, tick labels and y label left.
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT = 0.35, 0.45, 0.8
_MARK_ROWS = 4
#: Beyond this fraction of the x range a marker's label is drawn to the left of its line.
_RIGHT_EDGE = 0.93


def _figure_class():
    """matplotlib's Figure, used without pyplot: nothing is registered with a GUI backend or
    shown twice in a notebook, and nothing needs closing."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PlotUnavailable(f"{INSTALL_HINT} ({exc})") from None
    return Figure


def run_figure(run: Run, findings: Iterable[Finding]):
    """The run as a matplotlib Figure (one panel per `layout` panel, numbered finding markers
    keyed to the findings table). A run with nothing to draw gets a small figure saying so."""
    figure = _figure_class()
    lay = layout(run, findings)
    if not lay.panels:
        fig = figure(figsize=(FIG_WIDTH, 0.8))
        fig.text(0.5, 0.5, f"{run.id}: no points to draw", ha="center", va="center", fontsize=9)
        return fig
    height = PANEL_HEIGHT * len(lay.panels) + MARGIN_TOP + MARGIN_BOTTOM
    fig = figure(figsize=(FIG_WIDTH, height))
    # fixed margins: tight_layout measured every tick label and took a third of the time
    fig.subplots_adjust(left=MARGIN_LEFT / FIG_WIDTH, right=1 - 0.1 / FIG_WIDTH, top=1 - MARGIN_TOP / height,
                        bottom=MARGIN_BOTTOM / height, hspace=0.12 * len(lay.panels) / max(1, len(lay.panels) - 1))
    axes = fig.subplots(len(lay.panels), 1, sharex=True, squeeze=False)
    for ax, panel in zip(axes[:, 0], lay.panels):
        _draw_panel(ax, panel, lay.x_range)
    axes[-1, 0].set_xlabel(lay.xlabel, fontsize=8)
    fig.suptitle(run.id, fontsize=9)
    return fig


def plot_run(run: Run, findings: Iterable[Finding], fmt: str = "png", dpi: int = 80) -> bytes:
    """The run's figure as PNG (or SVG) bytes."""
    buf = io.BytesIO()
    run_figure(run, findings).savefig(buf, format=fmt, dpi=dpi)
    return buf.getvalue()


def _draw_panel(ax, panel: Panel, x_range: tuple[float, float]) -> None:
    for ln in panel.lines:
        color, dash = SPLIT_STYLE[ln.split]
        style = "--" if dash else "-"
        ax.plot(ln.x, ln.y, style if ln.x.size > 1 else "o", label=ln.split, linewidth=1.3, color=color, markersize=3)
        if ln.bad_x is not None:  # NaN/Inf: a dotted line where the curve breaks off
            ax.axvline(ln.bad_x, color=COLOR[Severity.ERROR], linewidth=1, linestyle=":")
            ax.annotate("NaN", (ln.bad_x, 0.5), xycoords=("data", "axes fraction"), color=COLOR[Severity.ERROR], fontsize=7)
    if panel.log:
        ax.set_yscale("log")
    low, high = x_range
    width = (high - low) or 1.0
    rows = label_rows([(m.x - low) / width for m in panel.marks], [0.035 * len(str(m.n)) + 0.02 for m in panel.marks],
                      _MARK_ROWS)
    for mark, row in zip(panel.marks, rows):
        if mark.span is not None:
            ax.axvspan(*mark.span, color=mark.color, alpha=0.07, linewidth=0)
        ax.axvline(mark.x, color=mark.color, linewidth=0.9, alpha=0.7)
        right = (mark.x - low) / width > _RIGHT_EDGE  # a label at the right edge stays inside
        ax.annotate(str(mark.n), (mark.x, 0.97 - 0.16 * row), xycoords=("data", "axes fraction"), fontsize=7,
                    color="white", va="top", ha="right" if right else "left", fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.15", "fc": mark.color, "ec": "none"})
    ax.set_ylabel(panel.name, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)


def safe_filename(run_id: str, taken: set[str]) -> str:
    """A file name for a run id (ids are untrusted paths): `[A-Za-z0-9._-]` only, unique."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._") or "run"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name
