"""The engine: discover runs, read them, run every selected rule, collect a `Report`.

A rule that raises becomes an INT001 finding for that run, whatever the selection (a crash must
never pass as "no finding"), and the other rules still run; a rule whose needed series a run
lacks is skipped for that run. Rules that judge the selection itself (`judges_selection`, i.e.
LOG005 nothing-checked) run last and are given the rules selected for the run. Once all rules
ran on a run, findings that another one explains are linked to it (`curvelint.explain`).

`require_logs` turns a report without any run into a fatal `no training logs found` error (the
CLI uses it, exit 2) unless `allow-empty` is set: a CI job whose logs were never written must
not go green.
"""

from __future__ import annotations

import errno
import os
import traceback
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

from curvelint.assemble import assemble
from curvelint.config import (
    Config,
    ConfigError,
    RuleSettings,
    Selection,
    find_config,
    ignored_by_path,
    load_config,
    matching,
    parse_config,
    resolve_rule_settings,
    resolve_selection,
)
from curvelint.discover import discover
from curvelint.explain import explains_map, link
from curvelint.model import Finding, LintError, Location, Report, Run, Severity
from curvelint.plugins import PluginHost
from curvelint.remote import is_remote
from curvelint.rule import Rule, Violation

INTERNAL_ERROR = ("INT001", "internal-error")


