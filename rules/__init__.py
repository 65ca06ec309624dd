"""curvelint's built-in rules, one module per rule, named after the rule's slug.

Registered through the `curvelint` entry-point group exactly as a team's plugin would be.
"""

from __future__ import annotations

from curvelint.hookspecs import hookimpl
from curvelint.rules.internal_error import InternalError
from curvelint.rules.nan_loss import NanLoss
from curvelint.rules.no_validation import NoValidation
from curvelint.rules.overfitting import Overfitting
from curvelint.rules.restarted_run import RestartedRun
from curvelint.rules.too_few_epochs import TooFewEpochs
from curvelint.rules.unreadable_log import UnreadableLog

BUILTIN_RULES = (
    UnreadableLog,
    TooFewEpochs,
    RestartedRun,
    NoValidation,
    NanLoss,
    Overfitting,
    InternalError,
)


@hookimpl
def curvelint_rules():
    return BUILTIN_RULES
