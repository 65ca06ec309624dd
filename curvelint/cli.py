"""The `curvelint` command. Ruff-like: `curvelint check [PATH ...]` (a bare `curvelint PATH` is the
same), `curvelint rule CODE`, `curvelint rules`, `curvelint plugins`, `curvelint train`,
`curvelint comment`.

A first argument that names a command and also exists here as a file or directory, given alone
(`curvelint train` inside a Keras run directory, which has `train/`), is refused with exit 2 and
both spellings: guessing either way would surprise someone. With more arguments it is the command.

Exit codes: 0 clean, 1 findings at or above `--fail-on` (default `error`), 2 usage, config or
I/O error (a missing path, no training log under the paths, no rules loaded). Only argparse is
imported up front; the engine loads when there is work to do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import Sequence

from curvelint._version import __version__
from curvelint.output_formats import MIN_SEVERITY

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
#: Each command's arguments and its line in `--help`, in the order `--help` lists them.
COMMANDS = {
    "check": ("[PATH ...]", "lint every run under the paths (default: .); the default command: "
                            "`curvelint PATH` is `curvelint check PATH`"),
    "rule": ("CODE|SLUG", "a lint or comparison rule's documentation and options (--all: every rule)"),
    "rules": ("", "every rule: code, slug, severity, summary"),
    "plugins": ("", "loaded plugins and what they provide"),
    "train": ("SCENARIO", "train the reference runs (needs the [train] extra)"),
    "comment": ("[PATH ...]", "create or update the pull-request comment"),
    "compare": ("BASE... HEAD", "did a training change make the runs worse, or just different? (seeds as several BASE)"),
    "download-artifact": ("NAME", "fetch the base branch's newest workflow artifact NAME (the BASE of compare in CI)"),
    "watch": ("[PATH ...]", "lint the logs again as they grow, printing new, changed and resolved findings"),
}
SUBCOMMANDS = tuple(COMMANDS)
#: How to run each command when its name alone is ambiguous with a path here.
_COMMAND_SPELLING = {"rule": "curvelint rule --all", "rules": "curvelint rules --format text",
                     "plugins": "curvelint plugins --format text", "train": "curvelint train --list",
                     "comment": "curvelint comment .", "compare": "curvelint compare BASE HEAD",
                     "download-artifact": "curvelint download-artifact NAME --branch main",
                     "watch": "curvelint watch ."}
#: Width of the generated `--help` tables (argparse itself wraps at the terminal's).
_HELP_WIDTH = min(100, shutil.get_terminal_size().columns - 2)


def _help_table(title: str, rows: list[tuple[str, str]]) -> str:
    """`title:` and one `  name  description` line per row, descriptions wrapped under each other."""
    import textwrap

    width = max(len(name) for name, _ in rows) + 2
    lines = [f"{title}:"]
    for name, text in rows:
        lines.append(textwrap.fill(text, _HELP_WIDTH, initial_indent=f"  {name:<{width}}",
                                   subsequent_indent=" " * (width + 2), break_on_hyphens=False))
    return "\n".join(lines)


def _epilog() -> str:
    """The commands and output formats after `--help`'s options, generated from `COMMANDS` and the
    built-in format registry (`curvelint.output_formats`, which imports nothing: `--help` stays fast)."""
    from curvelint.output_formats import ALIASES, BUILTIN_FORMATS

    commands = [(f"{name} {args}".strip(), text) for name, (args, text) in COMMANDS.items()]
    formats = [(name, text) for name, (_, text) in BUILTIN_FORMATS.items()]
    formats += [(alias, f"same as {target}") for alias, target in ALIASES.items()]
    return "\n\n".join([
        _help_table("commands", commands),
        "A command name given alone that is also a file or directory here (`curvelint train` in a Keras\n"
        "run directory) is refused: lint it with `curvelint check train` or `curvelint ./train`.",
        _help_table("output formats (--output-format; plugins may add more: `curvelint plugins`)", formats),
        "exit status: 0 clean, 1 findings at or above --fail-on, 2 usage, config or I/O error (a missing\n"
        "path, no training log under the paths: set allow-empty = true in the config to exit 0 then).",
    ])


def _positive(text: str) -> int:
    """An argparse type: an integer above 0."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def _csv_list(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [item.strip() for v in values for item in v.split(",") if item.strip()]


