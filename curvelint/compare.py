"""`curvelint compare BASE HEAD`: did a training change make the runs worse, or just different?

BASE and HEAD are read and linted like any paths (or taken from an earlier `--format json`
report that carries its curves, `curvelint.report_curves`). Runs are paired by id (or
explicitly, `A=B`); several BASE paths holding the same run id are one baseline group: the
same config trained with several seeds. Every comparison rule (the `curvelint_compare_rules`
hook, `CompareRule`) judges each pair, and the pair's verdict is `worse` when any finding says
HEAD got worse, else `better` when any says it got better, else `same` (within noise);
`unknown` when the pair shares no monitored series and no rule found anything.

Noise, honestly: a difference means something only against how much the same config moves by
itself. Two estimates, both in the monitored series' units:

- **seed spread**: with several BASE runs, the sample standard deviation of their best values:
  how far another seed of the same config moves the best. The one that matters: a smooth
  validation curve has little epoch-to-epoch scatter, yet a new seed (a new initialization, a
  new data order) lands its best somewhere else.
- **curve noise**: the epoch-to-epoch scatter of the monitored series (`stats.Profile.noise`);
  the best of a curve is uncertain by about that much, so the difference of two bests by
  hypot(base noise, HEAD noise). It is all there is with one BASE run, and the report says so.

A HEAD best within max(k_seed x seed spread, k_curve x curve noise, min_relative x |best|) of
the baseline's best (the median of its seeds') is the same within noise.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace
from typing import Any, ClassVar, Iterable, Mapping, Sequence

import numpy as np

from curvelint.model import Finding, LintError, Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, jsonable, logged_name, num, pct
from curvelint.stats import Profile, robust_noise, stats

WORSE, BETTER, SAME, UNKNOWN = "worse", "better", "same", "unknown"
#: Verdicts in the order a reviewer reads them: what got worse, what could not be judged, then the rest.
WORST_FIRST = (WORSE, UNKNOWN, BETTER, SAME)
#: How a verdict reads in a sentence.
VERDICT_WORDS = {WORSE: "worse", BETTER: "better", SAME: "same within noise", UNKNOWN: "not comparable"}
#: JSON output version of `compare --format json` (see `CompareReport.to_dict`).
VERSION = 1

#: The noise thresholds every rule that judges the monitored best shares (CMP001, CMP002, CMP006).
NOISE_OPTIONS: dict[str, Option] = {
    "k_seed": Option(3.0, "A difference within this many seed spreads (standard deviation of the BASE runs' best "
                          "values, when several are given) is noise."),
    "k_curve": Option(3.0, "A difference within this many curve noises (epoch-to-epoch scatter of the monitored "
                           "series, BASE and HEAD combined) is noise."),
    "min_relative": Option(0.01, "A difference within this fraction of the baseline's best is noise whatever the "
                                 "estimates say (float logs, a curve with almost no scatter)."),
}


class CompareRule(Rule):
    """A judge of one BASE/HEAD pair: `check(comparison, opts)` yields `Change`s.

    Declared like a lint rule (code, slug, severity, summary, options, remediation, docs with
    the same sections) and registered through the `curvelint_compare_rules` hook. `effect` is
    what a finding says about HEAD unless the `Change` says otherwise: `worse`, `better`, or
    None (information that does not move the verdict).
    """

    effect: ClassVar[str | None] = WORSE

    def check(self, comparison: Comparison, opts: SimpleNamespace) -> Iterable[Change]:  # type: ignore[override]
        raise NotImplementedError


class BestChangeRule(CompareRule):
    """The check of CMP001 best-worse and CMP006 best-better: HEAD's best moved beyond the noise
    (`Comparison.tolerance`) in the direction of the rule's `effect`."""

    options: ClassVar[Mapping[str, Option]] = NOISE_OPTIONS

    def check(self, comparison: Comparison, opts: SimpleNamespace) -> Iterable[Change]:  # type: ignore[override]
        worse = comparison.worse_by()
        if worse is None or comparison.head_best is None:
            return
        tolerance = comparison.tolerance(opts)
        if (worse if self.effect == WORSE else -worse) <= tolerance:
            return
        yield Change(
            message=f"{comparison.best_line()} (noise allows {num(tolerance)})",
            epochs=(comparison.head_best.epoch, comparison.head_best.epoch), series=(str(comparison.monitor),),
            evidence={**comparison.best_evidence(), "worse_by": jsonable(worse), "tolerance": jsonable(tolerance)})


