"""`curvelint compare --format markdown`: a comparison in a pull-request comment.

The verdict line comes first (`🔴 **curvelint compare: 1 worse, 3 same within noise of 4 pairs
vs main**`), then one table of the pairs, worse first: the verdict, the best of the monitored
series on BASE and HEAD with the change in percent and in noise units, where each was best, a
sparkline of each side and the codes of the findings. Both sparklines of a pair are drawn on one
scale (`sparkline.shared_sparklines`), so the lower line is the lower curve; the BASE one is the
median seed's (the run whose best is the baseline's best). Everything else is collapsed: each
pair's findings, each rule's remediation once, and the notes (one BASE run: no seed spread).

No `<!-- curvelint -->` marker by default: the maintainer's sticky comment puts this after
the lint report's body, which has it. `marker=True` starts the body with it, for a comment
that holds the comparison alone. The body never exceeds `limit`: it drops the notes, then the
remediations, the findings and table rows (the same-within-noise pairs last in the table go
first), saying what it left out; the verdict line and the table header always stay.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from curvelint.compare import (BETTER, SAME, UNKNOWN, VERDICT_WORDS, WORSE, WORST_FIRST, CompareFinding, CompareReport,
                               PairResult)
from curvelint.model import LintError, plural
from curvelint.reporters.base import display_path
from curvelint.reporters.escape import markdown as md
from curvelint.reporters.escape import markdown_code as code
from curvelint.reporters.escape import markdown_prose as prose
from curvelint.reporters.markdown import ICON, MARKER, MAX_CHARS, NBSP, _Section
from curvelint.reporters.sparkline import shared_sparklines
from curvelint.series import num, pct

#: Sparkline width: two of them share a row with five other columns.
SPARK_WIDTH = 12
VERDICT_ICON = {WORSE: "🔴", UNKNOWN: "🟠", BETTER: "🟢", SAME: "✅"}
#: Table rows, worst first: a pair that got worse, one that could not be judged, then the rest.
ROW_ORDER = {v: i for i, v in enumerate(WORST_FIRST)}
COUNT_ORDER = (WORSE, SAME, BETTER, UNKNOWN)
#: What goes first when the body is too long; the read errors last.
_DROP_ORDER = ("notes", "fixes", "findings", "table", "errors")


def render_compare_markdown(report: CompareReport, limit: int = MAX_CHARS, *, marker: bool = False) -> str:
    """The comment body, never longer than `limit`; with `marker`, after `<!-- curvelint -->`."""
    pairs = sorted(report.pairs, key=lambda p: ROW_ORDER[p.verdict])
    fatal = [e for e in report.errors if e.fatal]
    found = [p for p in pairs if p.findings]
    fixes = _fixes(pairs)
    notes = _notes(report, pairs)
    monitors = {p.comparison.name for p in pairs if p.comparison.monitor is not None}
    header = _table_head(pairs, monitors)
    sections = {
        "table": _Section([_row(p, name_it=len(monitors) > 1) for p in pairs], "pair", "{} from the table",
                          layout=lambda rows: "\n".join([header, *rows]) + "\n"),
        "errors": _Section([_error_item(e) for e in fatal], "read error", layout=lambda es: "\n".join(
            [f"**Could not read {plural(len(fatal), 'path')}:**", "", *es]) + "\n"),
        "findings": _Section([_pair_details(p) for p in found], "pair", "the findings of {}",
                             summary=f"Findings: {plural(sum(len(p.findings) for p in found), 'finding')} "
                                     f"on {plural(len(found), 'pair')}"),
        "fixes": _Section(fixes, "rule", "the remediations of {}", summary=f"🛠️ How to fix ({plural(len(fixes), 'rule')})"),
        "notes": _Section(notes, "note", summary=f"Notes ({len(notes)})"),
    }
    top = [MARKER] * marker + [_verdict(report, len(fatal))]
    keep = {name: len(s.items) for name, s in sections.items()}

    def assemble(keep: dict[str, int]) -> str:
        return _assemble(top, header, sections, keep, limit)

    body = assemble(keep)
    for name in _DROP_ORDER:
        if len(body) <= limit:
            return body
        keep[name] = _most_that_fit(assemble, keep, name, limit)
        body = assemble(keep)
    return body if len(body) <= limit else ("\n".join(top) + "\n")[:limit]


def _most_that_fit(assemble: Callable[[dict[str, int]], str], keep: dict[str, int], name: str, limit: int) -> int:
    """The largest number of `name`'s items with which the body fits (0 if none does)."""
    if len(assemble({**keep, name: 0})) > limit:
        return 0
    lo, hi = 0, keep[name]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(assemble({**keep, name: mid})) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _assemble(top: list[str], header: str, sections: dict[str, _Section], keep: dict[str, int], limit: int) -> str:
    table = sections["table"]
    parts = [*top[:-1], top[-1] + "\n", table.render(keep["table"]) if keep["table"] else header + "\n"]
    left_out = [s.left_out.format(plural(s.dropped(keep[name]), s.noun))
                for name, s in sections.items() if s.dropped(keep[name])]
    if left_out:
        fit = "GitHub's comment limit" if limit == MAX_CHARS else "the limit"
        parts.append(f"_Left out to fit {fit} of {limit:,} characters: {'; '.join(left_out)}. "
                     "Run `curvelint compare --format html` for the full report._\n")
    parts += [sections[name].render(keep[name]) for name in ("errors", "findings", "fixes", "notes")]
    return "\n".join(p for p in parts if p).rstrip("\n") + "\n"