def _check_parser(prog: str = "curvelint") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        usage=f"{prog} {'' if prog.endswith(' check') else '[check] '}[PATH ...] [options]",
        description="Lint deep-learning training curves: Keras history JSON, CSVLogger, TensorBoard event\n"
                    "files, Lightning metrics.csv, Hugging Face trainer_state.json.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories to lint (default: .)")
    p.add_argument("--version", action="version", version=f"curvelint {__version__}")
    _add_lint_options(p)
    out = p.add_argument_group("output")
    out.add_argument("--output-format", "--format", dest="format", metavar="FORMAT",
                     help="one of the output formats listed below (default: text; github under GitHub Actions); "
                          "config key: format")
    out.add_argument("-q", "--quiet", action="count", default=0,
                     help="print the findings and nothing else: no summary line, no progress bar; "
                          "-qq prints nothing (the exit status still tells)")
    out.add_argument("--min-severity", choices=MIN_SEVERITY, metavar="{info,warning,error}",
                     help="hide findings below this severity (default: info, all shown; config key: min-severity); "
                          "the summary says how many were hidden and the exit status still follows --fail-on")
    out.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    out.add_argument("--statistics", action="store_true", help="print a count per rule instead of each finding")
    out.add_argument("--with-curves", action="store_true",
                     help="json: put every run's curves in the report, so `curvelint compare` can take it as BASE")
    out.add_argument("--plot", metavar="DIR", help="also write one PNG per run into DIR (needs the [plots] extra)")
    out.add_argument("--max-chars", type=_positive, metavar="N",
                     help="markdown: at most N characters, detail dropped first (default: 65,536, GitHub's comment limit)")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="lint log directories in N processes (default: one per CPU once the logs add up to 8 MB); "
                        "output is the same as with 1")
    out.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour (default: auto, only on a terminal, off with NO_COLOR)")
    ex = p.add_argument_group("exit status")
    ex.add_argument("--fail-on", choices=("error", "warning", "info", "never"), help="lowest severity that makes the exit status 1 (default: error)")
    ex.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings (2 still means an error)")
    base = p.add_argument_group("baseline of known findings (adopting curvelint on old logs)")
    which = base.add_mutually_exclusive_group()
    which.add_argument("--baseline", metavar="FILE",
                       help="hide the findings recorded in FILE (counts per run and rule) and fail only on new ones; "
                            "the summary says how many were hidden and which entries no longer occur "
                            "(config key: baseline)")
    which.add_argument("--no-baseline", action="store_true", help="ignore the configured baseline: show every finding")
    base.add_argument("--write-baseline", metavar="FILE",
                      help="record every current finding (all severities) in FILE, print nothing else, exit 0; "
                           "run ids are relative to the linted paths, so lint the same paths with --baseline")
    return p


def _add_lint_options(p: argparse.ArgumentParser) -> None:
    """Rule selection and config flags, shared by `check` and `comment`."""
    sel = p.add_argument_group("rule selection (codes, code prefixes such as GEN, slugs, or ALL; comma-separated or repeated)")
    sel.add_argument("--select", action="append", metavar="RULES", help="only these rules (replaces the config's selection)")
    sel.add_argument("--extend-select", action="append", metavar="RULES", help="these rules in addition")
    sel.add_argument("--ignore", action="append", metavar="RULES", help="not these rules")
    cfg = p.add_argument_group("configuration")
    cfg.add_argument("--config", metavar="FILE", help="use this config file instead of searching upward from the first path")
    cfg.add_argument("--isolated", action="store_true", help="ignore every config file")


def _linter(args: argparse.Namespace):
    """(config, linter) from the shared flags; raises ConfigError, also when no rule loaded."""
    from curvelint.config import ConfigError, Selection
    from curvelint.engine import Linter, resolve_config

    config = resolve_config(args.paths, args.config, args.isolated)
    cli = Selection(select=_csv_list(args.select), extend_select=_csv_list(args.extend_select) or [],
                    ignore=_csv_list(args.ignore) or [])
    linter = Linter.create(config, cli)
    if linter.host.fatal_errors:
        raise ConfigError("\n".join(_error_text(e) for e in linter.host.fatal_errors))
    return config, linter


