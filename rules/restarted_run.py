"""LOG003 restarted-run: epoch numbering restarts or repeats inside one log."""

from __future__ import annotations

from curvelint.model import Run, Severity, keras_name
from curvelint.rule import Rule, Violation


class RestartedRun(Rule):
    code = "LOG003"
    slug = "restarted-run"
    severity = Severity.INFO
    summary = "Epoch numbering restarts or repeats (appended CSVLogger, resumed TensorBoard run)"
    remediation = ("When resuming, pass `initial_epoch=<last epoch + 1>` to `model.fit` so epochs "
                   "continue; or give each attempt its own log (`CSVLogger(append=False)`, a new "
                   "TensorBoard `log_dir`).")
    docs = """
## What it detects
A series whose epoch (or step) number goes back: `CSVLogger(append=True)` on a second `fit()`
without `initial_epoch`, a TensorBoard run resumed from a checkpoint, or two runs written to one
file.

## Why it matters
Concatenated attempts draw a saw-tooth that looks like divergence or spikes. curvelint resolves
the restart the way TensorBoard does (a later attempt replaces the epochs it repeats) and judges
that view; this finding says which epochs were analysed, so nobody is surprised.

## Remediation
Resume with `model.fit(..., initial_epoch=N)`, or write each attempt to its own file or
`log_dir`.

## Example
`loss restarts 1 time (29→0 at line 32); analysed 15 of 45 logged epochs (0–14), later attempts replacing the epochs they repeat`

## Known false positives
A log whose epoch column counts something else than epochs (folds, a per-phase counter) restarts by design.
"""

    def check(self, run: Run, opts):
        restarted = [c for c in run.select() if c.restarts.size]
        if not restarted:
            return
        by_key = {c.key: c for c in restarted}
        curve = by_key.get("train/loss") or by_key.get("val/loss") or min(restarted, key=lambda c: c.key)
        details = []
        for i in curve.restarts[:5].tolist():
            where = f" at line {int(curve.lines[i])}" if curve.lines is not None else ""
            details.append(f"{int(curve.step[i - 1])}→{int(curve.step[i])}{where}")
        more = f", {curve.restarts.size - 5} more" if curve.restarts.size > 5 else ""
        resolved = curve.resolved
        first, last = int(resolved.step[0]), int(resolved.step[-1])
        n = int(curve.restarts.size)
        line = int(curve.lines[curve.restarts[0]]) if curve.lines is not None else None
        yield Violation(
            message=(f"{keras_name(curve.key)} restarts {n} time{'s' if n != 1 else ''} ({', '.join(details)}{more}); "
                     f"analysed {len(resolved)} of {len(curve)} logged epochs ({first}–{last}), "
                     "later attempts replacing the epochs they repeat"),
            epochs=(first, last), series=(curve.key,), path=curve.source, line=line,
            evidence={"restarts": n, "logged_points": len(curve), "analysed_points": len(resolved),
                      "analysed_epochs": [first, last]},
        )
