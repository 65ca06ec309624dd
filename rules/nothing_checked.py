"""LOG005 nothing-checked: the run logged series, but no selected curve rule can read any of them.

Without it, a run whose metrics carry names curvelint does not know (`cls_loss`, `box_loss`, a
custom column) gets no finding and looks fine: green because nothing was looked at. The engine
runs this rule after the others and hands it the rules selected for the run, so it can say
whether any of them had something to judge.

"Can read" is decided from what rules declare, not from whether they found something:
- a rule with `needs` can read a run that has every series it needs;
- a rule may declare `reads` (series-key globs such as `"val/*"`) for the series it looks at;
- the built-in rules without `needs` are listed in `_BUILTIN_READS`;
- any other rule is assumed to read the training or validation loss or the monitored series.
Rules about the log itself (LOG*, INT001, nan-loss, which looks at every series only for
non-finite values) do not count: a file checked for NaN has not had its curves judged.
"""

from __future__ import annotations

import fnmatch
from typing import Callable, Iterable

from curvelint.model import IN_PROGRESS, Run, Severity
from curvelint.rule import Rule, Violation

#: Rules about the log (readable, long enough, restarted, validated, finite), not its curves.
LOG_RULES = frozenset({"LOG001", "LOG002", "LOG003", "LOG004", "LOG005", "INT001", "NUM001"})

#: Words stuck-metric (DAT001) looks for in a series name.
_STUCK_WORDS = ("accuracy", "auc", "precision", "recall", "f1", "iou", "dice")


def _monitored(run: Run) -> bool:
    """The fit rules judge the monitored series: the configured `monitor`, else `val/loss`, else
    a validation metric whose name tells its direction."""
    from curvelint.stats import stats

    return stats(run).monitor is not None


def _loss(run: Run) -> bool:
    return run.has("train/loss") or run.has("val/loss")


def _standard(run: Run) -> bool:
    return _loss(run) or _monitored(run)


def _stuck(run: Run) -> bool:
    return any(any(w in c.name for w in _STUCK_WORDS) for c in run.select())


#: What the built-in rules that declare no `needs` read (their `check` decides from these).
_BUILTIN_READS: dict[str, Callable[[Run], bool]] = {
    "overfitting": _monitored,
    "wasted-epochs": _monitored,
    "premature-stop": _monitored,
    "not-converged": _loss,
    "noisy-curve": _loss,
    "stuck-metric": _stuck,
}


def can_read(rule: type[Rule], run: Run) -> bool:
    """Whether `rule` has something in `run` to judge (see the module docstring)."""
    reads = getattr(rule, "reads", None)
    if reads:
        return any(fnmatch.fnmatchcase(key, pattern) for key in run.series for pattern in reads)
    if rule.needs:
        return all(run.has(key) for key in rule.needs)
    judge = _BUILTIN_READS.get(rule.slug) if _is_builtin(rule) else None
    return (judge or _standard)(run)


def _is_builtin(rule: type[Rule]) -> bool:
    return rule.__module__.startswith("curvelint.rules.")


def curve_rules(rules: Iterable[type[Rule]]) -> list[type[Rule]]:
    """The rules that judge curves (everything but the LOG_RULES)."""
    return [r for r in rules if r.code not in LOG_RULES]