def _verdict(report: CompareReport, fatal: int) -> str:
    """`🔴 **curvelint compare: 1 worse, 3 same within noise of 4 pairs vs main**`."""
    counts = report.counts()
    label = report.pairs[0].comparison.base_label if report.pairs else "base"
    parts = [f"{counts[v]} {VERDICT_WORDS[v]}" for v in COUNT_ORDER if counts[v]]
    claims = [f"{', '.join(parts)} of {plural(len(report.pairs), 'pair')} vs {md(label)}" if report.pairs
              else "nothing compared"]
    if fatal:
        claims.append(f"{plural(fatal, 'path')} could not be read")
    icon = (VERDICT_ICON[WORSE] if counts[WORSE] or fatal else VERDICT_ICON[UNKNOWN] if counts[UNKNOWN]
            else VERDICT_ICON[BETTER] if counts[BETTER] else VERDICT_ICON[SAME])
    return f"{icon} **curvelint compare: {'; '.join(claims)}**"


# -- the table -----------------------------------------------------------------------------------


def _table_head(pairs: list[PairResult], monitors: set[str]) -> str:
    """The header names the monitored series when every pair is judged by the same one."""
    label = pairs[0].comparison.base_label if pairs else "base"
    best = f"best {md(next(iter(monitors)))}" if len(monitors) == 1 else "best"
    axes = {p.comparison.axis for p in pairs if p.comparison.axis}
    axis = axes.pop() if len(axes) == 1 else "epoch"
    cells = ["run", "verdict", f"{best} {md(label)} → HEAD (change, in noise units)", f"best at {axis}",
             f"{md(label)} curve", "HEAD curve", "findings"]
    return "| " + " | ".join(cells) + " |\n|" + "---|" * len(cells)


def noise_units(pair: PairResult) -> str:
    """`4.1× seed spread`: HEAD's best minus the baseline's against the seed spread (several
    BASE runs), else against the curve noise (one BASE run), as CMP001 weighs it."""
    c = pair.comparison
    assert c.head_best is not None and c.base_best is not None
    diff = abs(c.head_best.value - c.base_best.value)
    if c.seed_spread:
        return f"{diff / c.seed_spread:.1f}×{NBSP}seed{NBSP}spread"
    if c.curve_noise > 0:
        return f"{diff / c.curve_noise:.1f}×{NBSP}curve{NBSP}noise"
    return "no noise estimate"


def _best_cell(pair: PairResult, name_it: bool) -> str:
    c = pair.comparison
    if c.base_best is None or c.head_best is None:
        return "—"
    base, head = c.base_best.value, c.head_best.value
    sign = "+" if head >= base else "-"
    change = f"{sign}{pct((head - base) / abs(base))}" if base else "n/a"
    name = f"{md(c.name)} " if name_it else ""
    return f"{name}{num(base)}{NBSP}→{NBSP}{num(head)} ({change}, {noise_units(pair)})"


def _epochs_cell(pair: PairResult) -> str:
    c = pair.comparison
    if c.base_best is None or c.head_best is None or c.axis is None:
        return "—"
    return f"{c.base_best.epoch:,}{NBSP}→{NBSP}{c.head_best.epoch:,}"


def sparklines(pair: PairResult, width: int = SPARK_WIDTH) -> tuple[str, str]:
    """(BASE, HEAD) sparklines of the monitored series on one scale; the BASE one is the median
    seed's. "" for a side without the series."""
    c = pair.comparison
    if c.base_best is None:
        return "", ""
    base = c.base_profiles[c.base_bests.index(c.base_best)].values
    if c.head_profile is None:
        return shared_sparklines([base], width)[0], ""
    spark_base, spark_head = shared_sparklines([base, c.head_profile.values], width)
    return spark_base, spark_head


