"""Linting a run while it trains: the same rules and configuration as `curvelint check`, applied to
a history that grows, reporting each finding once and saying when training should stop.

Framework-agnostic: the Keras callback (`curvelint.keras`) feeds it epoch logs; a Hugging Face
`TrainerCallback` or `curvelint watch` feed it the same way. Nothing here imports a framework.

- `LiveHistory` collects points as a trainer logs them (`add(step, logs)`), each series with its
  own steps, because series are not logged at the same steps (`validation_freq=5`, Hugging Face
  logging `loss` every 50 steps and `eval_loss` every 500).
- `LiveLinter.update(history)` lints it with `Run.meta[IN_PROGRESS] = True`, so rules whose
  verdict is about how a run ended say nothing yet, and returns the findings not reported before.
- `LiveLinter.finish(history)` lints the final history without it: the `Report` the command line
  would give for the same numbers.
- `should_stop(findings, stop_on)` picks the finding that should end training, if any.

**Once per finding.** A finding is identified by its run, code and series (`Finding.series`), not
by its message: a rising val_loss is reported at the epoch it is first found, not again every
epoch its numbers change. It is reported again only if its severity rises (an `info` that becomes
a `warning`), since that can change whether training should stop. An `INT001` is identified by the
rule that raised.

**Cost.** A lint of a short history takes one to a few milliseconds, a large share of a tiny
model's epoch (under 0.1 s) and nothing of a real one. With `budget` (default 1%) linting takes at
most that share of the time between `update` calls on average: an update lints only when the
time saved up since the last lint covers what a lint costs (the cheapest of the last few), and
otherwise just returns. A series that turns NaN or Inf is linted at once whatever the budget
(nothing after it is worth training). On epochs of a second or more every update lints; on the
66 ms epoch of the bundled trainer's smallest scenario, about one in four or five. A condition that
builds up (divergence, no learning, overfitting) may then be found up to that many epochs later
than with `budget=None`, which lints on every update. The final lint (`finish`) is complete
either way.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from curvelint.config import Config, Selection
from curvelint.engine import INTERNAL_ERROR, Linter, resolve_config
from curvelint.model import EPOCH, IN_PROGRESS, Curve, Finding, Report, Run, Severity

#: `stop_on` values, mildest last: `never` stops nothing.
STOP_ON = ("error", "warning", "info", "never")
#: Default share of the time between two updates that linting may take (see the module doc).
DEFAULT_BUDGET = 0.01
#: Lints whose cheapest is what the next one is expected to cost.
COST_WINDOW = 5


@dataclass
class LiveHistory:
    """The points of a training so far, per series as logged: `values[name]` at `steps[name]`
    (and, for logs stepped by optimizer step, the fractional `epochs[name]`).

    Names are the trainer's own (`val_loss`, `eval_loss`); non-numeric values in a log (a string,
    a tensor that is not a scalar) are skipped, NaN and Inf are kept.
    """

    values: dict[str, list[float]] = field(default_factory=dict)
    steps: dict[str, list[int]] = field(default_factory=dict)
    epochs: dict[str, list[float]] = field(default_factory=dict)

    def add(self, step: int, logs: Mapping[str, Any], epoch: float | None = None) -> None:
        """Record one log call: every numeric entry of `logs` at `step` (0-based epoch, or global
        step), with its fractional `epoch` when the axis is steps."""
        for name, raw in logs.items():
            value = _number(raw)
            if value is None:
                continue
            self.values.setdefault(name, []).append(value)
            self.steps.setdefault(name, []).append(int(step))
            if epoch is not None:
                self.epochs.setdefault(name, []).append(float(epoch))

    def __len__(self) -> int:
        """The number of distinct steps logged so far (epochs, for an epoch-stepped history)."""
        return len({s for steps in self.steps.values() for s in steps})

    @classmethod
    def of(cls, history: Mapping[str, Sequence[Any]], steps: Sequence[int] | Mapping[str, Sequence[int]] | None = None,
           epochs: Sequence[float] | Mapping[str, Sequence[float]] | None = None) -> LiveHistory:
        """A dict of lists (`keras.callbacks.History.history`) as a LiveHistory. `steps` is one
        list for every series or one per series; without it each series counts 0, 1, 2, ...
        (a series logged less often than the others then needs its own steps)."""
        out = cls()
        for name, column in history.items():
            col_steps = steps.get(name) if isinstance(steps, Mapping) else steps
            col_epochs = epochs.get(name) if isinstance(epochs, Mapping) else epochs
            if col_steps is None:
                col_steps = range(len(column))
            if len(col_steps) != len(column):
                raise ValueError(f"{name}: {len(column)} values but {len(col_steps)} steps")
            if col_epochs is not None and len(col_epochs) != len(column):
                raise ValueError(f"{name}: {len(column)} values but {len(col_epochs)} epochs")
            for i, (step, raw) in enumerate(zip(col_steps, column)):
                value = _number(raw)
                if value is None:
                    continue
                out.values.setdefault(name, []).append(value)
                out.steps.setdefault(name, []).append(int(step))
                if col_epochs is not None:
                    out.epochs.setdefault(name, []).append(float(col_epochs[i]))
        return out


class LiveLinter:
    """The configuration and rule selection resolved once, then applied to a growing history.

    `config` is a `Config`, a dict shaped like `[tool.curvelint]`, a config file path, or None for
    the nearest config file at or above the working directory (`isolated=True`: none), as the
    command line finds it. `select`/`extend_select`/`ignore` act like the command-line flags, after
    the config. `run_id` names the run in findings (and is what `per-path-ignores` and
    `per-path-monitor` globs match); `framework` (`keras`, `hf`, `lightning`, `pytorch`) chooses the
    words of remediations; `axis` is `epoch` or `step` (global optimizer steps). `budget` is the
    share of the time between `update` calls that linting may take on average (None: lint on
    every call; see the module doc). Raises `ConfigError` on a bad config, before any training
    time is spent.

    `costs` and `linted` record, per `update` call, the seconds it took and whether it linted.
    """

    def __init__(self, config: Config | Mapping[str, Any] | str | None = None, *,
                 select: list[str] | None = None, extend_select: list[str] | None = None,
                 ignore: list[str] | None = None, run_id: str = "live", framework: str = "keras",
                 axis: str = EPOCH, budget: float | None = DEFAULT_BUDGET, isolated: bool = False) -> None:
        if budget is not None and not budget > 0:
            raise ValueError(f"budget must be a positive share of the update interval (0.01 = 1%) or None, got {budget!r}")
        cfg = resolve_config([os.getcwd()], config, isolated)
        cli = Selection(select=select, extend_select=list(extend_select or []), ignore=list(ignore or []))
        self.linter = Linter.create(cfg, cli)
        self.config = cfg
        self.run_id, self.framework, self.axis = run_id, framework, axis
        self.budget = budget
        self._reported: dict[tuple, int] = {}
        self._names: dict[tuple[str, ...], dict] = {}
        self._nonfinite: set[str] = set()
        self._lint_costs: list[float] = []  # of the updates that linted, newest last
        self._credit = 0.0
        self._since: float | None = None
        self.costs: list[float] = []
        self.linted: list[bool] = []

    def reset(self) -> None:
        """Forget what was reported and the cost estimates: a new training starts (a second `fit()`)."""
        self._reported.clear()
        self._nonfinite.clear()
        self._lint_costs, self._credit, self._since = [], 0.0, None
        self.costs, self.linted = [], []

    # -- runs --------------------------------------------------------------------------------

    def runs(self, history: LiveHistory | Mapping[str, Sequence[float]], *, in_progress: bool = True) -> list[Run]:
        """The history as the runs rules see (sub-runs split and `[tool.curvelint.series]` mapped
        as for a log on disk), with `meta[IN_PROGRESS]` set while `in_progress`."""
        from curvelint.attempts import split_attempts
        from curvelint.subruns import split_subruns

        if not isinstance(history, LiveHistory):
            history = LiveHistory.of(history)
        curves = self._curves(history)
        meta: dict[str, Any] = {"framework": self.framework}
        if in_progress:
            meta[IN_PROGRESS] = True
        run = Run(id=self.run_id, sources=[], format=f"{self.framework}-live", curves=curves, axis=self.axis, meta=meta)
        return split_attempts(split_subruns([run], self.config))

    def _curves(self, history: LiveHistory) -> list[Curve]:
        from curvelint.readers.names import canonical_all

        names = tuple(history.values)
        canon = self._names.get(names)
        if canon is None:  # the names are the same every epoch: canonicalized once
            canon = self._names[names] = canonical_all(names)
        out = []
        for raw, c in canon.items():
            epochs = history.epochs.get(raw)
            out.append(Curve(name=c.name, split=c.split, granularity=c.granularity, raw_name=raw,
                             step=np.asarray(history.steps[raw], dtype=np.int64),
                             value=np.asarray(history.values[raw], dtype=np.float64),
                             epoch=None if epochs is None or len(epochs) != len(history.values[raw]) else epochs))
        return out

    # -- linting -----------------------------------------------------------------------------

    def check(self, history: LiveHistory | Mapping[str, Sequence[float]]) -> list[Finding]:
        """Every finding on the history so far, in progress, reported before or not."""
        return [f for run in self.runs(history) for f in self.linter.check(run)]

    def update(self, history: LiveHistory | Mapping[str, Sequence[float]]) -> list[Finding]:
        """Lint the history so far (in progress) if the budget allows, and return the findings
        not reported before, worst first. Call it once per epoch (or evaluation)."""
        start = time.perf_counter()
        if not isinstance(history, LiveHistory):
            history = LiveHistory.of(history)
        expected = self._expected_cost()
        if self.budget is not None and self._since is not None and expected is not None:
            # what the time since the last call allows, never more than one lint's worth saved up
            self._credit = min(self._credit + self.budget * (start - self._since), expected)
        fresh = {name for name, values in history.values.items() if values and not math.isfinite(values[-1])}
        fresh -= self._nonfinite
        self._nonfinite |= fresh
        due = self.budget is None or expected is None or bool(fresh) or self._credit >= expected
        findings = self.check(history) if due else []
        cost = time.perf_counter() - start
        if due:
            if any(self.linted):  # the first lint warms caches up: not what the next ones cost
                self._lint_costs = [*self._lint_costs[-(COST_WINDOW - 1):], cost]
            if expected is not None:  # the budget paid for this one; an outlier owes one usual lint at most
                self._credit = max(self._credit - cost, -expected)
        self.costs.append(cost)
        self.linted.append(due)
        self._since = time.perf_counter()
        return self.new(findings)

    def _expected_cost(self) -> float | None:
        """What the next lint should cost: the cheapest of the last few (the first lint, which warms
        caches up, left out), so that one slow lint (a garbage collection, a busy machine) does not
        hold the next ones back for many epochs. Lints cost more as the history grows: this lags a
        little behind."""
        return min(self._lint_costs) if self._lint_costs else None

    def new(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings not reported before (by run, code and series; again if the severity rose),
        worst first; they count as reported from now on."""
        out = []
        for f in findings:
            key = finding_key(f)
            if self._reported.get(key, 0) >= f.severity.rank:
                continue
            self._reported[key] = f.severity.rank
            out.append(f)
        return sorted(out, key=lambda f: (-f.severity.rank, f.epochs[0] if f.epochs else -1, f.code))

    def finish(self, history: LiveHistory | Mapping[str, Sequence[float]]) -> Report:
        """The final lint: the whole history, not in progress, every selected rule."""
        return self.linter.lint_runs(self.runs(history, in_progress=False))

    def render(self, report: Report, fmt: str | None = None) -> str:
        """`report` in an output format of the command line (`text`, `json`, `html`, a plugin's),
        `format` of the config when None, else text; findings below the config's `min-severity`
        are left out, as the command line leaves them out."""
        from curvelint.config import ConfigError, did_you_mean
        from curvelint.output_formats import ALIASES
        from curvelint.reporters.text import TerminalContext

        fmt = fmt or self.config.format or "text"
        fmt = ALIASES.get(fmt, fmt)
        reporter = self.linter.host.reporters.get(fmt)
        if reporter is None:
            known = [*self.linter.host.reporters, *ALIASES]
            raise ConfigError(f"unknown output format {fmt!r}{did_you_mean(fmt, known)} (available: {', '.join(sorted(known))})")
        shown, hidden = at_least(report, self.config.min_severity)
        ctx = TerminalContext(rules=self.linter.host.rules, min_severity=self.config.min_severity, hidden=hidden)
        return reporter.render(shown, ctx)


