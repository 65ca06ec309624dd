"""curvelint's built-in comparison rules (`curvelint compare`), one module per rule named after
its slug, registered through the `curvelint_compare_rules` hook exactly as a team's would be."""

from __future__ import annotations

from curvelint.compare_rules.best_better import BestBetter
from curvelint.compare_rules.best_worse import BestWorse
from curvelint.compare_rules.new_pathology import NewPathology
from curvelint.compare_rules.pathology_fixed import PathologyFixed
from curvelint.compare_rules.slower_epochs import SlowerEpochs
from curvelint.compare_rules.slower_to_best import SlowerToBest
from curvelint.hookspecs import hookimpl

# catalogue order
BUILTIN_COMPARE_RULES = (BestWorse, SlowerToBest, NewPathology, PathologyFixed, SlowerEpochs, BestBetter)

#: The plugin API this module was written for; the host refuses a mismatch by name.
CURVELINT_PLUGIN_API = 1


@hookimpl
def curvelint_compare_rules():
    return BUILTIN_COMPARE_RULES
