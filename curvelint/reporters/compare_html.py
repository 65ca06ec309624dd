"""`curvelint compare --format html`: one self-contained page for a comparison.

The verdict and counts first, then a table of the pairs, worse first, each linked to its section
(`id="pair-<index in the report>"`, never derived from an untrusted run id). Each section has
the pair's verdict line, its curves, its findings with their remediations, and its notes. The
curves are drawn as inline SVG by the lint HTML report's machinery (`reporters.html`: axes,
ticks, polylines) from `curvelint.plot.overlay`: the monitored series and the training loss,
each BASE run a thin grey line (several = seeds), HEAD a coloured one, on one x range; the
baseline's best (a grey ring, on a dashed level line), each seed's best (small rings) and
HEAD's best (a filled dot) are marked on the monitored series.

Like the lint page it loads nothing (CSP) and its only script counts the plots that rendered,
for headless browsers and tests. Every name from a log is escaped.
"""

from __future__ import annotations

from curvelint._version import __version__
from curvelint.compare import BETTER, SAME, UNKNOWN, VERDICT_WORDS, WORSE, CompareReport, PairResult
from curvelint.model import plural
from curvelint.plot import Overlay, OverlayPanel, overlay
from curvelint.reporters.base import display_path
from curvelint.reporters.compare_markdown import COUNT_ORDER, ROW_ORDER, noise_units
from curvelint.reporters.escape import html as esc
from curvelint.reporters.html import _CHECK, _CSP, _PLOT_W, _STYLE, HEIGHT, LEFT, WIDTH, _Axes, _frame_svg, _line_svg
from curvelint.series import num, pct

#: BASE is grey (context), HEAD coloured (the change under review).
BASE_COLOR, HEAD_COLOR = "#9aa0a6", "#1c7ed6"
#: The training loss is drawn under the monitored series unless it is that series.
TRAIN_LOSS = "train/loss"
_VERDICT_CLASS = {WORSE: "error", UNKNOWN: "warning", BETTER: "ok", SAME: "same"}
_COMPARE_STYLE = (
    f".curvelint .s-base{{stroke:{BASE_COLOR};stroke-width:1.1;stroke-opacity:.9}}"
    f".curvelint .s-head{{stroke:{HEAD_COLOR};stroke-width:2}}"
    f".curvelint .d-base{{fill:{BASE_COLOR}}}.curvelint .d-head{{fill:{HEAD_COLOR}}}"
    f".curvelint .k-base{{color:#777}}.curvelint .k-head{{color:{HEAD_COLOR}}}"
    ".curvelint svg .ref{stroke:#888;stroke-dasharray:4 3}"
    ".curvelint svg .best-base{fill:#fff;stroke:#666;stroke-width:1.5}"
    ".curvelint svg .best-seed{fill:#fff;stroke:#999;stroke-width:1}"
    f".curvelint svg .best-head{{fill:{HEAD_COLOR};stroke:#fff;stroke-width:1.5}}"
    ".curvelint .same{color:#555}.curvelint .summary{margin:.3em 0}"
    ".curvelint td.v{white-space:nowrap;font-weight:600}"
)


# -- plots ---------------------------------------------------------------------------------------


def _circle(ax: _Axes, x: float, y: float, r: float, css: str, title: str) -> str:
    return (f'<circle class="{css}" cx="{float(ax.x(x)):.1f}" cy="{float(ax.y(y)):.1f}" r="{r}">'
            f"<title>{esc(title)}</title></circle>")


