"""`--format html`: one self-contained page, the overview first, then a section per run.

The overview gives the verdict and counts, then every run with findings, errors first and
worst first (`reporters.base.overview`), linked to its section (`id="run-<index in report>"`,
never derived from the untrusted run id), with the healthy runs listed collapsed. Each
section shows the run's panels (`curvelint.plot.layout`: loss, the series the findings name,
the learning rate, then other informative ones) as inline SVG drawn here with numbered finding
markers keyed to its findings table. Inline SVG needs no matplotlib and no image decoding:
the realworld tree (235 runs) builds in well under a second where a matplotlib PNG per run
took over a minute, at a tenth of the size. `render_html(report, plot=plot_run)` still
embeds a PNG per run from any `plot(run, findings) -> bytes`.

Styles are inline and scoped to `.curvelint`, so `fragment=True` (no `<html>`, no script) can
go into a Jupyter cell. The page loads nothing from the network (CSP); its only script counts
the plots that rendered, for headless browsers and tests. Every name from a log is escaped.
"""

from __future__ import annotations

import base64
import itertools
import math
from typing import Callable

import numpy as np

from curvelint._version import __version__
from curvelint.model import Finding, Report, Run, Severity
from curvelint.plot import SPLIT_STYLE, Layout, Line, Panel, label_rows, layout
from curvelint.reporters.base import Context, Problem, Reporter, RunOverview, display_path, overview
from curvelint.reporters.escape import html as esc

Plot = Callable[[Run, list[Finding]], bytes]
Progress = Callable[[int, int], None]

#: SVG panel geometry, in viewBox units (the panel scales to its column).
WIDTH, HEIGHT = 480, 180
#: TOP holds the first row of finding labels, above the curves; further rows overlay the plot.
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 18, 20
#: A polyline keeps at most this many (min, max) buckets: about one per two units of width.
BUCKETS = 200
#: Aim for about this many ticks per axis (a nice step gives TICKS-1 to TICKS+1).
TICKS = 4
#: Powers of ten a float holds without underflow or overflow (log axes place ticks only there).
FLOAT_DECADES = 307
MARK_ROWS = 5
MARK_ROW_HEIGHT = 13
#: The meta line names this many constant series left out of the panels.
CONSTANTS_SHOWN = 4

_PLOT_W, _PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

_SPLIT_CSS = "".join(f".curvelint .s-{s}{{stroke:{c};{f'stroke-dasharray:{d}' if d else ''}}}"
                     f".curvelint .d-{s}{{fill:{c}}}.curvelint .k-{s}{{color:{c}}}" for s, (c, d) in SPLIT_STYLE.items())
_STYLE = """
.curvelint{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:80em;margin:0 auto}
.curvelint h1{font-size:1.4em;margin:.5em 0 .2em}
.curvelint h2{font-size:1.08em;margin:2em 0 .2em;border-bottom:1px solid #ddd;overflow-wrap:anywhere}
.curvelint .meta{color:#666;margin:.2em 0;overflow-wrap:anywhere}
.curvelint .error{color:#b00}.curvelint .warning{color:#b60}.curvelint .info{color:#06b}.curvelint .ok{color:#080}
.curvelint .verdict{font-size:1.1em;font-weight:600}
.curvelint table{border-collapse:collapse;width:100%;table-layout:fixed;margin:.4em 0}
.curvelint td,.curvelint th{border:1px solid #ddd;padding:.25em .45em;vertical-align:top;text-align:left;
overflow-wrap:anywhere;word-break:break-word}
.curvelint th{background:#e8eef8;overflow-wrap:normal;word-break:normal}
.curvelint td.worst{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.curvelint .cl-overview td{padding:.1em .45em}
.curvelint td.n{text-align:right;font-variant-numeric:tabular-nums}
.curvelint .panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(28em,1fr));gap:.3em 1em}
.curvelint figure{margin:0}.curvelint figcaption{font-size:.85em;color:#444}
.curvelint figcaption span{margin-left:.6em}
.curvelint svg{width:100%;height:auto;display:block}.curvelint img{max-width:100%}
.curvelint svg text{font:10px system-ui,sans-serif;fill:#555}
.curvelint svg .g{stroke:#eee}.curvelint svg .f{fill:none;stroke:#bbb}
.curvelint svg polyline{fill:none;stroke-width:1.4;stroke-linejoin:round}
.curvelint svg .m text{fill:#fff;font-weight:700}
.curvelint svg .nan{stroke:#b00;stroke-dasharray:1 2}
.curvelint .note{color:#666;font-style:italic}
.curvelint details{color:#444}.curvelint .mk{display:inline-block;min-width:1.3em;text-align:center;color:#fff;
border-radius:3px;font-weight:700;font-size:.85em}
.curvelint ul.runs{columns:22em;margin:.3em 0;padding-left:1.2em}.curvelint ul.runs li{overflow-wrap:anywhere}
""" + _SPLIT_CSS
_SEVERITY_BG = {Severity.ERROR: "#b00", Severity.WARNING: "#b60", Severity.INFO: "#06b"}
# Counts the plots that rendered (an SVG with a drawn line, or a decoded PNG) and where the
# overview and the first plot sit, so a headless browser (and a test) can tell the page really rendered.
_CHECK = ("<script>window.addEventListener('load',function(){var n=0,p=document.querySelectorAll('.cl-plot');"
          "for(var k=0;k<p.length;k++){var e=p[k],l=e.querySelector&&e.querySelector('polyline,circle');"
          "if(e.tagName=='IMG'?e.naturalWidth>0:l&&l.getBBox().width+l.getBBox().height>0)n++;}"
          "var b=document.body,o=document.querySelector('.cl-overview');b.setAttribute('data-plots-loaded',n);"
          "if(o)b.setAttribute('data-overview-top',Math.round(o.getBoundingClientRect().top));"
          "if(p.length){var r=p[0].getBoundingClientRect();"
          "b.setAttribute('data-first-plot',[r.left,r.top,r.width,r.height].map(Math.round).join(','));}});</script>")
_CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">")
_fragments = itertools.count(1)


# ----------------------------------------------------------------------------------------------
# Numbers and axes


def _num(v: float) -> str:
    """A tick label: short, no `e+03` noise."""
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{v / 1000:g}k" if abs(v) >= 1e4 else str(int(v))
    text = f"{v:.3g}"
    return text.replace("e-0", "e-").replace("e+0", "e")


def _nice_ticks(low: float, high: float, integer: bool = False) -> list[float]:
    span = high - low
    if not math.isfinite(span) or span <= 0:  # values near the float limits: just the ends
        return [low, high] if math.isfinite(low) and math.isfinite(high) else []
    step = 10 ** math.floor(math.log10(span / TICKS))
    for m in (1, 2, 2.5, 5, 10):
        if integer and (step * m) % 1:  # epoch 2.5 is not an epoch
            continue
        if span / (step * m) <= TICKS + 1:
            step *= m
            break
    step = max(step, 1.0) if integer else step
    first = math.ceil(low / step - 1e-9) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


class _Axes:
    """Data to viewBox coordinates for one panel (log10 on y when the panel is log). Linear
    values are divided by the power of ten `k` first, so a loss near the float limit (1e308)
    cannot overflow."""

    def __init__(self, panel: Panel, x_range: tuple[float, float]):
        self.log = panel.log
        x0, x1 = x_range
        if x1 <= x0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        low, high = panel.y_range
        big = max(abs(low), abs(high))
        # a power of ten, so that nice ticks of the scaled values are nice values
        self.k = 10.0 ** math.floor(math.log10(big)) if big > 1 and not self.log else 1.0
        y0, y1 = (self._t(v) for v in (low, high))
        pad = (y1 - y0) * 0.06 or max(abs(y0) * 0.1, 0.5 / self.k)
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0 - pad, y1 + pad

    def _t(self, y):
        return np.log10(y) if self.log else np.asarray(y, dtype=float) / self.k

    def x(self, x):
        return LEFT + (np.asarray(x, dtype=float) - self.x0) * (_PLOT_W / (self.x1 - self.x0))

    def y(self, y):
        return TOP + _PLOT_H - (self._t(np.asarray(y, dtype=float)) - self.y0) * (_PLOT_H / (self.y1 - self.y0))

    def y_ticks(self) -> list[tuple[float, str]]:
        """(value, label) of each y tick."""
        if not self.log:
            return [(v * self.k, _num(v * self.k)) for v in _nice_ticks(self.y0, self.y1)]
        decades = list(range(max(math.ceil(self.y0), -FLOAT_DECADES), min(math.floor(self.y1), FLOAT_DECADES) + 1))
        every = max(1, math.ceil(len(decades) / (TICKS + 1)))
        return [(10.0 ** d, _num(10.0 ** d)) for d in decades[::every]]


