"""`curvelint compare BASE... HEAD`: the command line of `curvelint.compare`.

    curvelint compare runs/main runs/pr               # one BASE, one HEAD
    curvelint compare seed0/ seed1/ seed2/ --head pr/  # three BASE seeds of one config
    curvelint compare main.json --head a/ --head b/    # several HEAD paths, linted as one side
    curvelint compare main/ pr/ --pair baseline=wider  # pair runs whose ids differ
    curvelint compare main/ pr/ --format markdown -o compare.md

`--format` (alias `--output-format`) takes every format `curvelint check` has
(`curvelint.compare_formats.FORMATS`); `-o FILE` writes there instead of stdout; `--max-chars`
caps the markdown body.

Exit codes: 0 when nothing `--fail-on` names is there, 1 when it is, 2 when the inputs cannot
be read or nothing pairs. `--fail-on` takes a verdict or a severity:

- `worse` (default) fails on a pair whose verdict is `worse` and on a pair that could not be
  compared (no shared monitored series: a gate that measured nothing must not pass);
- `different` also on `better`; `never` only on errors (exit 2);
- `error`, `warning` or `info` fail when a compare finding at or above that severity exists,
  as `curvelint check --fail-on` does with lint findings: CMP001 best-worse is a warning, so
  `warning` fails on a worse best, `info` also on a better one (CMP006), and `error` only on a
  rule set to error. A pair that could not be compared fails these too, as it does `worse`.
"""

from __future__ import annotations

import argparse
import os
import json
import sys
from typing import Any

from curvelint.compare import BETTER, UNKNOWN, WORSE, Comparer, CompareReport, parse_pair
from curvelint.compare_formats import FORMATS, render
from curvelint.config import ConfigError
from curvelint.model import Severity

FAIL_ON = {"worse": {WORSE, UNKNOWN}, "different": {WORSE, BETTER, UNKNOWN}, "never": set()}
#: `--fail-on` thresholds on the findings' severity, mildest last (as `curvelint check` lists them).
SEVERITIES = ("error", "warning", "info")


def parser() -> argparse.ArgumentParser:
    formats = "\n".join(f"  {name:<9} {text}" for name, text in FORMATS.items())
    p = argparse.ArgumentParser(prog="curvelint compare", formatter_class=argparse.RawDescriptionHelpFormatter, description=(
        "Did a training change make the runs worse, or just different? Pairs BASE and HEAD runs by id and "
        "judges each pair against the run-to-run noise (give several BASE paths: seeds of one config)."),
        epilog=f"output formats:\n{formats}\n\nexit status: 0 when nothing --fail-on names is there, 1 when it is, "
               "2 when an input cannot be read or nothing pairs.\n--fail-on worse (default): a worse pair or one that "
               "could not be compared; different: also a better one;\nerror|warning|info: a compare finding at or "
               "above that severity, or a pair that could not be compared; never.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="BASE... HEAD, or only BASE paths with --head; "
                   "log directories, URLs, or JSON reports that carry their curves")
    p.add_argument("--head", action="append", default=None, metavar="PATH",
                   help="a HEAD path (repeatable: several are linted together as one side, as `curvelint check "
                        "PATH...` lints them); then every positional path is a BASE run")
    p.add_argument("--pair", action="append", default=[], metavar="BASE_RUN=HEAD_RUN",
                   help="pair these run ids (repeatable); runs with equal ids pair by themselves")
    p.add_argument("--format", "--output-format", dest="format", choices=tuple(FORMATS), default=None,
                   metavar="FORMAT", help="one of the output formats below (default: text; github under GitHub Actions, "
                                          "as for curvelint check)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--max-chars", type=int, default=None, metavar="N",
                   help="markdown: the body's limit in characters (default 65,536, GitHub's comment limit); "
                        "detail is dropped to fit, never the verdict line or the table header")
    p.add_argument("--marker", action="store_true",
                   help="markdown: start with the sticky-comment marker <!-- curvelint --> (for a comment that "
                        "holds the comparison alone; leave it out when it follows a lint report)")
    p.add_argument("--fail-on", choices=(*FAIL_ON, *SEVERITIES), default="worse",
                   help="a verdict (worse, different, never) or a severity (error, warning, info) that exits 1 "
                        "(default worse: a worse pair, or one that could not be compared)")
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


def exit_code(report: CompareReport, fail_on: str) -> int:
    """2 on a read error or when nothing paired; else 1 when `fail_on` (a verdict set of
    `FAIL_ON`, or a severity of `SEVERITIES`) finds something, 0 when not."""
    if any(e.fatal for e in report.errors) or not report.pairs:
        return 2
    if fail_on in SEVERITIES:
        threshold = Severity(fail_on).rank
        unmeasured = any(p.verdict == UNKNOWN for p in report.pairs)  # a gate that measured nothing must not pass
        return 1 if unmeasured or any(f.severity.rank >= threshold for p in report.pairs for f in p.findings) else 0
    return 1 if any(p.verdict in FAIL_ON[fail_on] for p in report.pairs) else 0


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.head:
        base, head = args.paths, args.head
    elif len(args.paths) >= 2:
        base, head = args.paths[:-1], [args.paths[-1]]
    else:
        print("curvelint compare: error: give BASE and HEAD (or BASE... --head HEAD)", file=sys.stderr)
        return 2
    if args.max_chars is not None and args.max_chars < 1:
        print(f"curvelint compare: error: --max-chars {args.max_chars}: must be at least 1", file=sys.stderr)
        return 2
    try:
        from curvelint.engine import resolve_config

        config = resolve_config(list(base), args.config, args.isolated)
        comparer = Comparer.create(config, args.select, args.ignore, parse_options(args.option), args.base_name)
        report = comparer.compare_paths(base, head, [parse_pair(p) for p in args.pair])
    except (ConfigError, ValueError) as exc:  # a bad config, --pair or --option: the message is the point
        print(f"curvelint compare: error: {exc}", file=sys.stderr)
        return 2
    rules = {code: comparer.host.compare_rules[code] for code in comparer.enabled}
    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    text = render(report, fmt, rules=rules, limit=args.max_chars, marker=args.marker)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"curvelint compare: error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    return exit_code(report, args.fail_on)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
