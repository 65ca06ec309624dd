"""`--format markdown`: the sticky pull-request comment and the job summary.

Written for a reviewer who looks for five seconds: after the hidden `<!-- curvelint -->` marker
(the sticky comment is found by it) comes a one-line verdict with counts, then one table of the
runs with warnings or errors, worst first (`overview`), with sparklines of loss and val_loss.
Everything else is collapsed in `<details>`: those runs' problems in full, info findings,
healthy runs, notes from reading the logs, and each rule's remediation once.

GitHub refuses comments over 65,536 characters. A long body drops detail in `_DROP_ORDER`
(healthy runs first, table rows last, as few items of a section as needed) and says what it
left out; the verdict always stays. Text from logs is escaped (`escape.markdown`); backtick code
in our messages and remediations renders as code (`escape.markdown_prose`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

from curvelint.model import Finding, LintError, Report, Run, Severity, plural
from curvelint.reporters.base import Context, Problem, Reporter, RunOverview, display_path, overview, run_length
from curvelint.reporters.escape import html
from curvelint.reporters.escape import markdown as md
from curvelint.reporters.escape import markdown_code as code
from curvelint.reporters.escape import markdown_prose as prose
from curvelint.reporters.sparkline import loss_sparklines
from curvelint.series import framework

MARKER = "<!-- curvelint -->"
MAX_CHARS = 65_536
#: Sparkline width in the table: enough to show a curve's shape, narrow enough for five columns.
SPARK_WIDTH = 12
#: A table cell's message is cut at a word boundary after this many characters; the run's
#: details have it in full.
CELL_CHARS = 120
#: Source files named per run in its details; the rest are counted.
SOURCES_SHOWN = 3
ICON = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}
HEALTHY = "✅"
#: Keeps a number with its unit, and a curve's name with its sparkline, on one line of a cell.
NBSP = "&nbsp;"
#: How `curvelint.series.framework` names read when a rule's remediation differs between them.
FRAMEWORKS = {"keras": "Keras", "lightning": "PyTorch Lightning", "pytorch": "PyTorch", "hf": "Hugging Face Trainer"}
#: An absolute POSIX path inside a message: after the start, a space or an opening bracket.
_ABSOLUTE_PATH = re.compile(r"(?<![^\s(\[])/[^\s()\[\],;]+")
_TABLE_HEAD = "| run | worst finding | related | length | loss |\n|---|---|---|---|---|"
#: What goes first when the body is too long: the healthy runs and notes (least actionable), then
#: remediations, info, the runs' details, table rows; the read errors last.
_DROP_ORDER = ("healthy", "notes", "fixes", "info", "runs", "table", "errors")


@dataclass
class _Section:
    """A droppable part of the body: its items, each worth `weights[i]` of what `noun` counts
    (default 1). Collapsed under `summary`, or laid out by `layout`. `left_out` words the note
    on dropped items, with `{}` for their count."""

    items: list[str]
    noun: str
    left_out: str = "{}"
    summary: str = ""
    layout: Callable[[list[str]], str] | None = None
    weights: list[int] | None = None

    def render(self, keep: int) -> str:
        if not keep:
            return ""
        if self.layout is not None:
            return self.layout(self.items[:keep])
        shown = f" (the first {keep:,} shown)" if keep < len(self.items) else ""
        return _details(self.summary + shown, self.items[:keep])

    def dropped(self, keep: int) -> int:
        weights = self.weights or [1] * len(self.items)
        return sum(weights[keep:])


class MarkdownReporter(Reporter):
    name = "markdown"
    description = "pull-request comment / job summary: verdict, a table of the worst runs, detail collapsed"

    def render(self, report: Report, ctx: Context) -> str:
        return render_markdown(report, ctx.max_chars or MAX_CHARS, rules=ctx.rules, baseline=ctx.baseline)


def render_markdown(report: Report, limit: int = MAX_CHARS, rules: Mapping | None = None, baseline=None) -> str:
    """The comment body, never longer than `limit`. `rules` (code → rule class) words each
    remediation once per rule for every framework; without them a finding's own text is used.
    With a `baseline` (`BaselineResult`) the verdict counts only new findings and a line under
    it says how many known ones were hidden."""
    rows = overview(report)
    flagged = [r for r in rows if r.severity is not None and r.severity.rank > Severity.INFO.rank]
    fatal = [e for e in report.errors if e.fatal]
    notes = [e for e in report.errors if not e.fatal]
    info = [(r.run, p) for r in rows for p in r.problems if p.finding.severity is Severity.INFO]
    healthy = [r for r in rows if not r.problems]
    sections = {
        "table": _Section([_table_row(r) for r in flagged], "run", "{} with warnings or errors from the table",
                          layout=lambda rs: "\n".join([_TABLE_HEAD, *rs]) + "\n"),
        "errors": _Section([_error_item(e) for e in fatal], "read error", layout=lambda es: "\n".join(
            [f"**Could not lint {plural(len(fatal), 'path')}:**", "", *es]) + "\n"),
        "runs": _Section([_run_details(r) for r in flagged], "run", "the details of {}",
                         summary=f"Findings of the {plural(len(flagged), 'run')} with warnings or errors"),
        "info": _Section([_problem_item(p, run, name_run=True) for run, p in info], "info finding",
                         summary=f"{ICON[Severity.INFO]} Info: {plural(sum(len(p.findings) for _, p in info), 'finding')} "
                                 f"in {plural(len({id(run) for run, _ in info}), 'run')}",
                         weights=[len(p.findings) for _, p in info]),
        "healthy": _Section([f"- {md(r.run.id)}" for r in healthy], "healthy run",
                            summary=f"{HEALTHY} Healthy: {plural(len(healthy), 'run')} without findings"),
        "notes": _Section([_error_item(e) for e in notes], "note", summary=f"Notes from reading the logs ({len(notes)})"),
    }
    fixes = _fixes(rows, rules or {})
    sections["fixes"] = _Section(fixes, "rule", "the remediations of {}",
                                 summary=f"🛠️ How to fix ({plural(len(fixes), 'rule')})")
    verdict = _verdict(report, len(flagged), len(fatal)) + (_baseline_note(baseline) if baseline else "")
    keep = {name: len(s.items) for name, s in sections.items()}
    body = _assemble(verdict, sections, keep, limit)
    for name in _DROP_ORDER:
        if len(body) <= limit:
            return body
        keep[name] = _most_that_fit(verdict, sections, keep, name, limit)
        body = _assemble(verdict, sections, keep, limit)
    return body if len(body) <= limit else (MARKER + "\n" + verdict + "\n")[:limit]


def _most_that_fit(verdict: str, sections: dict[str, _Section], keep: dict[str, int], name: str, limit: int) -> int:
    """The largest number of `name`'s items with which the body fits (0 if none does)."""
    lo, hi = 0, keep[name]
    if len(_assemble(verdict, sections, {**keep, name: 0}, limit)) > limit:
        return 0  # the common case on a huge report: no need to search
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(_assemble(verdict, sections, {**keep, name: mid}, limit)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _assemble(verdict: str, sections: dict[str, _Section], keep: dict[str, int], limit: int) -> str:
    parts = [MARKER, verdict + "\n", sections["table"].render(keep["table"])]
    left_out = [s.left_out.format(plural(s.dropped(keep[name]), s.noun))
                for name, s in sections.items() if s.dropped(keep[name])]
    if left_out:
        fit = "GitHub's comment limit" if limit == MAX_CHARS else "the limit"
        parts.append(f"_Left out to fit {fit} of {limit:,} characters: {'; '.join(left_out)}. "
                     "Run `curvelint` locally (or `--format html`) for the full report._\n")
    parts += [sections[name].render(keep[name]) for name in ("errors", "runs", "info", "healthy", "notes", "fixes")]
    return "\n".join(p for p in parts if p).rstrip("\n") + "\n"


def _verdict(report: Report, flagged: int, fatal: int) -> str:
    """One line: the worst severity's icon, the counts a reviewer acts on, info in brackets."""
    counts = report.counts()
    bad = [plural(counts[s.value], s.value) for s in (Severity.ERROR, Severity.WARNING) if counts[s.value]]
    runs = len(report.runs)
    claims = [f"{', '.join(bad)} in {flagged:,} of {plural(runs, 'run')}" if bad
              else f"{plural(runs, 'run')} checked, no warnings or errors"]
    if fatal:
        claims.append(f"{plural(fatal, 'path')} could not be linted")
    icon = (ICON[Severity.ERROR] if counts["error"] or fatal else ICON[Severity.WARNING] if counts["warning"]
            else HEALTHY)
    info = f" ({plural(counts['info'], 'info')})" if counts["info"] else ""
    return f"{icon} **curvelint: {'; '.join(claims)}**{info}"


def _baseline_note(b) -> str:
    """The line under the verdict: known findings hidden, and the baseline entries that no longer occur."""
    from curvelint.baseline import STALE_SHOWN

    text = f"{plural(b.hidden, 'known finding')} hidden by the baseline {code(b.path)}"
    if b.stale:
        n = len(b.stale)
        listed = ", ".join(f"{code(s.code)} in {md(s.run)} ({s.recorded} recorded, {s.found} now)"
                           for s in b.stale[:STALE_SHOWN])
        more = f" and {n - STALE_SHOWN:,} more" if n > STALE_SHOWN else ""
        entries = "1 entry of it no longer occurs" if n == 1 else f"{n:,} entries of it no longer occur"
        text += f"; {entries}: {listed}{more}"
    return f"\n\n_{text}._"


def _shorten(text: str, limit: int = CELL_CHARS) -> str:
    """`text` cut at the last word boundary before `limit` characters, with `…`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " …"


def _relative(text: str) -> str:
    """`text` with each absolute path in it shown by `display_path`: readers name the file in
    their messages (`invalid JSON (/home/ci/work/runs/a.json:8)`)."""
    return _ABSOLUTE_PATH.sub(lambda m: display_path(m.group(0)), text)


def _finding(f: Finding, message: str) -> str:
    """`🔴 <code>NUM001</code> nan-loss: message` (message already escaped)."""
    return f"{ICON[f.severity]} {code(f.code)} {md(f.rule)}: {message}"


def _sparks(run: Run) -> str:
    """`loss ▇▅▃▂` lines, one per curve; a no-break space keeps each name on its curve's line and
    code font gives the bars one width. Empty for a run without loss curves. When both curves
    are logged under one name (Keras TensorBoard: `epoch_loss` in train/ and validation/), the
    split tells them apart."""
    lines = loss_sparklines(run, SPARK_WIDTH)
    if len({name for name, _ in lines}) < len(lines):  # both present, so in loss_sparklines' order
        lines = [(f"{split} {name}", spark) for split, (name, spark) in zip(("train", "val"), lines)]
    return "<br>".join(f"{md(name)}{NBSP}<code>{spark}</code>" for name, spark in lines)


def _more(row: RunOverview) -> str:
    """`+3 more (1 🟠, 2 🔵)`: the run's problems besides its worst, by severity."""
    others = row.problems[1:]
    if not others:
        return ""
    by = [f"{sum(1 for p in others if p.finding.severity is s)}{NBSP}{ICON[s]}" for s in Severity
          if any(p.finding.severity is s for p in others)]
    return f"+{len(others)} more ({', '.join(by)})"


def _breakable(run_id: str) -> str:
    """The escaped id with a line-break opportunity after each `/`, so a long path wraps in its
    cell instead of pushing the other columns off screen."""
    return md(run_id).replace("/", "/<wbr>")


def _table_row(row: RunOverview) -> str:
    worst = row.worst
    assert worst is not None
    related = "<br>".join(x for x in (md(worst.also), _more(row)) if x)
    cells = [_breakable(row.run.id), _finding(worst.finding, prose(_shorten(_relative(worst.finding.message)))), related,
             run_length(row.run, logged=False).replace(" ", NBSP), _sparks(row.run)]
    return "| " + " | ".join(cells) + " |"


def _where(f: Finding, run: Run) -> str:
    """` (line 16)` in a run's only source file, ` (at <code>path:16</code>)` elsewhere."""
    loc = f.location
    if loc is None:
        return ""
    if run.sources == [loc.path]:
        return f" (line {loc.line})" if loc.line else ""
    return f" (at {code(display_path(loc.path) + (f':{loc.line}' if loc.line else ''))})"


def _problem_item(p: Problem, run: Run, name_run: bool = False) -> str:
    """A list item: the finding, where it is, and the findings it explains as sub-items;
    prefixed with the run (`name_run`) when listed among other runs' findings."""
    f = p.finding
    head = f"{md(run.id)}: " if name_run else ""
    lines = [f"- {head}{_finding(f, prose(_relative(f.message)))}{_where(f, run)}"]
    lines += [f"  - explains {_finding(g, prose(_relative(g.message)))}" for g in p.explained]
    return "\n".join(lines)


def _run_details(row: RunOverview) -> str:
    run = row.run
    problems = [p for p in row.problems if p.finding.severity.rank > Severity.INFO.rank]
    counts = ", ".join(plural(row.counts[s.value], s.value) for s in Severity if row.counts[s.value])
    sources = [code(display_path(s)) for s in run.sources[:SOURCES_SHOWN]]
    if len(run.sources) > SOURCES_SHOWN:
        sources.append(f"{len(run.sources) - SOURCES_SHOWN} more")
    meta = f"{md(run.format)}, {run_length(run)}" + (f", from {', '.join(sources)}" if sources else "")
    assert row.severity is not None
    return _details(f"{ICON[row.severity]} {html(' '.join(run.id.split()))}: {counts}", [meta, "", *(_problem_item(p, run) for p in problems)])


def _error_item(e: LintError) -> str:
    return f"- {code(display_path(e.path))}: {md(_relative(e.message))}"


def _fixes(rows: list[RunOverview], rules: Mapping) -> list[str]:
    """One entry per rule (code + slug) of every problem shown, worst severity first: the
    rule's remediation in the words of each framework among its runs. A finding's own wording
    (`Stop near epoch 12`) fits one run, not the rule; it is used only for a rule not in `rules`."""
    found: dict[str, list[tuple[Finding, Run]]] = {}
    for row in rows:
        for p in row.problems:
            found.setdefault(p.finding.code, []).append((p.finding, row.run))
    entries = []
    for rule_code, pairs in sorted(found.items(), key=lambda kv: (-kv[1][0][0].severity.rank, kv[0])):
        first = pairs[0][0]
        by_framework: dict[str, list[tuple[Finding, Run]]] = {}
        for f, run in pairs:
            by_framework.setdefault(framework(run), []).append((f, run))
        texts = {fw: _remediation(ps, rules.get(rule_code)) for fw, ps in by_framework.items()}
        texts = {fw: t for fw, t in texts.items() if t}
        runs = len({id(run) for _, run in pairs})
        head = f"**{ICON[first.severity]} {code(rule_code)} {md(first.rule)}** ({plural(runs, 'run')})"
        if len(set(texts.values())) > 1:
            body = [f"- {FRAMEWORKS.get(fw, md(fw))}: {prose(t)}" for fw, t in texts.items()]
        else:
            body = [prose(t) for t in list(texts.values())[:1]]
        entries.append("\n".join([head, "", *body, ""]))
    return entries


def _remediation(pairs: list[tuple[Finding, Run]], rule) -> str:
    """The remediation of one rule for one framework; see `_fixes`."""
    first, run = pairs[0]
    if rule is not None:
        return rule.remediation_for(run)
    if len({f.remediation for f, _ in pairs}) == 1:
        return first.remediation
    return f"{first.remediation} (worded for {run.id})"  # no generic wording known: say whose it is


def _details(summary: str, items: list[str]) -> str:
    """A collapsed block. `summary` is raw HTML (GitHub renders no markdown there); the blank
    lines around the body make GitHub render it as markdown."""
    body = "\n".join(items).rstrip("\n")
    return "\n".join([f"<details><summary>{summary}</summary>", "", body, "", "</details>", ""])