def finding_key(f: Finding) -> tuple:
    """What makes two findings of a growing run the same finding: run, code and series (and, for
    an INT001, the rule that raised)."""
    extra = f.evidence.get("rule") if f.code == INTERNAL_ERROR[0] else None
    return (f.run, f.code, tuple(f.series), extra)


def should_stop(findings: Iterable[Finding], stop_on: str = "error") -> Finding | None:
    """The worst of `findings` at or above `stop_on` (`error`, `warning`, `info`; `never`: none),
    the earliest of equals; None when training should go on. An INT001 (a rule that raised) never
    stops training: it is curvelint's bug, not the run's."""
    if stop_on not in STOP_ON:
        raise ValueError(f"stop_on must be one of {', '.join(STOP_ON)}, got {stop_on!r}")
    if stop_on == "never":
        return None
    floor = Severity(stop_on).rank
    candidates = [f for f in findings if f.severity.rank >= floor and f.code != INTERNAL_ERROR[0]]
    if not candidates:
        return None
    return min(candidates, key=lambda f: (-f.severity.rank, f.epochs[0] if f.epochs else math.inf))


def describe(f: Finding) -> str:
    """One line: `warning GEN001 overfitting: <message>`."""
    return f"{f.severity} {f.code} {f.rule}: {f.message}"


def at_least(report: Report, min_severity: str | None) -> tuple[Report, dict[str, int]]:
    """(the report without findings below `min_severity`, how many of each severity that left out)."""
    if min_severity is None:
        return report, {}
    floor = Severity(min_severity).rank
    hidden = {s.value: 0 for s in Severity if s.rank < floor}
    for f in report.findings:
        if f.severity.rank < floor:
            hidden[f.severity.value] += 1
    kept = [f for f in report.findings if f.severity.rank >= floor]
    return Report(runs=report.runs, findings=kept, errors=report.errors), hidden


def _number(raw: Any) -> float | None:
    """A logged value as a float (NaN and Inf kept), None when it is not a single number."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, str):
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    try:
        arr = np.asarray(raw)  # numpy scalars, 0-d tensors
    except Exception:  # noqa: BLE001 - something that is not a number at all
        return None
    if arr.size != 1 or arr.dtype.kind not in "fiu":
        return None
    return float(arr.reshape(()))


__all__ = ["DEFAULT_BUDGET", "STOP_ON", "LiveHistory", "LiveLinter", "at_least", "describe", "finding_key",
           "should_stop"]