def _error_text(e) -> str:
    """`path: message`, or the message alone when it already names the path."""
    return e.message if e.path and e.path in e.message else f"{e.path}: {e.message}"


def _ambiguous(name: str) -> int:
    kind = "directory" if os.path.isdir(name) else "file"
    return _error(f"{name!r} is both a curvelint command and a {kind} here, so curvelint runs neither:\n"
                  f"  to lint the {kind}: curvelint check {name}   (or: curvelint ./{name})\n"
                  f"  to run the command, give it an argument: {_COMMAND_SPELLING[name]}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "check"
    if argv and argv[0] in SUBCOMMANDS:
        if len(argv) == 1 and argv[0] != "check" and os.path.lexists(argv[0]):
            return _ambiguous(argv[0])
        command, argv = argv[0], argv[1:]
        prog = f"curvelint {command}"
    else:
        prog = "curvelint"
    try:
        if command == "rule":
            return _rule(argv)
        if command == "rules":
            return _rules(argv)
        if command == "train":
            return _train(argv)
        if command == "comment":
            return _comment(argv)
        if command == "plugins":
            return _plugins(argv)
        if command == "download-artifact":
            return _download_artifact(argv)
        if command == "watch":
            from curvelint.watch import main as watch_main

            return watch_main(argv)
        if command == "compare":
            from curvelint.compare_cli import main as compare_main

            return compare_main(argv)
        return _check(argv, prog)
    except _NoRules as exc:
        return _error(str(exc))
    except BrokenPipeError:  # `curvelint logs | head`
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _error(message: str) -> int:
    print(f"curvelint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _use_color(choice: str, stream) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _check(argv: list[str], prog: str = "curvelint") -> int:
    args = _check_parser(prog).parse_args(argv)
    from curvelint.config import ConfigError
    from curvelint.model import Report, Severity

    try:
        config, linter = _linter(args)
    except ConfigError as exc:
        return _error(str(exc))
    from curvelint.config import did_you_mean
    from curvelint.output_formats import ALIASES
    from curvelint.reporters.text import DEFAULT_WIDTH, TerminalContext

    # under GitHub Actions, annotations are the natural default (unless a format was chosen)
    auto = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    fmt = args.format or config.format or auto
    fmt = ALIASES.get(fmt, fmt)
    reporter = linter.host.reporters.get(fmt)
    if reporter is None:
        known = [*linter.host.reporters, *ALIASES]
        where = "--output-format" if args.format else f"{config.path}: format"
        return _error(f"unknown {where} {fmt!r}{did_you_mean(fmt, known)} "
                      f"(available: {', '.join(sorted(known))})")
    baseline = None
    baseline_path = None if args.no_baseline else args.baseline or config.baseline
    if baseline_path and not args.write_baseline:  # a bad baseline fails before the linting, not after
        from curvelint.baseline import load as load_baseline

        try:
            baseline = load_baseline(baseline_path)
        except ConfigError as exc:
            return _error(str(exc))

    with _progress_bar(enabled=not args.quiet) as progress:
        report = linter.lint_paths(args.paths, progress, jobs=None if args.jobs is None else max(1, args.jobs))
    linter.require_logs(report, args.paths)
    if args.write_baseline:
        return _write_baseline(report, args.write_baseline, args.quiet)
    known = None
    if baseline is not None:  # from here on the report holds the new findings only: shown, plotted, exit status
        from curvelint.baseline import apply as apply_baseline
        from curvelint.reporters.base import display_path

        report, known = apply_baseline(report, baseline, display_path(baseline.path))
        if known.mismatch() and not args.quiet:
            print(f"curvelint: warning: {known.mismatch()}", file=sys.stderr)

    stream = sys.stdout
    min_severity = args.min_severity or config.min_severity
    shown, hidden = _at_least(report, min_severity)
    fatal = [e for e in report.errors if e.fatal]
    # fatal errors go to stderr, once; on stdout only what was linted (nothing, or the runs)
    stderr_only = bool(fatal) and fmt in _TERMINAL_FORMATS and not args.output
    if stderr_only:
        shown = Report(runs=shown.runs, findings=shown.findings, errors=[e for e in shown.errors if not e.fatal])
    width = DEFAULT_WIDTH if args.output else max(_MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    from curvelint.plot import PlotUnavailable

    try:
        with _progress_bar("rendering", "runs", min_total=2, enabled=fmt == "html" and not args.quiet) as rendering:
            ctx = TerminalContext(color=False if args.output else _use_color(args.color, stream),
                                  statistics=args.statistics, rules=linter.host.rules, progress=rendering,
                                  with_curves=args.with_curves, max_chars=args.max_chars,
                                  width=width, quiet=args.quiet > 0, min_severity=min_severity, hidden=hidden,
                                  baseline=known)
            text = "" if stderr_only and not shown.runs else reporter.render(shown, ctx)
        if args.plot:
            _write_plots(report, args.plot)
    except PlotUnavailable as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write plots to {args.plot}: {exc.strerror}")
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            return _error(f"cannot write {args.output}: {exc.strerror}")
    elif text and args.quiet < 2:
        stream.write(text)
        stream.flush()

    if fatal:
        if not text and stderr_only:  # nothing on stdout: the warnings go with the errors
            for e in shown.errors:
                print(f"curvelint: warning: {_error_text(e)}", file=sys.stderr)
        for e in fatal:
            print(f"curvelint: error: {_error_text(e)}", file=sys.stderr)
        return EXIT_ERROR
    fail_on = args.fail_on or config.fail_on or "error"
    if args.exit_zero or fail_on == "never":
        return EXIT_OK
    worst = report.worst()
    return EXIT_FINDINGS if worst is not None and worst.rank >= Severity(fail_on).rank else EXIT_OK


def _write_baseline(report, path: str, quiet: int) -> int:
    """`--write-baseline`: record every finding and say how many on stderr. Nothing is written
    when a path could not be linted: that baseline would lack the runs under it."""
    from curvelint.baseline import write
    from curvelint.config import ConfigError
    from curvelint.model import plural

    fatal = [e for e in report.errors if e.fatal]
    for e in report.errors:
        if quiet < 2 or e.fatal:
            print(f"curvelint: {'error' if e.fatal else 'warning'}: {_error_text(e)}", file=sys.stderr)
    if fatal:
        return _error(f"baseline {path} not written: {plural(len(fatal), 'error')} above")
    try:
        findings, runs = write(report, path)
    except ConfigError as exc:
        return _error(str(exc))
    if quiet < 2:
        print(f"wrote {plural(findings, 'finding')} in {plural(runs, 'run')} to {path}", file=sys.stderr)
    return EXIT_OK


#: Formats for a person at a terminal: a fatal error goes to stderr only, not into the report too.
_TERMINAL_FORMATS = ("text", "concise")
#: Narrower terminals still get lines this wide: a hanging indent needs room after it.
_MIN_WIDTH = 40


def _at_least(report, min_severity: str | None):
    """(the report without findings below `min_severity`, how many of each severity were left
    out); the exit status is computed from the whole report, not from this one."""
    from curvelint.model import Report, Severity

    if min_severity is None:
        return report, {}
    floor = Severity(min_severity).rank
    kept = [f for f in report.findings if f.severity.rank >= floor]
    hidden = {s.value: 0 for s in Severity if s.rank < floor}
    for f in report.findings:
        if f.severity.rank < floor:
            hidden[f.severity.value] += 1
    return Report(runs=report.runs, findings=kept, errors=report.errors), hidden


class _progress_bar:
    """A transient rich progress bar on stderr (`label  ━━━━  done/total  unit`), only when
    stderr is a terminal, `enabled` (not under -q), and `total` reaches `min_total`: below it,
    the wait is not noticeable."""

    def __init__(self, label: str = "linting", unit: str = "log dirs", min_total: int = 20, enabled: bool = True):
        self.label, self.unit, self.min_total, self.enabled = label, unit, min_total, enabled

    def __enter__(self):
        self._bar = None
        return self if self.enabled and sys.stderr.isatty() else None

    def __call__(self, done: int, total: int) -> None:
        if total < self.min_total:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TextColumn(self.unit),
                                 console=Console(stderr=True), transient=True)
            self._task = self._bar.add_task("lint", total=total)
            self._bar.start()
        self._bar.update(self._task, completed=done)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()


def _write_plots(report, directory: str) -> None:
    from curvelint.plot import plot_run, safe_filename

    os.makedirs(directory, exist_ok=True)
    taken: set[str] = set()
    for run in report.runs:
        name = safe_filename(run.id, taken)
        with open(os.path.join(directory, f"{name}.png"), "wb") as fh:
            fh.write(plot_run(run, [f for f in report.findings if f.run == run.id]))


class _NoRules(Exception):
    """No built-in rule loaded: every listing or lint would be empty."""


def _load_rules():
    from curvelint.plugins import PluginHost

    host = PluginHost.load()
    if host.fatal_errors:
        raise _NoRules("\n".join(_error_text(e) for e in host.fatal_errors))
    return host


def _rule(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="curvelint rule", description="Show a lint or comparison rule's documentation.")
    p.add_argument("name", nargs="?", metavar="CODE|SLUG")
    p.add_argument("--all", action="store_true", help="every rule, one after another (lint rules, then comparison rules)")
    args = p.parse_args(argv)
    if not args.name and not args.all:
        p.error("give a rule code or slug, or --all")
    host = _load_rules()
    if args.all:
        rules = [host.rules[c] for c in sorted(host.rules)] + [host.compare_rules[c] for c in sorted(host.compare_rules)]
    else:
        rule = host.rule_by_name(args.name)
        if rule is None:
            every = {**host.rules, **host.compare_rules}
            return _error(_no_such_rule(args.name, {c: r.slug for c, r in every.items()}))
        rules = [rule]
    print("\n\n".join(describe_rule(r, host) for r in rules))
    return EXIT_OK


def _no_such_rule(name: str, rules: dict[str, str]) -> str:
    """Why `curvelint rule NAME` found nothing, and what was probably meant: the rules a code
    prefix names (`GEN`), else the closest code or slug (`overfit` -> overfitting)."""
    from curvelint.config import suggest_rule

    prefixed = sorted(c for c, slug in rules.items() if c.startswith(name.upper()) or slug.startswith(name.lower()))
    if len(prefixed) == 1:
        return f"no rule named {name!r}; did you mean {rules[prefixed[0]]!r} ({prefixed[0]})?"
    if prefixed:
        return (f"{name!r} begins {len(prefixed)} rules' names, give one: "
                + ", ".join(f"{c} ({rules[c]})" for c in prefixed))
    return f"no rule named {name!r}{suggest_rule(name, rules)} (`curvelint rules` lists them)"


def describe_rule(rule, host=None) -> str:
    """The text `curvelint rule CODE` prints: header, summary, measured accuracy, options, docs.

    The accuracy figures (built-in rules only) are read here, not at lint start-up."""
    from curvelint.catalogue import describe, is_builtin, load_measured

    owner = host.owner(rule.code) if host is not None else None
    builtin = is_builtin(rule)
    return describe(rule, owner.label if owner else None, load_measured() if builtin else None,
                    show_accuracy=builtin)


def _plugins(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="curvelint plugins", description="List loaded plugins, their versions and what they provide.",
                                epilog="CURVELINT_DISABLE_PLUGINS=name,... switches plugins off; CURVELINT_TRACE=1 traces hook calls.")
    p.add_argument("--format", choices=("text", "json"), default="text")
    args = p.parse_args(argv)
    host = _load_rules()
    rows = [{"name": i.name, "distribution": i.dist, "version": i.version, "rules": sorted(i.rules),
             "readers": i.readers, "reporters": i.reporters, "compare_rules": sorted(i.compare_rules)}
            for i in host.plugins.values()]
    if args.format == "json":
        import json

        print(json.dumps({"plugins": rows, "errors": [{"plugin": e.path, "message": e.message} for e in host.errors]}, indent=2))
        return EXIT_OK
    for row in rows:
        provides = [f"{len(row['rules'])} rules ({', '.join(row['rules'])})" if row["rules"] else "",
                    f"readers: {', '.join(row['readers'])}" if row["readers"] else "",
                    f"reporters: {', '.join(row['reporters'])}" if row["reporters"] else "",
                    f"compare rules: {', '.join(row['compare_rules'])}" if row["compare_rules"] else ""]
        print(f"{row['name']:<20} {row['distribution']} {row['version']:<10} {'; '.join(x for x in provides if x)}")
    for e in host.errors:
        print(f"curvelint: warning: {e.path}: {e.message}", file=sys.stderr)
    return EXIT_OK


def _rules(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="curvelint rules", description="List every loaded rule.")
    p.add_argument("--format", choices=("text", "json"), default="text")
    args = p.parse_args(argv)
    host = _load_rules()
    rules = [host.rules[c] for c in sorted(host.rules)]
    if args.format == "json":
        import json

        print(json.dumps([{"code": r.code, "slug": r.slug, "severity": r.severity.value, "summary": r.summary,
                           "plugin": host.owner(r.code).name if host.owner(r.code) else None} for r in rules], indent=2))
    else:
        width = max((len(r.slug) for r in rules), default=10)
        for r in rules:
            print(f"{r.code:<8} {r.slug:<{width}}  {r.severity.value:<7}  {r.summary}")
    for e in host.errors:
        print(f"curvelint: warning: {e.path}: {e.message}", file=sys.stderr)
    return EXIT_OK


def _train(argv: list[str]) -> int:
    from curvelint.trainer.scenarios import SCENARIOS

    p = argparse.ArgumentParser(prog="curvelint train",
                                description="Train reference Keras runs that show each pathology (needs the [train] extra).")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.add_argument("--all", action="store_true", help="train every scenario")
    p.add_argument("--out", metavar="DIR", help="write runs to DIR/<scenario>/ and update DIR/manifest.yaml")
    p.add_argument("--epochs", type=int, metavar="N", help="override each scenario's epoch count")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--formats", default="json,csv,tensorboard", help="comma-separated subset of json,csv,tensorboard")
    args = p.parse_args(argv)
    if args.list:
        width = max(len(n) for n in SCENARIOS)
        for s in SCENARIOS.values():
            expect = "healthy" if s.healthy else "fires " + ",".join(s.fires)
            print(f"{s.name:<{width}}  {s.epochs:>3} epochs  {expect:<18} {s.summary}")
        return EXIT_OK
    names = list(SCENARIOS) if args.all else args.scenarios
    if not names:
        p.error("name scenarios, or --all, or --list")
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        hint = ""
        if os.path.lexists("train") and all(os.path.lexists(n) for n in unknown):
            hint = f"; to lint these paths: curvelint check train {' '.join(names)}"
        return _error(f"unknown scenario {unknown[0]!r}; `curvelint train --list` shows them{hint}")
    if not args.out:
        p.error("--out DIR is required")
    import time

    from curvelint.trainer.train import (Trained, TrainerUnavailable, load_keras, summary_table, train, write_manifest,
                                         written_files)

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    results: list[Trained] = []
    line_open = False
    try:
        load_keras()  # TensorFlow's import (seconds) is not one scenario's time
        for i, name in enumerate(names, start=1):
            # one progress line per scenario, finished when the training is
            print(f"[{i}/{len(names)}] training {name} ...", end="", file=sys.stderr, flush=True)
            line_open, started = True, time.perf_counter()
            entry = train(name, args.out, epochs=args.epochs, seed=args.seed, formats=formats)
            seconds = time.perf_counter() - started
            print(f" {entry['epochs_trained']} epochs, {seconds:.1f}s", file=sys.stderr, flush=True)
            line_open = False
            results.append(Trained(entry, written_files(args.out, name), seconds))
    except (TrainerUnavailable, ValueError) as exc:
        if line_open:
            print(file=sys.stderr)
        return _error(str(exc))
    path = write_manifest(args.out, [r.entry for r in results])
    print(summary_table(results))
    print(f"wrote {len(results)} run(s) to {args.out}; manifest {path}", file=sys.stderr)
    return EXIT_OK


def _comment(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="curvelint comment",
        description="Create or update curvelint's sticky pull-request comment through the GitHub REST API.",
        epilog="The token is read from the environment (GITHUB_TOKEN by default) and never printed.")
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="lint these and post the markdown report (default: .)")
    p.add_argument("--body-file", metavar="FILE", help="post this markdown instead of linting (e.g. from `--format markdown -o`)")
    p.add_argument("--repo", metavar="OWNER/NAME", help="default: GITHUB_REPOSITORY")
    p.add_argument("--pr", type=int, metavar="N", help="default: from the GitHub Actions event")
    p.add_argument("--api-url", metavar="URL", help="default: GITHUB_API_URL or https://api.github.com")
    p.add_argument("--token-env", default="GITHUB_TOKEN", metavar="NAME", help="environment variable holding the token")
    p.add_argument("--baseline", metavar="FILE", help="hide the known findings recorded in FILE (default: the config's baseline)")
    _add_lint_options(p)
    args = p.parse_args(argv)
    from curvelint.config import ConfigError
    from curvelint.github import GithubClient, GithubError, target_from_env

    try:
        target = target_from_env(args.repo, args.pr, args.api_url, args.token_env)
        if args.body_file:
            with open(args.body_file, encoding="utf-8") as fh:
                body = fh.read()
        else:
            from curvelint.reporters.markdown import render_markdown

            config, linter = _linter(args)
            baseline_path = args.baseline or config.baseline
            baseline = None
            if baseline_path:
                from curvelint.baseline import load as load_baseline

                baseline = load_baseline(baseline_path)
            report = linter.require_logs(linter.lint_paths(args.paths), args.paths)
            fatal = [e for e in report.errors if e.fatal]
            if fatal and not report.runs:  # no comment about logs that are not there
                return _error("\n".join(_error_text(e) for e in fatal))
            known = None
            if baseline is not None:
                from curvelint.baseline import apply as apply_baseline
                from curvelint.reporters.base import display_path

                report, known = apply_baseline(report, baseline, display_path(baseline.path))
            body = render_markdown(report, rules=linter.host.rules, baseline=known)
        action, url = GithubClient(target).upsert(body)
    except (GithubError, ConfigError) as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot read {args.body_file}: {exc.strerror}")
    print(f"{action} comment on {target.repo}#{target.pr}" + (f": {url}" if url else ""))
    return EXIT_OK


def _download_artifact(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="curvelint download-artifact",
        description="Download and unzip the newest unexpired workflow artifact NAME uploaded by a run on a branch "
                    "(the base branch's curves, to compare a pull request's runs with). Prints the directory.",
        epilog="The token (GITHUB_TOKEN by default) needs `actions: read`; it is not sent to the storage host the "
               "API redirects the download to.")
    p.add_argument("name", metavar="NAME", help="the artifact's name, as given to actions/upload-artifact")
    p.add_argument("--branch", help="the branch whose runs uploaded it (default: GITHUB_BASE_REF, the PR's base)")
    p.add_argument("--dir", metavar="DIR", help="unzip into DIR (default: ./NAME)")
    p.add_argument("--repo", metavar="OWNER/NAME", help="default: GITHUB_REPOSITORY")
    p.add_argument("--api-url", metavar="URL", help="default: GITHUB_API_URL or https://api.github.com")
    p.add_argument("--token-env", default="GITHUB_TOKEN", metavar="NAME", help="environment variable holding the token")
    args = p.parse_args(argv)
    from curvelint.github import ArtifactClient, GithubError, target_from_env

    branch = args.branch or os.environ.get("GITHUB_BASE_REF")
    if not branch:
        return _error("no branch: pass --branch (GITHUB_BASE_REF is set only on pull_request events)")
    dest = args.dir or args.name
    try:
        client = ArtifactClient(target_from_env(args.repo, None, args.api_url, args.token_env, need_pr=False))
        artifact = client.latest(args.name, branch)
        files = client.download(artifact, dest)
    except GithubError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write {dest}: {exc.strerror}")
    print(f"curvelint: artifact {artifact.name!r} of {branch} (run {artifact.run_id}, {artifact.created_at}): "
          f"{len(files)} file{'s' if len(files) != 1 else ''} into {dest}", file=sys.stderr)
    print(dest)
    return EXIT_OK
