"""curvelint's built-in rules, one module per rule, named after the rule's slug.

Registered through the `curvelint` entry-point group exactly as a team's plugin would be.
"""

from __future__ import annotations

from curvelint.hookspecs import hookimpl
from curvelint.rules.distribution_shift import DistributionShift
from curvelint.rules.divergence import Divergence
from curvelint.rules.generalization_gap import GeneralizationGap
from curvelint.rules.internal_error import InternalError
from curvelint.rules.leakage_suspected import LeakageSuspected
from curvelint.rules.loss_spike import LossSpike
from curvelint.rules.lr_not_decayed import LrNotDecayed
from curvelint.rules.nan_loss import NanLoss
from curvelint.rules.no_learning import NoLearning
from curvelint.rules.no_validation import NoValidation
from curvelint.rules.noisy_curve import NoisyCurve
from curvelint.rules.not_converged import NotConverged
from curvelint.rules.nothing_checked import NothingChecked
from curvelint.rules.oscillation import Oscillation
from curvelint.rules.overconfidence import Overconfidence
from curvelint.rules.overfitting import Overfitting
from curvelint.rules.premature_stop import PrematureStop
from curvelint.rules.restarted_run import RestartedRun
from curvelint.rules.slow_convergence import SlowConvergence
from curvelint.rules.stuck_metric import StuckMetric
from curvelint.rules.too_few_epochs import TooFewEpochs
from curvelint.rules.underfitting import Underfitting
from curvelint.rules.unreadable_log import UnreadableLog
from curvelint.rules.val_better_than_train import ValBetterThanTrain
from curvelint.rules.val_plateau import ValPlateau
from curvelint.rules.wasted_epochs import WastedEpochs

# catalogue order (docs/rules.md)
BUILTIN_RULES = (
    UnreadableLog,
    TooFewEpochs,
    RestartedRun,
    NoValidation,
    NothingChecked,
    NanLoss,
    Divergence,
    LossSpike,
    NoLearning,
    SlowConvergence,
    Oscillation,
    NotConverged,
    LrNotDecayed,
    NoisyCurve,
    Overfitting,
    GeneralizationGap,
    ValPlateau,
    Underfitting,
    Overconfidence,
    StuckMetric,
    LeakageSuspected,
    ValBetterThanTrain,
    DistributionShift,
    WastedEpochs,
    PrematureStop,
    InternalError,
)


#: The plugin API this module was written for; the host refuses a mismatch by name.
CURVELINT_PLUGIN_API = 1

@hookimpl
def curvelint_rules():
    return BUILTIN_RULES
