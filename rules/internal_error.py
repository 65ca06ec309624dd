"""INT001 internal-error: reserved for a rule or plugin that raised while checking a run."""

from __future__ import annotations

from curvelint.model import Run, Severity
from curvelint.rule import Rule


class InternalError(Rule):
    code = "INT001"
    slug = "internal-error"
    severity = Severity.ERROR
    summary = "A rule or plugin raised while checking this run; the run's other rules still ran"
    remediation = "Report the bug to the rule's authors with the log; `--ignore CODE` skips that rule meanwhile."
    docs = """
## What it detects
Not a curve problem: the engine emits INT001 when a rule's `check()` raises or returns something
that is not a `Violation`. The message names the rule, the exception and where it was raised.

## Why it matters
A crashing rule must not hide the findings of the others, and must not pass silently either:
the run was not fully checked.

## Remediation
Update or fix the plugin that owns the rule; ignore that rule's code until then.

## Example
`INT001 rule ACME001 (val-accuracy-target) raised KeyError: 'val/accuracy' at acme.py:41`

## Known false positives
None of its own: it reports a rule's exception, and the bug is in that rule (or in a log shape the rule did not expect).
"""

    def check(self, run: Run, opts):
        return ()  # emitted by the engine, never by itself
