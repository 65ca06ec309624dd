"""`curvelint compare BASE... HEAD`: the command line of `curvelint.compare`.

    curvelint compare runs/main runs/pr               # one BASE, one HEAD
    curvelint compare seed0/ seed1/ seed2/ --head pr/  # three BASE seeds of one config
    curvelint compare main/ pr/ --pair baseline=wider  # pair runs whose ids differ

Exit codes: 0 when no pair's verdict is one `--fail-on` names, 1 when one is, 2 when the
inputs cannot be read or nothing pairs. `--fail-on worse` (default) fails on `worse` and on
pairs that could not be compared (no shared monitored series: a gate that measured nothing
must not pass); `different` also on `better`; `never` only on errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from curvelint.config import ConfigError
from curvelint.compare import BETTER, SAME, UNKNOWN, VERDICT_WORDS, WORSE, Comparer, CompareReport, parse_pair

FAIL_ON = {"worse": {WORSE, UNKNOWN}, "different": {WORSE, BETTER, UNKNOWN}, "never": set()}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="curvelint compare", description=(
        "Did a training change make the runs worse, or just different? Pairs BASE and HEAD runs by id and "
        "judges each pair against the run-to-run noise (give several BASE paths: seeds of one config)."))
    p.add_argument("paths", nargs="+", metavar="PATH", help="BASE... HEAD, or only BASE paths with --head; "
                   "log directories, URLs, or JSON reports that carry their curves")
    p.add_argument("--head", help="the HEAD path (then every positional path is a BASE run)")
    p.add_argument("--pair", action="append", default=[], metavar="BASE_RUN=HEAD_RUN",
                   help="pair these run ids (repeatable); runs with equal ids pair by themselves")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--fail-on", choices=tuple(FAIL_ON), default="worse",
                   help="verdicts that exit 1 (default worse: worse or not comparable)")
    p.add_argument("--select", action="append", default=None, metavar="CODE", help="compare rules to run (default all)")
    p.add_argument("--ignore", action="append", default=[], metavar="CODE", help="compare rules to skip")
    p.add_argument("--option", action="append", default=[], metavar="CODE.NAME=VALUE",
                   help="a compare rule's option, e.g. CMP001.k_seed=4 (value read as JSON, else text)")
    p.add_argument("--base-name", default="base", help="what BASE is called in messages (e.g. main)")
    p.add_argument("--config", help="config file (lint settings of both sides, [rules.CMPxxx] tables)")
    p.add_argument("--isolated", action="store_true", help="ignore config files")
    return p


def parse_options(items: list[str]) -> dict[str, dict[str, Any]]:
    """`CMP001.k_seed=4` -> {"CMP001": {"k_seed": 4}}."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        rule, dot, option = name.partition(".")
        if not sep or not dot or not rule or not option:
            raise ValueError(f"--option {item!r}: expected CODE.NAME=VALUE")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        out.setdefault(rule, {})[option] = value
    return out


def render_text(report: CompareReport) -> str:
    lines = []
    for pair in report.pairs:
        lines.append(pair.verdict_line())
        for f in pair.findings:
            lines.append(f"  {f.code} {f.rule} [{f.severity.value}, {f.effect or 'info'}] {f.message}")
        lines.extend(f"  note: {n}" for n in pair.comparison.notes)
    if report.unpaired_base or report.unpaired_head:
        lines.append(f"unpaired: BASE {', '.join(report.unpaired_base) or '-'}; HEAD {', '.join(report.unpaired_head) or '-'}")
    for e in report.errors:
        lines.append(f"error: {e.path}: {e.message}")
    counts = report.counts()
    parts = [f"{counts[v]} {VERDICT_WORDS[v]}" for v in (WORSE, SAME, BETTER, UNKNOWN) if counts[v]]
    lines.append(f"{len(report.pairs)} pair{'s' if len(report.pairs) != 1 else ''}" + (f": {', '.join(parts)}" if parts else ""))
    return "\n".join(lines) + "\n"


def exit_code(report: CompareReport, fail_on: str) -> int:
    if any(e.fatal for e in report.errors) or not report.pairs:
        return 2
    return 1 if any(p.verdict in FAIL_ON[fail_on] for p in report.pairs) else 0


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.head is not None:
        base, head = args.paths, args.head
    elif len(args.paths) >= 2:
        base, head = args.paths[:-1], args.paths[-1]
    else:
        print("curvelint compare: error: give BASE and HEAD (or BASE... --head HEAD)", file=sys.stderr)
        return 2
    try:
        from curvelint.engine import resolve_config

        config = resolve_config(list(base), args.config, args.isolated)
        comparer = Comparer.create(config, args.select, args.ignore, parse_options(args.option), args.base_name)
        report = comparer.compare_paths(base, head, [parse_pair(p) for p in args.pair])
    except (ConfigError, ValueError) as exc:  # a bad config, --pair or --option: the message is the point
        print(f"curvelint compare: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(render_text(report))
    return exit_code(report, args.fail_on)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
