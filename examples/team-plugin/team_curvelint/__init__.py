"""Example team plugin: registers three rules through curvelint's `curvelint_rules` hook."""

from __future__ import annotations

from curvelint import hookimpl
from team_curvelint.epoch_budget import EpochBudget
from team_curvelint.val_accuracy_target import ValAccuracyTarget
from team_curvelint.warmup_policy import WarmupPolicy

#: The plugin API this package was written for; curvelint refuses a mismatch by name.
CURVELINT_PLUGIN_API = 1


@hookimpl
def curvelint_rules():
    return [ValAccuracyTarget, EpochBudget, WarmupPolicy]