def _overlay_svg(panel: OverlayPanel, lay: Overlay, pair: PairResult) -> str:
    c = pair.comparison
    ax = _Axes(panel, lay.x_range)
    body = _frame_svg(ax, lay.xlabel)
    monitored = panel.key == c.monitor or (c.monitor is None and c.base_monitor is not None
                                           and panel.key == c.base_monitor.key)
    if monitored and c.base_best is not None:
        y = float(ax.y(c.base_best.value))
        body.append(f'<line class="ref" x1="{LEFT}" x2="{LEFT + _PLOT_W}" y1="{y:.1f}" y2="{y:.1f}">'
                    f"<title>{esc(c.base_label)} best {esc(num(c.base_best.value))}</title></line>")
    # BASE under HEAD: the change under review is drawn last, on top
    for trace in sorted(panel.traces, key=lambda t: t.side == "head"):
        who = "HEAD" if trace.side == "head" else c.base_label
        body.append(_line_svg(ax, trace.line, panel.name, css=trace.side, title=f"{who} {trace.run}: {panel.name}"))
    if monitored:
        for trace in panel.traces:
            if trace.side == "base" and trace.best is not None and len(c.base) > 1:
                body.append(_circle(ax, *trace.best, 2.5, "best-seed",
                                    f"{trace.run}: best {panel.name} {num(trace.best[1])} at {trace.best[0]:g}"))
        if c.base_best is not None:
            of = f" (median of {len(c.base_bests)} runs)" if len(c.base_bests) > 1 else ""
            body.append(_circle(ax, c.base_best.epoch, c.base_best.value, 4, "best-base",
                                f"{c.base_label} best {num(c.base_best.value)} at {lay.xlabel} {c.base_best.epoch}{of}"))
        if c.head_best is not None:
            body.append(_circle(ax, c.head_best.epoch, c.head_best.value, 4, "best-head",
                                f"HEAD best {num(c.head_best.value)} at {lay.xlabel} {c.head_best.epoch}"))
    bases = sum(1 for t in panel.traces if t.side == "base")
    keys = ""
    if bases:
        keys += f'<span class="k-base">━ {esc(c.base_label)}{f" ({bases} runs)" if bases > 1 else ""}</span>'
    if any(t.side == "head" for t in panel.traces):
        keys += '<span class="k-head">━ HEAD</span>'
    if monitored:
        keys += "<span>○ best</span>"
    scale = " <i>(log)</i>" if panel.log else ""
    return (f"<figure><figcaption><b>{esc(panel.name)}</b>{scale}{keys}</figcaption>"
            f'<svg class="cl-plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{esc(panel.name)} of {esc(c.base_label)} and HEAD by {esc(lay.xlabel)}">{"".join(body)}</svg></figure>')


def pair_overlay(pair: PairResult) -> Overlay:
    """The panels of a pair: its monitored series (the baseline's, when HEAD lacks it), then
    the training loss."""
    c = pair.comparison
    keys, directions = [], {}
    if c.base_monitor is not None:
        keys.append(c.base_monitor.key)
        directions[c.base_monitor.key] = c.higher_is_better
    keys.append(TRAIN_LOSS)
    return overlay(c.base, c.head, keys, higher_is_better=directions)


# -- page ------------------------------------------------------------------------------------------


def _best_text(pair: PairResult) -> tuple[str, str]:
    """(`0.371 → 0.412`, `+11%, 4.1× seed spread`), or dashes without a best on both sides."""
    c = pair.comparison
    if c.base_best is None or c.head_best is None:
        return "—", "—"
    base, head = c.base_best.value, c.head_best.value
    change = f"{'+' if head >= base else '-'}{pct((head - base) / abs(base))}" if base else "n/a"
    return f"{esc(c.name)} {num(base)} → {num(head)}", f"{change}, {noise_units(pair).replace('&nbsp;', ' ')}"


def _verdict(report: CompareReport) -> str:
    counts = report.counts()
    label = report.pairs[0].comparison.base_label if report.pairs else "base"
    parts = [f'<span class="{_VERDICT_CLASS[v]}">{counts[v]} {VERDICT_WORDS[v]}</span>' for v in COUNT_ORDER if counts[v]]
    head = f"{', '.join(parts)} of {plural(len(report.pairs), 'pair')} vs {esc(label)}" if report.pairs else "nothing compared"
    fatal = sum(1 for e in report.errors if e.fatal)
    errors = f' · <a href="#errors" class="error">{plural(fatal, "path")} could not be read</a>' if fatal else ""
    return f'<p class="verdict">{head}{errors}</p>'