@dataclass
class Linter:
    """Rules, settings and readers resolved once, then applied to any number of runs."""

    host: PluginHost
    config: Config
    enabled: list[str]
    settings: dict[str, RuleSettings]
    cli: Selection | None = None
    #: Codes whose severity the config sets explicitly: that severity wins over a rule's own
    #: grading of a case, even when it equals the rule's default.
    severity_set: frozenset[str] = frozenset()

    @classmethod
    def create(cls, config: Config | None = None, cli: Selection | None = None, host: PluginHost | None = None) -> Linter:
        config = config or Config()
        if host is None:
            host = PluginHost.load(allow=config.plugins_allow, deny=config.plugins_deny)
        enabled = sorted(resolve_selection(_slugs_of(host), [config.selection] + ([cli] if cli else [])))
        settings = resolve_rule_settings(host.rules, config.rules, config.path or "<config>")
        return cls(host=host, config=config, enabled=enabled, settings=settings, cli=cli,
                   severity_set=_severity_set(host, config))

    @property
    def _slugs(self) -> dict[str, str]:
        return _slugs_of(self.host)

    @cached_property
    def _explains(self) -> dict[str, frozenset[str]]:
        return explains_map(self.host.rules)

    # -- whole trees ---------------------------------------------------------------------------

    def lint_paths(self, paths: Iterable[str], progress: Callable[[int, int], None] | None = None,
                   jobs: int | None = 1) -> Report:
        """Lint every run under `paths`; `progress(done, total)` is called per log directory.

        With `jobs` > 1 log directories are read and checked in that many worker processes; the
        report is the same as with one, in the same order. `jobs=None` means one per CPU when
        the tree is big enough to gain from it (`PARALLEL_MIN_BYTES`), else one.
        """
        groups, errors = discover(list(paths), self.host.readers, self.config.exclude)
        report = Report(errors=list(self.host.errors) + errors)
        if jobs is None:
            jobs = (os.cpu_count() or 1) if _log_bytes(groups, PARALLEL_MIN_BYTES) >= PARALLEL_MIN_BYTES else 1
        if jobs > 1 and len(groups) >= 2:
            results = self._parallel(groups, jobs)  # each worker fetches its own groups' files
        elif any(g.remote for g in groups):
            from curvelint.remote import prefetched  # the next groups' files fetched while one is linted

            results = (self._lint_group(g, contents) for g, contents in prefetched(groups))
        else:
            results = map(self._lint_group, groups)
        for done, (runs, findings, notes) in enumerate(results, start=1):
            if progress is not None:
                progress(done, len(groups))
            report.errors.extend(notes)
            report.runs.extend(runs)
            report.findings.extend(findings)
        return _ordered(report)

    def require_logs(self, report: Report, paths: Iterable[str]) -> Report:
        """Add the fatal `no training logs found under PATH` error to a report without a run
        (unless `allow-empty`, or an error already says why): the command line's "never
        silently green". The API leaves an empty report as it is; `report.runs` says it."""
        if not report.runs and not self.config.allow_empty and not any(e.fatal for e in report.errors):
            where = ", ".join(paths) or "."
            report.errors.append(LintError(where, f"no training logs found under {where} (history JSON, CSVLogger, "
                                                  "TensorBoard event files, ...); set `allow-empty = true` in the "
                                                  "config to exit 0 when that is expected"))
        return report

    def _lint_group(self, group, contents=None) -> tuple[list[Run], list[Finding], list[LintError]]:
        """Read and check one run group; a group under a URL is read from `contents`, its files'
        bytes (fetched now when not given), then dropped."""
        if group.remote:
            from curvelint.remote import readable

            with readable(group, self.host.readers, contents) as local:
                runs, notes = assemble(local, self.config)
        else:
            runs, notes = assemble(group, self.config)
        return runs, [f for run in runs for f in self.check(run)], notes

    def _parallel(self, groups: list, jobs: int):
        import multiprocessing
        import sys
        import threading
        from concurrent.futures import ProcessPoolExecutor

        global _WORKER
        # fork is cheapest (workers inherit this linter, nothing to import), but only safe while
        # this process has a single thread; with a progress-bar thread running, forkserver.
        if sys.platform == "linux" and threading.active_count() == 1:
            context, init, args = multiprocessing.get_context("fork"), None, ()
            _WORKER = self
        else:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            context, init, args = multiprocessing.get_context(method), _init_worker, (self.config, self.cli)
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=init, initargs=args) as pool:
                yield from pool.map(_worker_lint_group, groups, chunksize=max(1, len(groups) // (jobs * 8)))
        finally:
            _WORKER = None

    def lint_runs(self, runs: Iterable[Run]) -> Report:
        report = Report(errors=list(self.host.errors))
        for run in runs:
            report.runs.append(run)
            report.findings.extend(self.check(run))
        return _ordered(report)

    # -- one run -------------------------------------------------------------------------------

    def check(self, run: Run) -> list[Finding]:
        ignored = ignored_by_path(self.config.per_path_ignores, [run.id, *run.sources])
        skip = matching(self._slugs, ignored) if ignored else set()
        monitor = self.config.monitor_for([run.id, *run.sources])
        if monitor is not None:
            from curvelint.stats import stats

            view = stats(run)
            view.monitor_name, view.monitor_mode = monitor.name, monitor.mode
        findings: list[Finding] = []
        selected = [code for code in self.enabled if code not in skip]
        judges = [c for c in selected if getattr(self.host.rules[c], "judges_selection", False)]
        for code in [c for c in selected if c not in judges] + judges:
            rule_cls = self.host.rules[code]
            if any(not run.has(key) for key in rule_cls.needs):
                continue
            settings = self.settings[code]
            extra = {"rules": [self.host.rules[c] for c in selected]} if code in judges else {}
            try:
                violations = list(rule_cls().check(run, settings.options, **extra) or ())
                made = [self._finding(run, rule_cls, v, settings) for v in violations]
            except Exception as exc:  # noqa: BLE001 - one rule's bug must not hide the others
                # reported whatever the selection: a rule that crashed did not check the run
                findings.append(_internal_error(run, rule_cls, exc))
                continue
            findings.extend(made)
        # after selection and per-path ignores: a root that was not run explains nothing
        link(findings, self._explains, self.enabled)
        return findings

    def _finding(self, run: Run, rule: type[Rule], v: Violation, settings: RuleSettings) -> Finding:
        if not isinstance(v, Violation):
            raise TypeError(f"check() yielded {type(v).__name__}, not a curvelint.Violation")
        severity = settings.severity
        if v.severity is not None and rule.code not in self.severity_set:
            severity = v.severity  # a rule may grade one case; a severity set in the config wins
        series = tuple(v.series) or tuple(rule.needs)
        location = None
        if v.path is not None:
            location = Location(v.path, v.line)
        elif v.epochs is not None:
            hit = run.line_of(v.epochs[0], series)
            if hit is not None:
                location = Location(*hit)
        if location is None and run.sources:
            location = Location(_source_for(run, series))
        return Finding(
            run=run.id, code=rule.code, rule=rule.slug, severity=Severity(severity),
            message=str(v.message), remediation=v.remediation if v.remediation is not None else rule.remediation_for(run),
            series=series, epochs=None if v.epochs is None else (int(v.epochs[0]), int(v.epochs[1])),
            location=location, evidence=dict(v.evidence),
        )


def _severity_set(host: PluginHost, config: Config) -> frozenset[str]:
    """Codes of the rules whose `[rules.<code|slug>]` table sets `severity`."""
    by_name = {**{code: code for code in host.rules}, **{r.slug: code for code, r in host.rules.items()}}
    out = set()
    for name, values in config.rules.items():
        code = by_name.get(name) or by_name.get(str(name).upper())
        if code is not None and "severity" in values:
            out.add(code)
    return frozenset(out)


def _slugs_of(host: PluginHost) -> dict[str, str]:
    """Code -> slug of every rule the plugins registered."""
    return {code: rule.slug for code, rule in host.rules.items()}


#: With --jobs left to its default, a tree with less log data than this is linted in this
#: process: starting workers would cost more than it saves.
PARALLEL_MIN_BYTES = 8 << 20


def _log_bytes(groups: list, enough: int) -> int:
    """Total size of the groups' log files, counted until `enough` is reached."""
    total = 0
    for group in groups:
        for candidate in (*group.events, *group.files):
            try:
                total += candidate.size if candidate.size is not None else os.path.getsize(candidate.path)
            except OSError:
                continue
            if total >= enough:
                return total
    return total

_WORKER: Linter | None = None


def _init_worker(config: Config, cli: Selection | None) -> None:
    global _WORKER
    _WORKER = Linter.create(config, cli)


def _worker_lint_group(group):
    assert _WORKER is not None
    return _WORKER._lint_group(group)


def _source_for(run: Run, series: tuple[str, ...]) -> str:
    for key in series:
        curve = run.raw(key)
        if curve is not None and curve.source:
            return curve.source
    return run.sources[0]


def _internal_error(run: Run, rule: type[Rule], exc: BaseException) -> Finding:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return Finding(
        run=run.id, code=INTERNAL_ERROR[0], rule=INTERNAL_ERROR[1], severity=Severity.ERROR,
        message=f"rule {rule.code} ({rule.slug}) raised {type(exc).__name__}: {exc}{where}; the other rules still ran",
        remediation="Report this to the rule's authors with the log that triggers it; `--ignore "
                    f"{rule.code}` skips the rule meanwhile.",
        location=Location(run.sources[0]) if run.sources else None,
        evidence={"rule": rule.code, "exception": type(exc).__name__},
    )


def _ordered(report: Report) -> Report:
    report.runs.sort(key=lambda r: r.id)
    order = {r.id: i for i, r in enumerate(report.runs)}
    report.findings.sort(key=lambda f: (order.get(f.run, len(order)), *f.sort_key()[1:]))
    return report


# ------------------------------------------------------------------------------------------------
# The Python API


def resolve_config(paths: list[str], config: Config | Mapping[str, Any] | str | None, isolated: bool) -> Config:
    """The config to use: given, from a file path, from a dict, or the nearest file above paths[0]."""
    if isinstance(config, Config):
        return config
    if isinstance(config, Mapping):
        return parse_config(config, "<dict>")
    if isinstance(config, str):
        return load_config(config)
    if isolated or not paths:
        return Config()
    found = find_config(paths[0])
    return load_config(found) if found else Config()


def lint(
    paths: str | os.PathLike | Iterable[str | os.PathLike] = ".",
    *,
    select: list[str] | None = None,
    extend_select: list[str] | None = None,
    ignore: list[str] | None = None,
    config: Config | Mapping[str, Any] | str | None = None,
    isolated: bool = False,
) -> Report:
    """Lint every run under `paths` and return the report (raises ConfigError on bad config).

    A local path that does not exist raises FileNotFoundError naming it (all of them, when
    several are missing) before anything is read: a typo must not pass as a report with no
    runs. URLs are checked when fetched; their errors are in `report.errors`, as are paths that
    exist but cannot be read. (The command line reports a missing path and exits 2 instead.)

    `config` is a Config, a dict shaped like `[tool.curvelint]`, or a config file path; by
    default the nearest config file above the first path is used (`isolated=True`: none).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    _require_paths(paths)
    cfg = resolve_config(paths, config, isolated)
    cli = Selection(select=select, extend_select=list(extend_select or []), ignore=list(ignore or []))
    return Linter.create(cfg, cli).lint_paths(paths)


def _require_paths(paths: list[str]) -> None:
    """FileNotFoundError (ENOENT, `filename` the first missing path) unless every local path
    exists; a dangling symlink exists (its reader reports it), like the command line's check."""
    missing = [p for p in paths if not is_remote(p) and not os.path.lexists(p)]
    if not missing:
        return
    message = os.strerror(errno.ENOENT)
    if len(missing) > 1:
        message += f" ({len(missing)} of {len(paths)} paths: {', '.join(map(repr, missing))})"
    raise FileNotFoundError(errno.ENOENT, message, missing[0])


def lint_history(
    history: Any,
    *,
    run_id: str = "history",
    select: list[str] | None = None,
    extend_select: list[str] | None = None,
    ignore: list[str] | None = None,
    config: Config | Mapping[str, Any] | str | None = None,
) -> Report:
    """Lint a `keras.callbacks.History`, its `.history` dict, or a list of per-epoch dicts,
    without writing a file. Keras' `History.epoch` list is used for epoch numbers if present."""
    from curvelint.readers.keras_json import curves_from_object

    obj = history
    if hasattr(history, "history") and isinstance(history.history, dict):
        obj = {"history": history.history}
        epochs = getattr(history, "epoch", None)
        if isinstance(epochs, list):
            obj["epoch"] = epochs
    elif hasattr(history, "to_dict") and callable(history.to_dict):  # a pandas DataFrame
        obj = history.to_dict(orient="list")
    try:
        curves = curves_from_object(_plain(obj), source=None)
    except Exception as exc:
        raise ValueError(f"cannot read this history: {exc}") from None
    run = Run(id=run_id, sources=[], format="keras-history", curves=curves)
    cfg = resolve_config([], config, True)
    cli = Selection(select=select, extend_select=list(extend_select or []), ignore=list(ignore or []))
    return Linter.create(cfg, cli).lint_runs([run])


def _plain(obj: Any) -> Any:
    """numpy scalars/arrays (what Keras 3 puts in History) to plain Python numbers and lists."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _plain(obj.tolist())
    if hasattr(obj, "item") and callable(obj.item):
        return obj.item()
    return obj


__all__ = ["ConfigError", "Linter", "LintError", "lint", "lint_history"]
