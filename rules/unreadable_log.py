"""LOG001 unreadable-log: a file that looks like a training log but cannot be parsed."""

from __future__ import annotations

from curvelint.model import Run, Severity
from curvelint.rule import Rule, Violation


class UnreadableLog(Rule):
    code = "LOG001"
    slug = "unreadable-log"
    severity = Severity.ERROR
    summary = "A training log that cannot be parsed (truncated or corrupt records, bad JSON/CSV)"
    remediation = ("Fix or regenerate the file at the position named; if the run is still "
                   "writing it, lint again when it finishes. Other runs were linted as usual.")
    docs = """
## What it detects
A file that a reader recognised as a training log (by its name and first bytes) but could not
read completely: invalid JSON, a CSV row with the wrong number of cells or text where a number
belongs, an event-file record with a bad CRC, a zero-byte file. A file still being written (an
event file that ends inside a record) is reported at `info` severity.

## Why it matters
Every other rule judges the curves it was given. If part of a log is unreadable, those verdicts
rest on partial data, and a run you think was linted may not have been.

## Remediation
Open the file at the reported line or byte offset. CSVLogger files corrupted by two processes
appending at once, or history JSON written with `json.dump(str(history.history))`, are common
causes. Regenerate the log if you can.

## Example
`runs/a/training.log:17: LOG001 'val_loss' is 'nan%', not a number`

## Known false positives
A file named like a log that is something else (a CSV of data beside the logs) is reported when its head looks like a log; exclude it with `exclude = [...]`.
"""

    def check(self, run: Run, opts):
        for p in run.problems:
            yield Violation(message=f"{p.message} ({p.position})", path=p.path, line=p.line,
                            severity=p.severity, evidence={"offset": p.offset} if p.offset is not None else {})