@dataclass
class Change(Violation):
    """What a comparison rule saw (a `Violation` plus which way it moves the verdict)."""

    effect: str | None = None


@dataclass
class CompareFinding:
    """One comparison rule's verdict on one pair, with its numbers."""

    pair: str
    code: str
    rule: str
    severity: Severity
    effect: str | None
    message: str
    remediation: str
    series: tuple[str, ...] = ()
    epochs: tuple[int, int] | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "rule": self.rule, "severity": self.severity.value, "effect": self.effect,
                "message": self.message, "remediation": self.remediation, "series": list(self.series),
                "epochs": None if self.epochs is None else list(self.epochs), "evidence": self.evidence}


# -- one pair ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Best:
    """Where one run's monitored series was best."""

    value: float
    epoch: int


@dataclass(eq=False)
class Comparison:
    """One pair as the comparison rules see it: the baseline runs (one, or several seeds), the
    HEAD run, their lint findings, and the monitored series of each on the shared axis."""

    id: str
    base: list[Run]
    head: Run
    base_findings: list[list[Finding]]
    head_findings: list[Finding]
    base_label: str = "base"

    # -- the monitored series --------------------------------------------------------------------

    @cached_property
    def notes(self) -> list[str]:
        """Why some judgement could not be made (no shared monitor, different axes)."""
        out = []
        if self.base_monitor is None:
            out.append(f"{self.base_label} logs no validation series to judge by")
        elif self.head_profile is None:
            out.append(f"HEAD does not log {logged_name(self.base[0], self.base_monitor.key)}, "
                       f"the series the {self.base_label} runs are judged by")
        elif len(self.base_profiles) == 1:
            out.append(f"one {self.base_label} run: the noise is the curve's epoch-to-epoch scatter, often far below "
                       "the seed-to-seed spread; give several BASE runs (seeds of one config) to know it")
        if self.axis is None:
            out.append(f"{self.base_label} is indexed by {self.base[0].axis}, HEAD by {self.head.axis}: "
                       "epochs/steps are not compared")
        return out

    @cached_property
    def base_monitor(self) -> Profile | None:
        """The first baseline run's monitored series (the config's `monitor`, else val_loss, ...)."""
        return stats(self.base[0]).monitored()

    @property
    def monitor(self) -> str | None:
        """Key of the series both sides are judged by, None when HEAD lacks it."""
        return None if self.head_profile is None or self.base_monitor is None else self.base_monitor.key

    @property
    def higher_is_better(self) -> bool:
        return bool(self.base_monitor is not None and self.base_monitor.higher_is_better)

    def _profile(self, run: Run) -> Profile | None:
        """`run`'s series under the baseline's monitor key, oriented like the baseline's."""
        if self.base_monitor is None:
            return None
        p = stats(run).profile(self.base_monitor.key)
        return None if p is None else Profile(p.key, p.epochs, p.values, self.higher_is_better)

    @cached_property
    def base_profiles(self) -> list[Profile]:
        """The monitored series of every baseline run that logs it."""
        return [p for p in (self._profile(r) for r in self.base) if p is not None]

    @cached_property
    def head_profile(self) -> Profile | None:
        return self._profile(self.head)

    @property
    def name(self) -> str:
        """The monitored series as the user logged it (`val_loss`)."""
        assert self.base_monitor is not None
        return logged_name(self.base[0], self.base_monitor.key)

    @cached_property
    def axis(self) -> str | None:
        """What epochs count on both sides (`epoch` or `step`), None when they differ."""
        axes = {r.axis for r in [*self.base, self.head]}
        return axes.pop() if len(axes) == 1 else None

    # -- best values and their noise ---------------------------------------------------------------

    @cached_property
    def base_bests(self) -> list[Best]:
        return [Best(p.best_value, int(p.epochs[p.best])) for p in self.base_profiles]

    @cached_property
    def base_best(self) -> Best | None:
        """The baseline's best: the median of its runs' bests (the lower middle one of an even
        number, so it is a value a run reached, at the epoch it reached it)."""
        if not self.base_bests:
            return None
        ranked = sorted(self.base_bests, key=lambda b: self.oriented(b.value))
        return ranked[(len(ranked) - 1) // 2]

    @cached_property
    def head_best(self) -> Best | None:
        p = self.head_profile
        return None if p is None else Best(p.best_value, int(p.epochs[p.best]))

    @cached_property
    def seed_spread(self) -> float | None:
        """Sample standard deviation of the baseline runs' best values; None with fewer than 2."""
        if len(self.base_bests) < 2:
            return None
        return float(np.std([b.value for b in self.base_bests], ddof=1))

    @cached_property
    def curve_noise(self) -> float:
        """Uncertainty of (HEAD best - baseline best) from the curves' own epoch-to-epoch scatter."""
        base = float(np.median([p.noise for p in self.base_profiles])) if self.base_profiles else 0.0
        head = self.head_profile.noise if self.head_profile is not None else 0.0
        return math.hypot(base, head)

    def oriented(self, value: float) -> float:
        """`value` turned so that lower is better."""
        return -value if self.higher_is_better else value

    def worse_by(self) -> float | None:
        """How much worse HEAD's best is than the baseline's (negative: better), in the series' units."""
        if self.base_best is None or self.head_best is None:
            return None
        return self.oriented(self.head_best.value) - self.oriented(self.base_best.value)

    def tolerance(self, opts: SimpleNamespace) -> float:
        """The largest difference of bests that is still noise (`NOISE_OPTIONS`)."""
        assert self.base_best is not None
        spread = self.seed_spread or 0.0
        return max(opts.k_seed * spread, opts.k_curve * self.curve_noise, opts.min_relative * abs(self.base_best.value))

    def in_noise_units(self, difference: float) -> str:
        """`4.1x the seed spread of 3 base runs, 1.2x the curve noise`: the difference against
        both estimates (with one BASE run, the curve noise alone, saying there is no spread)."""
        parts = []
        if self.seed_spread:
            parts.append(f"{abs(difference) / self.seed_spread:.1f}x the seed spread of {len(self.base_bests)} {self.base_label} runs")
        if self.curve_noise > 0:
            lone = "" if self.seed_spread or len(self.base_bests) > 1 else f" (one {self.base_label} run: no seed spread)"
            parts.append(f"{abs(difference) / self.curve_noise:.1f}x the curve noise{lone}")
        return ", ".join(parts) or "no noise estimate"

    def best_line(self) -> str | None:
        """`best val_loss 0.412 at epoch 14 vs 0.371 at epoch 12 on base: +11%, 4.1x the seed spread`."""
        if self.base_best is None or self.head_best is None:
            return None
        head, base = self.head_best, self.base_best
        change = (head.value - base.value) / abs(base.value) if base.value else math.inf
        sign = "+" if head.value >= base.value else "-"
        of = f" (median of {len(self.base_bests)})" if len(self.base_bests) > 1 else ""
        return (f"best {self.name} {num(head.value)} at {at(self.head, head.epoch)} vs {num(base.value)} at "
                f"{at(self.base[0], base.epoch)} on {self.base_label}{of}: {sign}{pct(change)}, "
                f"{self.in_noise_units(head.value - base.value)}")

    def best_evidence(self) -> dict[str, Any]:
        """The numbers behind `best_line`, for JSON."""
        if self.base_best is None or self.head_best is None:
            return {}
        return {"monitor": self.monitor, "head_best": jsonable(self.head_best.value), "head_epoch": self.head_best.epoch,
                "base_best": jsonable(self.base_best.value), "base_epoch": self.base_best.epoch,
                "base_bests": [jsonable(b.value) for b in self.base_bests],
                "change": jsonable((self.head_best.value - self.base_best.value) / abs(self.base_best.value))
                if self.base_best.value else None,
                "seed_spread": None if self.seed_spread is None else jsonable(self.seed_spread),
                "curve_noise": jsonable(self.curve_noise)}

    # -- pathologies and wall time -------------------------------------------------------------------

    @staticmethod
    def codes(findings: Iterable[Finding], min_severity: Severity | None = None, roots_only: bool = False) -> dict[str, Finding]:
        """Lint findings by code (the first of each), at or above `min_severity`; with
        `roots_only`, without the ones another finding explains."""
        out: dict[str, Finding] = {}
        for f in findings:
            if min_severity is not None and f.severity.rank < min_severity.rank:
                continue
            if roots_only and f.explained_by:
                continue
            out.setdefault(f.code, f)
        return out

    @cached_property
    def base_epoch_seconds(self) -> list[np.ndarray]:
        """Per-epoch durations of every baseline run that logs wall times."""
        return [d for d in (epoch_seconds(r) for r in self.base) if d is not None]

    @cached_property
    def head_epoch_seconds(self) -> np.ndarray | None:
        return epoch_seconds(self.head)


def epoch_seconds(run: Run) -> np.ndarray | None:
    """Seconds each epoch took: the wall-time differences between consecutive epochs of the
    training loss (or of the first epoch-level series that has wall times); None when none is
    logged (CSVLogger, history JSON) or fewer than 2 consecutive epochs are."""
    curves = [c for c in (run.get(c.key) for c in run.select()) if c is not None and c.wall_time is not None]
    curves.sort(key=lambda c: (c.key != "train/loss", c.key))
    for curve in curves:
        consecutive = np.diff(curve.step) == 1
        durations = np.diff(curve.wall_time)[consecutive]
        durations = durations[np.isfinite(durations) & (durations > 0)]
        if durations.size >= 2:
            return durations
    return None


@dataclass(eq=False)
class PairResult:
    """A comparison and what the rules found on it."""

    comparison: Comparison
    findings: list[CompareFinding]

    @property
    def verdict(self) -> str:
        effects = {f.effect for f in self.findings}
        if WORSE in effects:
            return WORSE
        if BETTER in effects:
            return BETTER
        return SAME if self.comparison.monitor is not None or self.findings else UNKNOWN

    def verdict_line(self) -> str:
        """`healthy: worse (CMP001): best val_loss 0.412 at epoch 14 vs 0.371 ...`: the verdict, the
        rules that decided it, and the best values (or why there are none)."""
        c = self.comparison
        detail = c.best_line() or "; ".join(c.notes) or "nothing to compare"
        why = sorted({f.code for f in self.findings if f.effect == self.verdict})
        because = f" ({', '.join(why)})" if why else ""
        return f"{c.id}: {VERDICT_WORDS[self.verdict]}{because}: {detail}"

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {"id": c.id, "verdict": self.verdict,
                "base": [{"id": r.id, "sources": list(r.sources)} for r in c.base],
                "head": {"id": c.head.id, "sources": list(c.head.sources)},
                "axis": c.axis, "monitor": c.monitor, "summary": self.verdict_line(),
                "best": c.best_evidence() or None, "notes": list(c.notes),
                "findings": [f.to_dict() for f in self.findings]}


@dataclass(eq=False)
class CompareReport:
    """Every pair's result, what could not be paired, and what could not be read."""

    pairs: list[PairResult] = field(default_factory=list)
    unpaired_base: list[str] = field(default_factory=list)
    unpaired_head: list[str] = field(default_factory=list)
    errors: list[LintError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {WORSE: 0, SAME: 0, BETTER: 0, UNKNOWN: 0}
        for p in self.pairs:
            out[p.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The `compare --format json` document (version `VERSION`)."""
        return {"version": VERSION, "pairs": [p.to_dict() for p in self.pairs],
                "unpaired": {"base": list(self.unpaired_base), "head": list(self.unpaired_head)},
                "errors": [{"path": e.path, "message": e.message} for e in self.errors],
                "summary": {"pairs": len(self.pairs), **self.counts()}}


# -- reading and pairing -----------------------------------------------------------------------


@dataclass
class Side:
    """The runs read from one path (BASE or HEAD), with their lint findings."""

    path: str
    runs: list[Run]
    findings: dict[str, list[Finding]]

    def run(self, run_id: str) -> Run | None:
        return next((r for r in self.runs if r.id == run_id), None)


def parse_pair(text: str) -> tuple[str, str]:
    """`A=B` -> (base run id A, HEAD run id B)."""
    base, sep, head = text.partition("=")
    if not sep or not base or not head:
        raise ValueError(f"--pair {text!r}: expected BASE_RUN=HEAD_RUN")
    return base, head


def pair_runs(bases: Sequence[Side], head: Side, explicit: Sequence[tuple[str, str]] = ()
              ) -> tuple[list[tuple[str, list[tuple[Side, Run]], Run]], list[str], list[str]]:
    """(pairs as (id, [(side, base run)...], head run), unpaired base ids, unpaired head ids).

    Explicit `A=B` pairs first; then runs with the same id on both sides (each BASE path that
    holds the id contributes one baseline run: several paths are seeds of one config); when no
    id is shared and every side holds exactly one run, those runs are the pair."""
    pairs: list[tuple[str, list[tuple[Side, Run]], Run]] = []
    used_base, used_head = set(), set()

    def group(base_id: str) -> list[tuple[Side, Run]]:
        return [(s, r) for s in bases if (r := s.run(base_id)) is not None]

    for base_id, head_id in explicit:
        runs, hr = group(base_id), head.run(head_id)
        if not runs or hr is None:
            missing = [f"no BASE run {base_id!r}"] * (not runs) + [f"no HEAD run {head_id!r}"] * (hr is None)
            raise ValueError(f"--pair {base_id}={head_id}: {' and '.join(missing)}")
        pairs.append((base_id if base_id == head_id else f"{base_id}={head_id}", runs, hr))
        used_base.add(base_id)
        used_head.add(head_id)
    for hr in head.runs:
        if hr.id in used_head:
            continue
        runs = group(hr.id)
        if runs:
            pairs.append((hr.id, runs, hr))
            used_base.add(hr.id)
            used_head.add(hr.id)
    if not pairs and len(head.runs) == 1 and bases and all(len(s.runs) == 1 for s in bases):
        hr = head.runs[0]
        runs = [(s, s.runs[0]) for s in bases]
        ids = sorted({r.id for _, r in runs})
        pairs.append((f"{','.join(ids)}={hr.id}", runs, hr))
        used_base.update(ids)
        used_head.add(hr.id)
    unpaired_base = sorted({r.id for s in bases for r in s.runs} - used_base)
    unpaired_head = [r.id for r in head.runs if r.id not in used_head]
    return pairs, unpaired_base, unpaired_head


# -- the comparer --------------------------------------------------------------------------------


@dataclass
class Comparer:
    """Compare rules, their settings and the linter that reads both sides, resolved once."""

    linter: Any  # curvelint.engine.Linter
    enabled: list[str]
    settings: dict[str, Any]  # code -> curvelint.config.RuleSettings
    base_label: str = "base"

    @classmethod
    def create(cls, config: Any = None, select: list[str] | None = None, ignore: Sequence[str] = (),
               options: Mapping[str, Mapping[str, Any]] | None = None, base_label: str = "base") -> Comparer:
        """`options` are per compare rule (code or slug) like `[rules.CMP001]` tables; the
        config's `rules` tables that name compare rules are taken from it too (the linter of
        each side must not see them: it knows only lint rules)."""
        import dataclasses

        from curvelint.config import Config, ConfigError, Selection, resolve_rule_settings, resolve_selection
        from curvelint.engine import Linter
        from curvelint.plugins import PluginHost

        config = config or Config()
        host = PluginHost.load(allow=config.plugins_allow, deny=config.plugins_deny)
        if not host.compare_rules:
            raise ConfigError("no comparison rule could be loaded, so every pair would pass as `same`; install "
                              "curvelint (`python3 -m pip install -e .` in a checkout) or enable a plugin with "
                              "comparison rules")
        names = {n for code, r in host.compare_rules.items() for n in (code, r.slug)}
        mine = {k: v for k, v in config.rules.items() if k in names or str(k).upper() in names}
        lint_config = dataclasses.replace(config, rules={k: v for k, v in config.rules.items() if k not in mine})
        tables = {**mine, **dict(options or {})}
        settings = resolve_rule_settings(host.compare_rules, tables, config.path or "<compare options>")
        slugs = {code: r.slug for code, r in host.compare_rules.items()}
        enabled = sorted(resolve_selection(slugs, [Selection(select=select, ignore=list(ignore))]))
        return cls(Linter.create(lint_config, host=host), enabled, settings, base_label)

    @property
    def host(self) -> Any:
        return self.linter.host

    def read(self, path: str | Sequence[str]) -> tuple[Side, list[LintError]]:
        """Lint one side: a log tree, a URL, or a JSON report that carries its curves; several
        paths are linted together, as `curvelint check PATH...` lints them (so the run ids are
        the ones a report written by that command holds)."""
        from curvelint.model import Report
        from curvelint.report_curves import load_report_runs

        paths = [path] if isinstance(path, str) else list(path)
        label = ", ".join(paths)
        saved: list[Run] = []
        logs: list[str] = []
        for p in paths:
            try:
                runs = load_report_runs(p)
            except ValueError as exc:
                return Side(label, [], {}), [LintError(p, str(exc))]
            if runs is None:
                logs.append(p)
            else:
                saved.extend(runs)
        report = self.linter.lint_paths(logs) if logs else Report(errors=list(self.host.errors))
        if saved:
            extra = self.linter.lint_runs(saved)
            report.runs.extend(extra.runs)
            report.findings.extend(extra.findings)
        errors = [e for e in report.errors if e not in self.host.errors]
        if not report.runs and not any(e.fatal for e in errors):
            errors.append(LintError(label, f"no training logs found under {label}"))
        return Side(label, report.runs, report.by_run()), errors

    def compare_paths(self, base: Sequence[str | os.PathLike], head: str | os.PathLike | Sequence[str | os.PathLike],
                      pairs: Sequence[tuple[str, str]] = ()) -> CompareReport:
        """Read every BASE path (each one baseline run of a group) and HEAD (one path, or
        several linted together as one side), pair their runs and judge each pair."""
        heads = [os.fspath(head)] if isinstance(head, (str, os.PathLike)) else [os.fspath(h) for h in head]
        report = CompareReport(errors=list(self.host.errors))
        sides = []
        for path in [*(os.fspath(b) for b in base), heads]:
            side, errors = self.read(path)
            sides.append(side)
            report.errors.extend(errors)
        if any(e.fatal for e in report.errors):
            return report
        paired, report.unpaired_base, report.unpaired_head = pair_runs(sides[:-1], sides[-1], pairs)
        for pair_id, runs, head_run in paired:
            comparison = Comparison(
                id=pair_id, base=[r for _, r in runs], head=head_run,
                base_findings=[s.findings.get(r.id, []) for s, r in runs],
                head_findings=sides[-1].findings.get(head_run.id, []), base_label=self.base_label)
            report.pairs.append(self.judge(comparison))
        if not report.pairs:
            report.errors.append(LintError(
                ", ".join([*map(os.fspath, base), *heads]),
                "no run of HEAD pairs with a BASE run: run ids differ "
                f"(BASE: {', '.join(report.unpaired_base) or 'none'}; HEAD: {', '.join(report.unpaired_head) or 'none'}); "
                "name pairs with --pair BASE_RUN=HEAD_RUN"))
        return report

    def compare_runs(self, base: Sequence[Run], head: Run, pair_id: str | None = None) -> PairResult:
        """Judge runs already in memory (a notebook, a test): `base` are seeds of one config."""
        comparison = Comparison(id=pair_id or head.id, base=list(base), head=head,
                                base_findings=[self.linter.check(r) for r in base],
                                head_findings=self.linter.check(head), base_label=self.base_label)
        return self.judge(comparison)

    def judge(self, comparison: Comparison) -> PairResult:
        """Every enabled compare rule on one pair; a rule that raises becomes an error finding
        naming it (a crash must not pass as `same within noise`)."""
        findings = []
        for code in self.enabled:
            rule = self.host.compare_rules[code]
            settings = self.settings[code]
            try:
                changes = list(rule().check(comparison, settings.options) or ())
            except Exception as exc:  # noqa: BLE001 - one rule's bug must not hide the others
                findings.append(CompareFinding(
                    comparison.id, code, rule.slug, Severity.ERROR, WORSE,
                    f"compare rule {code} ({rule.slug}) raised {type(exc).__name__}: {exc}; the other rules still ran",
                    "Report this to the rule's authors; `--ignore " + code + "` skips it meanwhile."))
                continue
            for ch in changes:
                findings.append(CompareFinding(
                    pair=comparison.id, code=code, rule=rule.slug,
                    severity=Severity(ch.severity or settings.severity), effect=ch.effect if ch.effect is not None else rule.effect,
                    message=ch.message, remediation=ch.remediation if ch.remediation is not None else rule.remediation,
                    series=tuple(ch.series), epochs=ch.epochs, evidence=dict(ch.evidence)))
        findings.sort(key=lambda f: (-f.severity.rank, f.code))
        return PairResult(comparison, findings)


def compare(base: str | os.PathLike | Sequence[str | os.PathLike], head: str | os.PathLike | Sequence[str | os.PathLike], *,
            pairs: Sequence[str | tuple[str, str]] = (), select: list[str] | None = None, ignore: Sequence[str] = (),
            options: Mapping[str, Mapping[str, Any]] | None = None, config: Any = None) -> CompareReport:
    """The Python API of `curvelint compare`: BASE path(s) (several = seeds of one config) vs HEAD
    (one path, or several linted together as one side)."""
    bases = [base] if isinstance(base, (str, os.PathLike)) else list(base)
    explicit = [parse_pair(p) if isinstance(p, str) else tuple(p) for p in pairs]
    return Comparer.create(config, select, ignore, options).compare_paths(bases, head, explicit)  # type: ignore[arg-type]


def duration_noise(durations: np.ndarray) -> float:
    """Standard error of the median epoch duration: the robust scatter of the durations (the
    same estimator as a curve's noise) over sqrt(n), x1.25 for a median."""
    return 1.25 * robust_noise(durations) / math.sqrt(max(1, durations.size))