def _codes(findings: list[CompareFinding]) -> str:
    """`<code>CMP001</code> <code>CMP003</code>&nbsp;(GEN001)`: each rule once, with the lint
    rule a pathology finding is about."""
    seen: dict[str, str] = {}
    for f in findings:
        lint = f.evidence.get("lint_code")
        key = f"{f.code}/{lint}" if lint else f.code
        seen.setdefault(key, code(f.code) + (f"{NBSP}({md(str(lint))})" if lint else ""))
    return " ".join(seen.values())


def _row(pair: PairResult, name_it: bool) -> str:
    c = pair.comparison
    base, head = sparklines(pair)
    verdict = f"{VERDICT_ICON[pair.verdict]}{NBSP}{VERDICT_WORDS[pair.verdict].replace(' ', NBSP)}"
    cells = [md(c.id).replace("/", "/<wbr>"), verdict, _best_cell(pair, name_it), _epochs_cell(pair),
             code(base) if base else "—", code(head) if head else "—", _codes(pair.findings) or "—"]
    return "| " + " | ".join(cells) + " |"


# -- the collapsed detail ----------------------------------------------------------------------------


def _finding_item(f: CompareFinding) -> str:
    return f"- {ICON[f.severity]} {code(f.code)} {md(f.rule)}: {prose(f.message)}"


def _pair_details(pair: PairResult) -> str:
    """A pair's block in the findings: its verdict and files, the best line unless a finding
    already says it, then each finding in full."""
    c = pair.comparison
    base = ", ".join(code(display_path(r.sources[0])) for r in c.base if r.sources)
    head = code(display_path(c.head.sources[0])) if c.head.sources else ""
    files = f" (HEAD {head} vs {md(c.base_label)} {base})" if head and base else ""
    lines = [f"**{VERDICT_ICON[pair.verdict]} {md(c.id)}: {VERDICT_WORDS[pair.verdict]}**{files}", ""]
    best = c.best_line()
    if best and not any(f.message.startswith(best) for f in pair.findings):
        lines += [prose(best), ""]
    lines += [_finding_item(f) for f in pair.findings]
    return "\n".join(lines) + "\n"


def _fixes(pairs: list[PairResult]) -> list[str]:
    """One entry per rule (a pathology rule: per lint rule it reports), worst severity first,
    with its remediation once and the pairs it was found on."""
    by_rule: dict[tuple[str, str], list[tuple[CompareFinding, PairResult]]] = defaultdict(list)
    for pair in pairs:
        for f in pair.findings:
            by_rule[(f.code, str(f.evidence.get("lint_code", "")))].append((f, pair))
    entries = []
    for (rule_code, lint), found in sorted(by_rule.items(), key=lambda kv: (-kv[1][0][0].severity.rank, kv[0])):
        first = found[0][0]
        about = f": {md(lint)} {md(str(first.evidence.get('lint_rule', '')))}" if lint else ""
        where = ", ".join(dict.fromkeys(md(p.comparison.id) for _, p in found))
        head = f"**{ICON[first.severity]} {code(rule_code)} {md(first.rule)}{about}** ({where})"
        texts = list(dict.fromkeys(f.remediation for f, _ in found if f.remediation))
        entries.append("\n".join([head, "", *(prose(t) for t in texts), ""]))
    return entries


def _notes(report: CompareReport, pairs: list[PairResult]) -> list[str]:
    """Each pair's notes, one item per distinct note naming its pairs; unpaired runs; the
    problems met reading the logs that did not stop the comparison."""
    by_note: dict[str, list[str]] = defaultdict(list)
    for pair in pairs:
        for note in pair.comparison.notes:
            by_note[note].append(pair.comparison.id)
    items = [f"- {prose(note)} ({', '.join(md(i) for i in ids)})" for note, ids in by_note.items()]
    if report.unpaired_base:
        items.append(f"- BASE runs no HEAD run pairs with: {', '.join(md(i) for i in report.unpaired_base)}")
    if report.unpaired_head:
        items.append(f"- HEAD runs no BASE run pairs with: {', '.join(md(i) for i in report.unpaired_head)}")
    items += [_error_item(e) for e in report.errors if not e.fatal]
    return items


def _error_item(e: LintError) -> str:
    return f"- {code(display_path(e.path))}: {md(e.message)}"