def _overview(pairs: list[tuple[int, PairResult]]) -> str:
    if not pairs:
        return ""
    rows = ['<table class="cl-overview"><colgroup><col style="width:22%"><col style="width:11em"><col>'
            '<col style="width:14em"><col style="width:16%"></colgroup>'
            "<tr><th>pair</th><th>verdict</th><th>best</th><th>change</th><th>findings</th></tr>"]
    for i, pair in pairs:
        best, change = _best_text(pair)
        codes = " ".join(dict.fromkeys(esc(f.code) for f in pair.findings))
        rows.append(f'<tr><td><a href="#pair-{i}">{esc(pair.comparison.id)}</a></td>'
                    f'<td class="v {_VERDICT_CLASS[pair.verdict]}">{VERDICT_WORDS[pair.verdict]}</td>'
                    f"<td>{best}</td><td>{change}</td><td>{codes}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _findings(pair: PairResult) -> str:
    if not pair.findings:
        return "<p>No findings.</p>"
    rows = []
    for f in pair.findings:
        fix = f"<details><summary>how to fix</summary>{esc(f.remediation)}</details>" if f.remediation else ""
        rows.append(f'<tr><td class="{f.severity.value}">{f.severity.value}</td><td><b>{esc(f.code)}</b> {esc(f.rule)}</td>'
                    f"<td>{esc(f.effect or 'info')}</td><td>{esc(f.message)}{fix}</td></tr>")
    return ('<table class="cl-findings"><colgroup><col style="width:5.6em"><col style="width:20%">'
            '<col style="width:5em"><col></colgroup><tr><th>severity</th><th>rule</th><th>effect</th><th>finding</th></tr>'
            + "".join(rows) + "</table>")


def _sources(runs) -> str:
    return ", ".join(esc(display_path(s)) for r in runs for s in r.sources) or "in memory"


def _section(i: int, pair: PairResult) -> tuple[str, int]:
    """The pair's section and how many plots it holds."""
    c = pair.comparison
    lay = pair_overlay(pair)
    base = f"{esc(c.base_label)}: {plural(len(c.base), 'run')} ({_sources(c.base)})"
    parts = [f'<section class="pair" id="pair-{i}"><h2>{esc(c.id)} <small class="{_VERDICT_CLASS[pair.verdict]}">'
             f"{VERDICT_WORDS[pair.verdict]}</small></h2>",
             f"<p class=meta>{base} · HEAD: {esc(c.head.id)} ({_sources([c.head])}) · by {esc(lay.xlabel)}</p>",
             f'<p class="summary">{esc(pair.verdict_line())}</p>']
    if lay.panels:
        parts.append('<div class="panels">' + "".join(_overlay_svg(p, lay, pair) for p in lay.panels) + "</div>")
    else:
        parts.append('<p class="note">Nothing to plot: neither side logs a finite point of the monitored series '
                     "or the training loss.</p>")
    parts.append(_findings(pair))
    if c.notes:
        parts.append('<ul class="note">' + "".join(f"<li>{esc(n)}</li>" for n in c.notes) + "</ul>")
    parts.append('<p class=meta><a href="#top">↑ overview</a></p></section>')
    return "".join(parts), len(lay.panels)


def render_compare_html(report: CompareReport) -> str:
    """The comparison as one page."""
    order = sorted(enumerate(report.pairs), key=lambda ip: ROW_ORDER[ip[1].verdict])
    sections, plots = [], 0
    for i, pair in order:
        text, n = _section(i, pair)
        sections.append(text)
        plots += n
    body = [f'<div class="curvelint" data-plots="{plots}">', '<h1 id="top">curvelint compare</h1>', _verdict(report),
            f"<p class=meta>curvelint {esc(__version__)}</p>", _overview(order), *sections]
    if report.unpaired_base or report.unpaired_head:
        body.append("<h2>Unpaired runs</h2><ul>"
                    + (f"<li>BASE: {esc(', '.join(report.unpaired_base))}</li>" if report.unpaired_base else "")
                    + (f"<li>HEAD: {esc(', '.join(report.unpaired_head))}</li>" if report.unpaired_head else "") + "</ul>")
    if report.errors:
        body.append('<h2 id="errors">Could not read</h2><ul>'
                    + "".join(f'<li class="{"error" if e.fatal else "warning"}">{esc(display_path(e.path))}: '
                              f"{esc(e.message)}</li>" for e in report.errors) + "</ul>")
    body.append("</div>")
    return "\n".join(['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">', _CSP,
                      f"<title>curvelint compare</title><style>{_STYLE}{_COMPARE_STYLE}</style>{_CHECK}</head>",
                      f'<body data-plots="{plots}">', *body, "</body></html>"]) + "\n"