def _decimate(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most 2 * BUCKETS points: each bucket's minimum and maximum, in order, so spikes stay."""
    if x.size <= 2 * BUCKETS:
        return x, y
    edges = np.linspace(0, x.size, BUCKETS + 1).astype(int)
    keep = []
    for a, b in zip(edges[:-1], edges[1:]):
        lo, hi = a + int(np.argmin(y[a:b])), a + int(np.argmax(y[a:b]))
        keep.extend(sorted({lo, hi}))
    return x[keep], y[keep]


# ----------------------------------------------------------------------------------------------
# SVG panels


def _line_svg(ax: _Axes, ln: Line, name: str, css: str | None = None, title: str | None = None) -> str:
    """The line as a polyline (a dot when it has one point), styled by its split unless `css`
    names the class (`s-<css>` for the line, `d-<css>` for a dot); `title` is its tooltip (escaped)."""
    title = f"<title>{esc(title if title is not None else f'{ln.split}/{name}')}</title>"
    css = css or ln.split
    if ln.x.size == 1:
        cx, cy = ax.x(ln.x[0]), ax.y(ln.y[0])
        return f'<circle class="d-{css}" cx="{cx:.0f}" cy="{cy:.0f}" r="2.5">{title}</circle>'
    x, y = _decimate(ln.x, ln.y)
    points = " ".join(f"{a:.0f},{b:.0f}" for a, b in zip(ax.x(x), ax.y(y)))
    return f'<polyline class="s-{css}" points="{points}">{title}</polyline>'


def _marks_svg(ax: _Axes, panel: Panel) -> list[str]:
    out = []
    xs = [float(ax.x(m.x)) for m in panel.marks]
    widths = [7 * len(str(m.n)) + 7 for m in panel.marks]
    for mark, px, w, row in zip(panel.marks, xs, widths, label_rows(xs, widths, MARK_ROWS)):
        f = mark.problem.finding
        parts = [f'<g class="m"><title>{mark.n}: {esc(f.code)} {esc(f.rule)}: {esc(f.message)}</title>']
        if mark.span is not None:
            a, b = ax.x(mark.span[0]), ax.x(mark.span[1])
            parts.append(f'<rect x="{a:.0f}" y="{TOP}" width="{max(b - a, 1):.0f}" height="{_PLOT_H}" '
                         f'fill="{mark.color}" fill-opacity=".08"/>')
        top = TOP - MARK_ROW_HEIGHT - 1 + row * MARK_ROW_HEIGHT
        left = min(px, LEFT + _PLOT_W - w)  # a label at the right edge stays inside
        parts.append(f'<line x1="{px:.0f}" x2="{px:.0f}" y1="{top}" y2="{TOP + _PLOT_H}" stroke="{mark.color}" '
                     f'stroke-opacity=".7"/><rect x="{left:.0f}" y="{top}" width="{w}" height="12" rx="2" '
                     f'fill="{mark.color}"/><text x="{left + w / 2:.0f}" y="{top + 10}" text-anchor="middle">{mark.n}</text></g>')
        out.append("".join(parts))
    return out


def _frame_svg(ax: _Axes, xlabel: str) -> list[str]:
    """Grid lines, tick labels, the x label and the frame of a panel: everything but its data."""
    body = []
    for v, label in ax.y_ticks():
        y = float(ax.y(v))
        body.append(f'<line class="g" x1="{LEFT}" x2="{LEFT + _PLOT_W}" y1="{y:.0f}" y2="{y:.0f}"/>'
                    f'<text x="{LEFT - 4}" y="{y + 3:.0f}" text-anchor="end">{label}</text>')
    for v in _nice_ticks(ax.x0, ax.x1, integer=True):
        x = float(ax.x(v))
        body.append(f'<text x="{x:.0f}" y="{HEIGHT - 6}" text-anchor="middle">{_num(v)}</text>')
    # the x label in the empty corner under the y tick labels, clear of every x tick label
    body.append(f'<text x="{LEFT - 8}" y="{HEIGHT - 6}" text-anchor="end" font-style="italic">{esc(xlabel)}</text>')
    body.append(f'<rect class="f" x="{LEFT}" y="{TOP}" width="{_PLOT_W}" height="{_PLOT_H}"/>')
    return body


def _panel_svg(panel: Panel, lay: Layout, run_id: str) -> str:
    ax = _Axes(panel, lay.x_range)
    body = _frame_svg(ax, lay.xlabel)
    body += _marks_svg(ax, panel)
    for ln in panel.lines:
        body.append(_line_svg(ax, ln, panel.name))
        if ln.bad_x is not None:
            x = float(ax.x(ln.bad_x))
            body.append(f'<line class="nan" x1="{x:.0f}" x2="{x:.0f}" y1="{TOP}" y2="{TOP + _PLOT_H}"/>'
                        f'<text x="{x + 2:.0f}" y="{TOP + _PLOT_H - 3}" fill="#b00">NaN</text>')
    keys = "".join(f'<span class="k-{ln.split}">{"━" if not SPLIT_STYLE[ln.split][1] else "┅"} {ln.split}</span>'
                   for ln in panel.lines)
    scale = " <i>(log)</i>" if panel.log else ""
    return (f"<figure><figcaption><b>{esc(panel.name)}</b>{scale}{keys}</figcaption>"
            f'<svg class="cl-plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{esc(panel.name)} of {esc(run_id)} by {lay.xlabel}">{"".join(body)}</svg></figure>')


# ----------------------------------------------------------------------------------------------
# Page


def _count_text(counts: dict[str, int]) -> str:
    return ", ".join(f'<span class="{s}">{counts[s]} {s}{"s" if s != "info" and counts[s] != 1 else ""}</span>'
                     for s in ("error", "warning", "info") if counts[s])


def _verdict(report: Report, rows: list[RunOverview], prefix: str) -> str:
    counts = report.counts()
    flagged = sum(1 for r in rows if r.problems)
    problems = sum(len(r.problems) for r in rows)
    worst = report.worst()
    if worst is None:
        head = f'<span class="ok">✓ no findings</span> in {len(report.runs)} runs'
    else:
        word = {Severity.ERROR: "✗ errors", Severity.WARNING: "⚠ warnings", Severity.INFO: "ℹ notes only"}[worst]
        head = (f'<span class="{worst.value}">{word}</span>: {problems} problems ({len(report.findings)} findings: '
                f"{_count_text(counts)}) in {flagged} of {len(report.runs)} runs")
    errors = f' · <a href="#{prefix}lint-errors">{len(report.errors)} could not be linted</a>' if report.errors else ""
    return f'<p class="verdict">{head}{errors}</p>'


def _marker(n: int, severity: Severity) -> str:
    return f'<span class="mk" style="background:{_SEVERITY_BG[severity]}">{n}</span>'


def _overview(rows: list[RunOverview], anchor: dict[int, str]) -> str:
    flagged = [r for r in rows if r.problems]
    healthy = [r for r in rows if not r.problems]
    parts = []
    if flagged:
        parts.append('<table class="cl-overview"><colgroup><col><col style="width:4.6em"><col style="width:6.4em">'
                     '<col style="width:3.4em"><col style="width:36%"></colgroup>'
                     "<tr><th>run</th><th>errors</th><th>warnings</th><th>info</th><th>worst finding</th></tr>")
        for r in flagged:
            f = r.worst.finding
            cells = "".join(f'<td class="n {s}">{r.counts[s] or ""}</td>' for s in ("error", "warning", "info"))
            parts.append(f'<tr><td><a href="#{anchor[id(r.run)]}">{esc(r.run.id)}</a></td>{cells}'
                         f'<td class="worst" title="{esc(f.message)}"><b class="{f.severity.value}">{esc(f.code)}</b> '
                         f"{esc(f.rule)}: {esc(f.message)}</td></tr>")
        parts.append("</table>")
    if healthy:
        links = "".join(f'<li><a href="#{anchor[id(r.run)]}">{esc(r.run.id)}</a></li>' for r in healthy)
        parts.append(f'<details class="cl-healthy"><summary>{len(healthy)} run{"s" if len(healthy) != 1 else ""} '
                     f'without findings</summary><ul class="runs">{links}</ul></details>')
    return "".join(parts)


def _finding_row(n: int, p: Problem) -> str:
    f = p.finding
    where = ""
    if f.location is not None:
        where = esc(display_path(f.location.path) + (f":{f.location.line}" if f.location.line else ""))
    epochs = f"{f.epochs[0]}–{f.epochs[1]}" if f.epochs else "whole run" if f.series else ""
    also = f"<br><i>{esc(p.also)}</i>" if p.also else ""
    fix = f"<details><summary>how to fix</summary>{esc(f.remediation)}</details>" if f.remediation else ""
    return (f'<tr><td>{_marker(n, f.severity)}</td><td class="{f.severity.value}">{f.severity.value}</td>'
            f"<td><b>{esc(f.code)}</b> {esc(f.rule)}</td><td>{esc(f.message)}{also}{fix}</td>"
            f"<td>{epochs}</td><td>{where}</td></tr>")


def _findings_table(problems: list[Problem], xlabel: str) -> str:
    if not problems:
        return "<p>No findings.</p>"
    return ('<table class="cl-findings"><colgroup><col style="width:2.4em"><col style="width:5.6em">'
            '<col style="width:20%"><col><col style="width:5.5em"><col style="width:18%"></colgroup>'
            f"<tr><th>#</th><th>severity</th><th>rule</th><th>finding</th><th>{xlabel}s</th><th>where</th></tr>"
            + "".join(_finding_row(n, p) for n, p in enumerate(problems, 1)) + "</table>")


def _meta(run: Run, lay: Layout) -> str:
    low, high = lay.x_range
    extent = (f"steps {_num(low)}–{_num(high)}" if run.axis == "step" else f"{run.epochs} epochs") if lay.panels else "no points"
    sources = ", ".join(esc(display_path(s)) for s in run.sources)
    shown = ", ".join(f"{esc(name)} = {_num(value)}" for name, value in lay.constants[:CONSTANTS_SHOWN])
    more = len(lay.constants) - CONSTANTS_SHOWN
    constants = f" · constant: {shown}{f' and {more} more' if more > 0 else ''}" if shown else ""
    return f"<p class=meta>{esc(run.format)} · {extent} · {sources}{constants}</p>"


def _no_points(run: Run) -> str:
    why = "; ".join(esc(p.message) for p in run.problems[:2])
    what = "no epoch-level series with a finite value" if run.curves else "no logged points"
    return f'<p class="note">Nothing to plot: {what}{f" ({why})" if why else ""}.</p>'


def _section(row: RunOverview, anchor: str, top: str, plot: Plot | None) -> tuple[str, int]:
    """The run's section and how many plots it holds."""
    run = row.run
    lay = layout(run, [p.finding for p in row.problems])
    badge = f' <small>{_count_text(row.counts)}</small>' if row.problems else ""
    parts = [f'<section class="run" id="{anchor}"><h2>{esc(run.id)}{badge}</h2>', _meta(run, lay)]
    if not lay.panels:
        parts.append(_no_points(run))
        plots = 0
    elif plot is not None:
        png = base64.b64encode(plot(run, [p.finding for p in row.problems])).decode("ascii")
        parts.append(f'<img class="cl-plot" alt="curves of {esc(run.id)}" src="data:image/png;base64,{png}">')
        plots = 1
    else:
        parts.append('<div class="panels">' + "".join(_panel_svg(p, lay, run.id) for p in lay.panels) + "</div>")
        plots = len(lay.panels)
    parts += [_findings_table(row.problems, lay.xlabel), f'<p class=meta><a href="#{top}">↑ overview</a></p></section>']
    return "".join(parts), plots


def render_html(report: Report, plot: Plot | None = None, *, fragment: bool = False,
                progress: Progress | None = None) -> str:
    """The report as a page, or with `fragment` as one `<div class="curvelint">` for a notebook.

    `plot(run, findings) -> PNG bytes` embeds an image per run instead of the inline SVG
    panels (the matplotlib path, e.g. `curvelint.plot.plot_run`). `progress(done, total)` is
    called after each run's section."""
    prefix = f"cl{next(_fragments)}-" if fragment else ""
    rows = overview(report)
    anchor = {id(run): f"{prefix}run-{i}" for i, run in enumerate(report.runs)}
    sections, plots = [], 0
    for done, row in enumerate(rows, 1):
        text, n = _section(row, anchor[id(row.run)], f"{prefix}top", plot)
        sections.append(text)
        plots += n
        if progress is not None:
            progress(done, len(rows))
    body = [f'<div class="curvelint" data-plots="{plots}">' + (f"<style>{_STYLE}</style>" if fragment else ""),
            f'<h1 id="{prefix}top">curvelint report</h1>',
            _verdict(report, rows, prefix),
            f"<p class=meta>curvelint {esc(__version__)}</p>",
            _overview(rows, anchor), *sections]
    if report.errors:
        body.append(f'<h2 id="{prefix}lint-errors">Could not lint</h2><ul>'
                    + "".join(f"<li>{esc(display_path(e.path))}: {esc(e.message)}</li>" for e in report.errors) + "</ul>")
    body.append("</div>")
    if fragment:
        return "\n".join(body)
    return "\n".join(['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">', _CSP,
                      f"<title>curvelint report</title><style>{_STYLE}</style>{_CHECK}</head>",
                      f'<body data-plots="{plots}">', *body, "</body></html>"]) + "\n"


class HtmlReporter(Reporter):
    name = "html"

    def render(self, report: Report, ctx: Context) -> str:
        return render_html(report, progress=ctx.progress)
