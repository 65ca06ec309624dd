"""`--format html`: one self-contained page with a plot per run and its findings beneath.

Plots are PNGs embedded as data URIs, styles are inline: the file opens offline and loads
nothing from the network. Every name from a log is HTML-escaped. A finding that explains
others is one row with `also: CODES` and its remediation; the findings it explains get no row.
"""

from __future__ import annotations

import base64

from curvelint._version import __version__
from curvelint.model import Report
from curvelint.reporters.base import Context, Problem, Reporter, fold
from curvelint.reporters.escape import html as esc

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em;border-bottom:1px solid #ddd}
.meta{color:#666}.error{color:#b00}.warning{color:#b60}.info{color:#06b}
figure{margin:0}img{max-width:100%}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;vertical-align:top;text-align:left}
details{color:#444}
"""
# Counts the plots that decoded, so a headless browser (and a test) can tell the page rendered.
_CHECK = ("<script>window.addEventListener('load',function(){var n=0,i=document.images;"
          "for(var k=0;k<i.length;k++){if(i[k].naturalWidth>0)n++;}"
          "document.body.setAttribute('data-plots-loaded',n);});</script>")


def _finding_row(p: Problem) -> str:
    f = p.finding
    where = ""
    if f.location is not None:
        where = esc(f.location.path + (f":{f.location.line}" if f.location.line else ""))
    epochs = f"{f.epochs[0]}–{f.epochs[1]}" if f.epochs else ""
    return (f'<tr><td class="{f.severity.value}">{f.severity.value}</td><td><b>{esc(f.code)}</b> {esc(f.rule)}</td>'
            f"<td>{esc(f.message)}{f'<br><i>{esc(p.also)}</i>' if p.also else ''}<details><summary>how to fix</summary>{esc(f.remediation)}</details></td>"
            f"<td>{epochs}</td><td>{where}</td></tr>")


def render_html(report: Report, plot) -> str:
    """`plot(run, findings) -> PNG bytes`, passed in so the page can be built without matplotlib in tests."""
    by_run = report.by_run()
    counts = report.counts()
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; style-src \'unsafe-inline\'; script-src \'unsafe-inline\'">',
             f"<title>curvelint report</title><style>{_STYLE}</style>{_CHECK}</head>",
             f'<body data-plots="{len(report.runs)}">',
             f"<h1>curvelint report</h1><p class=meta>{len(report.runs)} runs · {len(report.findings)} findings "
             f"({counts['error']} error, {counts['warning']} warning, {counts['info']} info) · curvelint {esc(__version__)}</p>"]
    for run in report.runs:
        problems = fold(by_run.get(run.id, []))
        png = base64.b64encode(plot(run, [p.finding for p in problems])).decode("ascii")
        parts.append(f'<section class="run"><h2>{esc(run.id)}</h2>'
                     f"<p class=meta>{esc(run.format)} · {run.epochs} epochs · {esc(', '.join(run.sources))}</p>"
                     f'<figure><img alt="curves of {esc(run.id)}" src="data:image/png;base64,{png}"></figure>')
        if problems:
            parts.append("<table><tr><th>severity</th><th>rule</th><th>finding</th><th>epochs</th><th>where</th></tr>"
                         + "".join(_finding_row(p) for p in sorted(problems, key=lambda p: -p.finding.severity.rank)) + "</table>")
        else:
            parts.append("<p>No findings.</p>")
        parts.append("</section>")
    if report.errors:
        parts.append("<h2>Could not lint</h2><ul>" + "".join(f"<li>{esc(e.path)}: {esc(e.message)}</li>" for e in report.errors) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


class HtmlReporter(Reporter):
    name = "html"

    def render(self, report: Report, ctx: Context) -> str:
        from curvelint.plot import plot_run

        return render_html(report, plot_run)
