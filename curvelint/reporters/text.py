"""`--output-format text` (alias `full`, the default): findings grouped per run, for a person at
a terminal.

On a terminal (and without NO_COLOR) severities are coloured with rich and each run gets a
sparkline of loss and val_loss; piped output stays plain text. A finding that explains others
is printed once with `also: CODES`; the findings it explains are not printed, but the summary
counts them.

A remediation is printed at the first finding of its rule (per framework, since Keras advice is
wrong for a Lightning run), not at every one: on a tree of 200 runs the same paragraph would
otherwise fill most of the screen. `curvelint rule CODE` and the machine formats keep each
finding's own. Long messages and remediations are wrapped at spaces to `TerminalContext.width`
with a hanging indent under the text they continue, never mid-word.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field, fields

from curvelint.model import LintError, Report, Run, Severity, plural
from curvelint.reporters.base import Context, Reporter, count_problems, display_path, fold, run_length
from curvelint.reporters.sparkline import loss_sparklines

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
#: Width used when the CLI says nothing (a file, a pipe): what `shutil.get_terminal_size` falls back to.
DEFAULT_WIDTH = 100
#: Columns of the severity label (`warning ` is the longest) after the two-space indent.
_SEVERITY_COLUMNS = 8
#: Words are separated by spaces; a no-break space (`NBSP`) keeps two words on one line and
#: prints as a plain space.
_WORD = re.compile(r"[^ \t\n]+")
NBSP = "\u00a0"
#: Where a word too long for any line may still break: after punctuation inside code, such as
#: "`keras.callbacks.EarlyStopping(" + "monitor='val_loss',".
_INNER_BREAK = re.compile(r"[^(,./=]*[(,./=]|[^(,./=]+$")

Segment = tuple[str, str]  # (text, rich style); the style is dropped for plain output
Line = list[Segment]


@dataclass
class TerminalContext(Context):
    """A `Context` with what the terminal formats (text, concise) take from the CLI's output
    options; any other reporter reads it as a plain `Context`."""

    #: Wrap long lines to this many columns (the terminal's; `DEFAULT_WIDTH` when piped).
    width: int = DEFAULT_WIDTH
    #: `-q`: the findings only, no summary line.
    quiet: bool = False
    #: `--min-severity`: the lowest severity shown, and how many findings of each severity it hid.
    min_severity: str | None = None
    hidden: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx: Context) -> TerminalContext:
        """`ctx` itself, or a plain `Context` with the defaults above."""
        if isinstance(ctx, cls):
            return ctx
        return cls(**{f.name: getattr(ctx, f.name) for f in fields(Context)})


class TextReporter(Reporter):
    name = "text"

    def render(self, report: Report, ctx: Context) -> str:
        # Text from logs is never parsed as markup, so a metric named "[bold]" prints as itself.
        tctx = TerminalContext.of(ctx)
        lines: list[Line] = []
        if tctx.statistics:
            lines += _statistics(report)
        else:
            lines += _grouped(report, tctx)
        lines += error_lines(report.errors, tctx.width)
        if not tctx.quiet:
            lines += summary_lines(report, tctx)
        return render_lines(lines, tctx.color)


def _statistics(report: Report) -> list[Line]:
    counts = Counter((f.code, f.rule, f.severity) for f in report.findings)
    lines: list[Line] = []
    for (code, slug, sev), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0])):
        lines.append([(f"{n:>5}  ", ""), (f"{code:<8} ", "bold"), (f"{sev.value:<8} ", SEVERITY_STYLE[sev]), (slug, "")])
    if counts:
        lines.append([])
    return lines


def _grouped(report: Report, ctx: TerminalContext) -> list[Line]:
    from curvelint.series import framework

    by_run = report.by_run()
    # every message starts in the same column: after the severity and the longest code
    column = 2 + _SEVERITY_COLUMNS + max((len(f.code) for f in report.findings), default=6) + 1
    advised: set[tuple[str, str]] = set()
    lines: list[Line] = []
    for run in report.runs:
        findings = by_run.get(run.id)
        if not findings:
            continue
        source = _source_label(run)
        lines += wrap([(run.id, "bold"), (f"  {run.format} · {run_length(run)}" + (f" · {source}" if source else ""), "dim")],
                      ctx.width, 4)
        if ctx.color:
            sparks = loss_sparklines(run)
            if sparks:
                lines.append([("  ", "")] + [seg for name, spark in sparks for seg in ((f"{name} ", "dim"), (f"{spark}  ", "blue"))])
        for problem in fold(findings):
            f = problem.finding
            in_source = f.location is not None and run.sources == [f.location.path]
            line_no = f"  line{NBSP}{f.location.line}" if in_source and f.location.line else ""
            head = [("  ", ""), (f"{f.severity.value:<{_SEVERITY_COLUMNS}}", SEVERITY_STYLE[f.severity]),
                    (f"{f.code:<{column - 2 - _SEVERITY_COLUMNS}}", "bold"), (f"{f.message}  ", ""), (f"[{f.rule}]", "dim"),
                    (line_no, "dim")]
            lines += wrap(head, ctx.width, column)
            pad = " " * column
            if f.location is not None and not in_source:  # the header names a run's only file
                where = display_path(f.location.path) + (f":{f.location.line}" if f.location.line else "")
                lines += wrap([(f"{pad}at {where}", "dim")], ctx.width, column + 3)
            if problem.also:
                lines += wrap([(f"{pad}{problem.also}", "")], ctx.width, column + 6)
            key = (f.code, framework(run))
            if f.remediation and key not in advised:
                advised.add(key)
                lines += wrap([(pad, ""), ("→ ", "green"), (f.remediation, "")], ctx.width, column + 2)
        lines.append([])
    return lines


def _source_label(run: Run) -> str:
    """The run's only source file, as its header names it: the file name alone when it lies in
    the directory the run id names (`runs/a` -> `training.log`), else its path; "" for a run
    read from several files (each finding then says where it is)."""
    if len(run.sources) != 1:
        return ""
    path = display_path(run.sources[0])
    directory = os.path.dirname(run.sources[0]).replace(os.sep, "/")
    run_dir = re.split(r"::|#", run.id)[0]
    return os.path.basename(path) if run_dir and directory.endswith(run_dir) else path


def error_lines(errors: list[LintError], width: int) -> list[Line]:
    """`error: path: message` (fatal) or `warning: ...` per problem outside the curves."""
    lines: list[Line] = []
    for e in errors:
        label, style = ("error", "bold red") if e.fatal else ("warning", "yellow")
        lines += wrap([(label, style), (f": {display_path(e.path)}: {e.message}", "")], width, len(label) + 2)
    return lines


def summary_lines(report: Report, ctx: TerminalContext) -> list[Line]:
    """The closing `Found ...` / `All checks passed ...` line, saying what `--min-severity` hid,
    and with a baseline a line saying how many known findings it hid and which entries are stale."""
    counts = report.counts()
    hidden = {sev: n for sev, n in ctx.hidden.items() if n}
    hid = ""
    if hidden:
        what = ", ".join(f"{n} {sev}" for sev, n in hidden.items())
        hid = f"; {what} hidden (below --min-severity {ctx.min_severity})"
    if report.findings:
        runs_with = len({f.run for f in report.findings})
        severities = f"{counts['error']} error, {counts['warning']} warning, {counts['info']} info"
        problems = count_problems(report.findings)
        if problems == len(report.findings):
            found = (f"{plural(len(report.findings), 'finding')} in {plural(runs_with, 'run')} of {len(report.runs)} "
                     f"linted ({severities})")
        else:  # severities are of all findings: each one counts for the exit status
            found = (f"{plural(problems, 'problem')} ({plural(len(report.findings), 'finding')}: {severities}) "
                     f"in {plural(runs_with, 'run')} of {len(report.runs)} linted")
        line = [(f"Found {found}{hid}.", "bold")]
    elif hidden:
        line = [(f"No findings at {ctx.min_severity} or above: {plural(len(report.runs), 'run')} linted{hid}.", "bold")]
    elif ctx.baseline is not None and ctx.baseline.hidden:
        line = [(f"No new findings: {plural(len(report.runs), 'run')} linted.", "bold green")]
    else:
        line = [(f"All checks passed: {plural(len(report.runs), 'run')} linted, no findings.", "bold green")]
    lines = wrap(line, ctx.width, 2)
    if ctx.baseline is not None:  # the known findings were taken out before any of the above
        lines += wrap([(f"{ctx.baseline.summary(space=NBSP)}.", "")], ctx.width, 2)
    return lines


def wrap(segments: Line, width: int, indent: int) -> list[Line]:
    """`segments` as lines of at most `width` columns, broken at spaces (a word longer than a
    continuation line breaks after its inner punctuation, else stays whole); each continuation
    line starts with `indent` spaces. Styles follow their characters across the breaks; the
    spacing inside a line is kept as it was."""
    text = "".join(t for t, _ in segments)
    styles = [style for t, style in segments for _ in t]
    words: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        if indent + len(m.group()) <= width:
            words.append(m.span())
        else:
            words += [(m.start() + p.start(), m.start() + p.end()) for p in _INNER_BREAK.finditer(m.group()) if p.group()]
    if not words:
        return [segments]
    spans: list[tuple[int, int]] = []  # (start, end) of each line in `text`
    start, end = 0, words[0][1]
    for w_start, w_end in words[1:]:
        used = end - start + (indent if spans else 0)
        if used + (w_end - end) > width and indent + (w_end - w_start) <= width:
            spans.append((start, end))
            start = w_start
        end = w_end
    spans.append((start, end))
    out = []
    for i, (a, b) in enumerate(spans):
        line: Line = [(" " * indent, "")] if i else []
        for j in range(a, b):
            if line and line[-1][1] == styles[j]:
                line[-1] = (line[-1][0] + text[j], styles[j])
            else:
                line.append((text[j], styles[j]))
        out.append(line)
    return out


def render_lines(lines: list[Line], color: bool) -> str:
    """The lines as plain text, or with rich's ANSI styles when `color`."""
    lines = [[(text.replace(NBSP, " "), style) for text, style in line] for line in lines]
    if not color:
        return "".join("".join(text for text, _ in line) + "\n" for line in lines)
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="standard", soft_wrap=True, highlight=False)
    for line in lines:
        text = Text()
        for segment, style in line:
            text.append(segment, style=style or None)
        console.print(text)
    return buf.getvalue()
