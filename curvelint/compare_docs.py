"""docs/compare.md: `curvelint compare`, its noise model, JSON output and comparison rules,
rendered from the rule classes so the page cannot drift from the code.

    python3 -m curvelint.compare_docs -o docs/compare.md
"""

from __future__ import annotations

import argparse
import sys
from typing import Iterable, Sequence

from curvelint.catalogue import cell, rule_body
from curvelint.compare import CompareRule

REGENERATE = "python3 -m curvelint.compare_docs -o docs/compare.md"

INTRO = f"""# `curvelint compare`

<!-- Generated from curvelint/compare_docs.py and the comparison rule classes; do not edit.
Regenerate with `{REGENERATE}`. -->

The question a reviewer asks of a training change is comparative: did it get worse, or just
different?

    curvelint compare runs/main runs/pr                 # BASE HEAD
    curvelint compare seed0/ seed1/ seed2/ --head pr/   # several BASE runs: seeds of one config
    curvelint compare main/ pr/ --pair baseline=wider   # pair runs whose ids differ
    curvelint compare main-report.json pr/              # an earlier JSON report that carries curves
    curvelint compare main.json --head a/ --head b/     # several HEAD paths: one side
    curvelint compare main/ pr/ --format markdown -o compare.md

Runs are paired by id (each BASE path that holds the id adds one baseline run), or by
`--pair BASE_RUN=HEAD_RUN`; when no id is shared and every side holds one run, those two pair.
Each pair is judged by the comparison rules below (plugins like any other: the
`curvelint_compare_rules` hook), on the series the lint rules judge a run by (the config's
`monitor`, else `val_loss`, else the first validation metric whose name tells its direction).

## Verdict

Per pair: **worse** when any finding says HEAD got worse, else **better** when any says it got
better, else **same within noise**; **not comparable** when HEAD does not log the baseline's
monitored series and no rule found anything. Exit code: 1 when a pair's verdict is one
`--fail-on` names (`worse`, the default: worse or not comparable; `different`: also better;
`never`), or with `--fail-on error|warning|info` when a compare finding at or above that
severity exists (as `curvelint check --fail-on`), or a pair could not be compared (a gate that
measured nothing must not pass); 2 when an input cannot be read or nothing pairs, else 0.

Several `--head PATH` are one HEAD side, linted together as `curvelint check PATH...` lints
them, so their run ids are those of a BASE report written by `check PATH... --with-curves`.

## Output formats

`--format` (alias `--output-format`) takes every format of `curvelint check`; `-o FILE` writes
to a file. `markdown` is the PR comment: the verdict line, one table of the pairs (worse first:
best of each side, change in percent and in noise units, a sparkline of each side on one scale,
finding codes), the detail collapsed; no `<!-- curvelint -->` marker unless `--marker`, so it
can follow the lint report in one sticky comment; `--max-chars N` caps it (default 65,536)
without ever dropping the verdict line or the table header. `html` overlays each pair's BASE
runs (grey) and HEAD (coloured) on one axis. `concise`, `github`, `gitlab`, `sarif` and `rdjson`
are the lint reporters, each CMP finding placed on the HEAD run's log file (`github` adds a
notice with every verdict, `sarif` puts the verdicts in `properties`); `junit` has a test case
per pair, failed when worse, skipped when not comparable.

## Noise

- **Seed spread**: with several BASE runs, the sample standard deviation of their best values.
  The baseline's best is their median.
- **Curve noise**: the epoch-to-epoch scatter of the monitored series (`stats.Profile.noise`),
  BASE and HEAD combined (hypot). With one BASE run it is all there is, and it is usually far
  smaller than the seed spread (15-20x on the bundled trainer's 4-class blobs): give seeds.

A best within max(`k-seed` x seed spread, `k-curve` x curve noise, `min-relative` x |best|) of
the baseline's is the same within noise. Every best line states the difference against both:
`best val_loss 0.587 at epoch 19 vs 0.424 at epoch 9 on base (median of 3): +39%, 24.7x the seed
spread of 3 base runs, 83.9x the curve noise`.

## JSON (`--format json`, version 1)

    {{"version": 1,
     "pairs": [{{"id", "verdict": "worse" | "same" | "better" | "unknown", "summary": "<verdict line>",
                "base": [{{"id", "sources"}}], "head": {{"id", "sources"}}, "axis", "monitor",
                "best": {{"monitor", "head_best", "head_epoch", "base_best", "base_epoch", "base_bests",
                         "change", "seed_spread", "curve_noise"}} | null,
                "notes": ["..."],
                "findings": [{{"code", "rule", "severity", "effect": "worse" | "better" | null,
                              "message", "remediation", "series", "epochs", "evidence"}}]}}],
     "unpaired": {{"base": [ids], "head": [ids]}},
     "errors": [{{"path", "message"}}],
     "summary": {{"pairs", "worse", "same", "better", "unknown"}}}}

A lint report can carry its runs' curves (`curvelint.report_curves.report_dict_with_curves`:
each `runs[i]` gains `axis` and `curves`) so that it can be a BASE later.

## Options

Set on the command line as `--option CMP001.k_seed=4`, or in the config under
`[tool.curvelint.rules.CMP001]` (or the slug), like a lint rule's.

## Rules

| code | slug | severity | effect | summary |
|---|---|---|---|---|
"""


def render(rules: Iterable[type[CompareRule]]) -> str:
    rules = list(rules)
    out = [INTRO.rstrip("\n")]
    out += [f"| {r.code} | {r.slug} | {r.severity.value} | {r.effect or '-'} | {cell(r.summary)} |" for r in rules]
    for rule in rules:
        out += ["", f"### {rule.code} {rule.slug}", "", f"**{rule.summary}**", "",
                f"- Default severity: `{rule.severity.value}`; moves the verdict to: {rule.effect or 'nothing'}"]
        out += rule_body(rule, "####")
    return "\n".join(out) + "\n"


def builtin_compare_rules() -> tuple[type[CompareRule], ...]:
    from curvelint.compare_rules import BUILTIN_COMPARE_RULES

    return tuple(BUILTIN_COMPARE_RULES)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m curvelint.compare_docs", description="Write docs/compare.md.")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    args = p.parse_args(argv)
    text = render(builtin_compare_rules())
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