class NothingChecked(Rule):
    code = "LOG005"
    slug = "nothing-checked"
    severity = Severity.WARNING
    summary = "Series were logged, but no selected rule can read any of them"
    #: The engine runs this rule after the others and passes `rules=` (those selected for the run).
    judges_selection = True
    remediation = ("Map the logged names to the series curvelint reads in `[tool.curvelint.series]` "
                   "(e.g. `\"cls_loss\" = \"train/loss\"`, `\"val_cls_loss\" = \"val/loss\"`), or set "
                   "`monitor = \"<validation series>\"` to have the fit rules judge one of them.")
    docs = """
## What it detects
A run that logged epoch-level series none of the selected curve rules can read: no training
or validation loss (`loss`, `val_loss` and the names curvelint normalizes to them), no
validation metric whose name tells its direction (`val_accuracy`, `val_auc`, `val_mae`, ...),
no configured `monitor` series, no accuracy-like metric. Typical causes are prefixed names of
a train-only log (`cls_loss`, `box_loss`), custom columns, and a `--select` that picked only
rules needing series the run does not have. The message names the series it saw. Rules about
the log itself (LOG001-LOG004, INT001, nan-loss) do not count as having checked the curves.
When the selection holds no curve rule at all (`--select LOG`), the whole built-in catalogue is
asked instead. A run with no epoch-level series at all is left to LOG001 and LOG002.

Not judged while the run is still training (`Run.meta["in_progress"]`, set by the Keras
callback; see docs/during-training.md): the final lint judges it.

## Why it matters
Every other rule stays silent on such a run, so it passes as if it were fine: a green result
that means "not looked at", not "checked and fine".

## Remediation
Tell curvelint what the series are: `[tool.curvelint.series]` maps a logged name to the key the
rules read (`"box_loss" = "train/loss"`, `"val_box_loss" = "val/loss"`), and `monitor =
"val_my_score"` (with `mode`) names the validation series the fit rules judge. With `--select`,
add rules that read what the run logs.

## Example
`2 series logged (box_loss, seg_loss) but no rule reads any of them: the curve rules read loss and val_loss, a validation metric whose name tells its direction (val_accuracy, val_mae, ...) or the monitor series`

## Known false positives
A plugin rule that declares neither `needs` nor `reads` is assumed to read the loss or the
monitored series; if it reads something else, the run is reported although that rule judged it.
"""

    def check(self, run: Run, opts, rules: Iterable[type[Rule]] | None = None):
        if run.meta.get(IN_PROGRESS):
            return  # series can still appear (the first validation epoch, a metric logged later)
        logged = list(run.select())
        if not logged:
            return  # no epoch-level series at all: LOG001 or LOG002 says so
        from curvelint.rules import BUILTIN_RULES

        catalogue = curve_rules(BUILTIN_RULES)
        selected = curve_rules(rules) if rules is not None else []
        if not selected:
            selected = catalogue  # no curve rule selected (`--select LOG`): could any rule read it?
        if any(can_read(rule, run) for rule in selected):
            return
        from curvelint.series import logged_name

        codes = {r.code for r in selected}
        narrowed = not {r.code for r in catalogue} <= codes
        names = [logged_name(run, c.key) for c in logged]
        shown = ", ".join(names[:6]) + (f", {len(names) - 6} more" if len(names) > 6 else "")
        evidence = {"series": [c.key for c in logged], "logged_names": names,
                    "rules": sorted(codes) if narrowed else []}
        if narrowed and any(can_read(rule, run) for rule in catalogue):
            chosen = ", ".join(sorted(codes)[:6]) + (", ..." if len(codes) > 6 else "")
            yield Violation(
                message=(f"{len(names)} series logged ({shown}) but none of the selected rules ({chosen}) can read "
                         "any of them; other rules of the catalogue can"),
                series=tuple(c.key for c in logged), evidence=evidence,
                remediation="Widen the selection (`--extend-select`, or drop `--select`) to rules that read what this run logs.")
            return
        who = f"none of the selected rules ({', '.join(sorted(codes)[:6])}{', ...' if len(codes) > 6 else ''})" if narrowed else "no rule"
        yield Violation(
            message=(f"{len(names)} series logged ({shown}) but {who} reads any of them: the curve rules read loss and "
                     "val_loss, a validation metric whose name tells its direction (val_accuracy, val_mae, ...) or the "
                     "monitor series"),
            series=tuple(c.key for c in logged), remediation=_remediation(run, logged), evidence=evidence,
        )


def _remediation(run: Run, logged: list) -> str:
    """The generic advice with a mapping example built from this run's own names."""
    from curvelint.series import logged_name

    examples = []
    for split in ("train", "val"):
        curve = next((c for c in logged if c.split == split and "loss" in c.name.lower()), None)
        if curve is not None:
            examples.append(f'"{logged_name(run, curve.key)}" = "{split}/loss"')
    if not examples:
        curve = logged[0]
        examples.append(f'"{logged_name(run, curve.key)}" = "{curve.split}/<name rules read, e.g. loss>"')
    return ("Map the logged names to the series curvelint reads in `[tool.curvelint.series]` "
            f"({', '.join(f'`{e}`' for e in examples)}), or set `monitor = \"<validation series>\"` "
            "to have the fit rules judge one of them.")
