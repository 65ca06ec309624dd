"""LOG003 restarted-run: epoch numbering restarts or repeats inside one log, and what was made of it."""

from __future__ import annotations

from curvelint.attempts import CONTINUATION, FRESH, RESUME, Boundary, Plan
from curvelint.model import Run, Severity, keras_name
from curvelint.rule import Rule, Violation
from curvelint.series import num, points

#: Trainings listed by number in the message; the rest are counted.
_LISTED = 6


class RestartedRun(Rule):
    code = "LOG003"
    slug = "restarted-run"
    severity = Severity.INFO
    summary = "Epoch numbering restarts or repeats (appended CSVLogger, resumed TensorBoard run, several fits in one history)"
    remediation = ("When resuming, pass `initial_epoch=<last epoch + 1>` to `model.fit` so epochs "
                   "continue; or give each attempt its own log (`CSVLogger(append=False)`, a new "
                   "TensorBoard `log_dir`).")
    docs = """
## What it detects
A series whose epoch (or step) number goes back: `CSVLogger(append=True)` on a second `fit()`
without `initial_epoch`, a TensorBoard run resumed from a checkpoint, a JSON dict holding several
`fit()` histories, or two trainings written to one file.

## Why it matters
Concatenated attempts draw a saw-tooth that looks like divergence or spikes, and keeping only the
last attempt hides the others. curvelint reads each restart by its numbers:

- epochs going back to k > 0 (or repeating a range) are a **resume**: the later epochs replace
  the ones they repeat, nothing else is dropped;
- epochs restarting at 0 while the loss and metrics carry on from where they were (within a few
  epochs' worth of their own epoch-to-epoch movement, and nearer that than the start) are a
  **continuation** of the same model: one history, the new epochs renumbered after the old;
- epochs restarting at 0 with the level going back are a **new training**: each is linted as its
  own run, `<id>#1`, `<id>#2`, ... (a run built in memory is analysed on its latest training).

This finding says which it was, which epochs were analysed, and, for split logs, which run is which.

## Remediation
Resume with `model.fit(..., initial_epoch=N)`, or write each attempt to its own file or
`log_dir`.

## Example
`loss restarts 1 time (29→0 at line 32): the same training continued (loss carries on: 0.0516 → 0.0539, 1.5x its epoch-to-epoch movement), renumbered after the epochs before it; analysed all 45 epochs logged (0–44) as one history`

## Known false positives
A log whose epoch column counts something else than epochs (folds, a per-phase counter) restarts
by design; folds are new trainings and are linted apart. A continuation whose learning rate or
data changed so much that its level jumps is taken for a new training.
"""

    def check(self, run: Run, opts):
        of = run.attempt_of
        plan = of.plan if of is not None else run.plan
        if not plan.boundaries or plan.reference is None:
            return
        ref = plan.reference
        name = keras_name(ref)
        n = len(plan.boundaries)
        details = [f"{b.before}→{b.after}" + (f" at line {b.line}" if b.line is not None else "")
                   for b in plan.boundaries[:5]]
        more = f", {n - 5} more" if n > 5 else ""
        clauses = _clauses(run, plan, name, where=n > 1)
        analysed = run.get(ref)
        first, last = int(analysed.step[0]), int(analysed.step[-1])
        trainings = len(plan.attempts)
        if of is not None:
            listing = ", ".join(_listed(run, plan))
            tail = (f"{trainings} trainings, each linted as its own run ({listing}); this run is "
                    f"#{of.number}, {points(run, len(analysed))} ({first}–{last})")
        elif trainings > 1:
            tail = (f"only the latest of {trainings} trainings is analysed: {len(analysed)} of "
                    f"{points(run, plan.logged)} logged ({first}–{last})")
        elif len(analysed) == plan.logged:
            tail = f"analysed all {points(run, plan.logged)} logged ({first}–{last}) as one history"
        else:
            tail = f"analysed {len(analysed)} of {points(run, plan.logged)} logged ({first}–{last}) as one history"
        starting = _starting_boundary(plan, of.number if of is not None else 1)
        curve = run.raw(ref)
        yield Violation(
            message=f"{name} restarts {n} time{'s' if n != 1 else ''} ({', '.join(details)}{more}): {'; '.join(clauses)}; {tail}",
            epochs=(first, last), series=(ref,), path=curve.source if curve is not None else None,
            line=starting.line if starting is not None else None,
            evidence={"restarts": n, "kinds": [b.kind for b in plan.boundaries], "logged_points": plan.logged,
                      "analysed_points": len(analysed), "analysed_epochs": [first, last],
                      "trainings": trainings, **({"training": of.number} if of is not None else {})},
        )


def _times(k: int, what: str) -> str:
    return what if k == 1 else f"{what} {k} times"


def _clauses(run: Run, plan: Plan, name: str, where: bool) -> list[str]:
    """One clause per kind of restart, in the order they first occur, with the numbers of the first."""
    out = []
    for kind in dict.fromkeys(b.kind for b in plan.boundaries):
        of_kind = [b for b in plan.boundaries if b.kind == kind]
        k = len(of_kind)
        if kind == RESUME:
            replaced = sum(b.replaced for b in of_kind)
            out.append(f"{_times(k, 'resumed from a checkpoint')}, the later epochs replacing the "
                       f"{points(run, replaced)} they repeat")
        elif kind == CONTINUATION:
            out.append(f"{_times(k, 'the same training continued')} ({_evidence(of_kind[0], where)}), "
                       "renumbered after the epochs before it")
        else:
            out.append(f"{'a new training starts' if k == 1 else f'{k} new trainings start'} "
                       f"({_evidence(of_kind[0], where)})")
    return out


def _evidence(b: Boundary, where: bool) -> str:
    """The deciding series' numbers; `where` adds the line when the log restarts more than once."""
    at = f" at line {b.line}" if where and b.line is not None else ""
    e = b.deciding()
    if e is None:
        return "every series flat across it" if b.kind == CONTINUATION else "nothing finite to compare across it"
    shown = keras_name(e.key)
    if b.kind == CONTINUATION:
        return f"{shown} carries on: {num(e.before)} → {num(e.after)}{at}, {e.moves:.2g}x its epoch-to-epoch movement"
    return f"{shown} starts again at {num(e.after)}{at} after {num(e.before)}, the training having begun at {num(e.start)}"


def _listed(run: Run, plan: Plan) -> list[str]:
    out = []
    for a in plan.attempts[:_LISTED]:
        size = len(a.analysed) if a.analysed is not None else a.logged
        where = f", lines {a.lines[0]}–{a.lines[1]}" if a.lines is not None else ""
        out.append(f"#{a.number}: {points(run, size)}{where}")
    if len(plan.attempts) > _LISTED:
        out.append(f"{len(plan.attempts) - _LISTED} more")
    return out


def _starting_boundary(plan: Plan, number: int) -> Boundary | None:
    """The restart that begins training `number` (for #1, the log's first restart)."""
    if number > 1:
        fresh = [b for b in plan.boundaries if b.kind == FRESH]
        if len(fresh) >= number - 1:
            return fresh[number - 2]
    return plan.boundaries[0] if plan.boundaries else None
