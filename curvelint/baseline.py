"""The baseline of known findings: adopt curvelint on old logs and fail only on new findings.

`curvelint check --write-baseline FILE` records how many findings each rule has on each run;
`--baseline FILE` (config key `baseline`) hides that many again and reports the rest as new.
Counts, not epochs: a rule's wording or epoch range may shift a little between versions, and a
run that is re-read or re-linted must still match. Per (run id, code) the first N findings in
report order are hidden, where N is the recorded count; findings beyond N are new.

Run ids are what the report calls the runs: paths relative to the linted path (`curvelint check
runs` names `runs/a` "a"), so the same command matches from any working directory. The file is
JSON, versioned, with sorted keys and a trailing newline, so it diffs cleanly in review:

    {"version": 1, "tool": "curvelint",
     "rules": {"GEN001": "overfitting"},
     "findings": {"a": {"GEN001": 2}}}

`rules` is a legend for people reading the file; matching uses the codes only.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace

from curvelint.config import ConfigError
from curvelint.model import Report, plural

VERSION = 1
TOOL = "curvelint"
#: What `--write-baseline` is usually given; the docs and error messages name it.
DEFAULT_NAME = "curvelint-baseline.json"
#: Stale entries a summary names; the others are counted ("and 3 more").
STALE_SHOWN = 5


@dataclass
class Baseline:
    """A loaded baseline: how many findings of each code each run had when it was written."""

    path: str
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    #: code -> slug, as written (for people; not used to match).
    rules: dict[str, str] = field(default_factory=dict)

    @property
    def runs(self) -> set[str]:
        return {run for run, _ in self.counts}


@dataclass(frozen=True)
class Stale:
    """A baseline entry that no longer occurs as often as recorded: fixed, or a run gone."""

    run: str
    code: str
    recorded: int
    found: int

    def __str__(self) -> str:
        return f"{self.code} in {self.run} ({self.recorded} recorded, {self.found} now)"

    def text(self, space: str = " ") -> str:
        """`str(self)` with `space` between its words (a no-break space keeps an entry on one line)."""
        return str(self).replace(" ", space)


@dataclass
class BaselineResult:
    """What applying a baseline did, for the reporters' summary and the JSON report."""

    #: The baseline file as the user sees it (relative to the working directory when beneath it).
    path: str
    hidden: int = 0
    stale: list[Stale] = field(default_factory=list)
    #: Runs the baseline has entries for that this lint did not see at all, and the ids it saw:
    #: a baseline whose runs are all missing was probably written for other paths.
    missing_runs: list[str] = field(default_factory=list)
    recorded_runs: int = 0
    linted_runs: list[str] = field(default_factory=list)

    def stale_text(self, limit: int = STALE_SHOWN, space: str = " ") -> str:
        """`GEN001 in a (2 recorded, 0 now), ... and 3 more`, the first `limit` entries named."""
        named = ", ".join(s.text(space) for s in self.stale[:limit])
        more = len(self.stale) - limit
        return named + (f" and {more:,} more" if more > 0 else "")

    def summary(self, space: str = " ") -> str:
        """`3 findings hidden by baseline FILE` and, when some entries no longer occur, which
        (the words of each entry joined by `space`)."""
        text = f"{plural(self.hidden, 'finding')} hidden by baseline {self.path}"
        if self.stale:
            n = len(self.stale)
            entries = f"{n:,} baseline entry no longer occurs" if n == 1 else f"{n:,} baseline entries no longer occur"
            drops = "drops it" if n == 1 else "drops them"
            text += f"; {entries}: {self.stale_text(space=space)} (`--write-baseline {self.path}` {drops})"
        return text

    def mismatch(self) -> str | None:
        """A warning when none of the baseline's runs was linted although runs were: the ids are
        relative to the linted paths, so it was most likely written for other paths."""
        if not self.recorded_runs or len(self.missing_runs) < self.recorded_runs or not self.linted_runs:
            return None
        return (f"none of the {plural(self.recorded_runs, 'run')} in baseline {self.path} was linted "
                f"(it has e.g. {self.missing_runs[0]!r}, this lint {self.linted_runs[0]!r}); run ids are relative "
                "to the paths given to `curvelint check`, so lint the paths the baseline was written for")

    def to_dict(self) -> dict:
        """The `baseline` object of the JSON report."""
        return {"path": self.path, "hidden": self.hidden,
                "stale": [{"run": s.run, "code": s.code, "recorded": s.recorded, "found": s.found} for s in self.stale]}


def document(report: Report) -> dict:
    """The baseline of `report`: every finding of every severity counted per run and code, so
    changing `--min-severity` or `--fail-on` later needs no new baseline."""
    counts = Counter((f.run, f.code) for f in report.findings)
    findings: dict[str, dict[str, int]] = {}
    for (run, code), n in sorted(counts.items()):
        findings.setdefault(run, {})[code] = n
    rules = {f.code: f.rule for f in sorted(report.findings, key=lambda f: f.code)}
    return {"version": VERSION, "tool": TOOL, "rules": rules, "findings": findings}


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write(report: Report, path: str) -> tuple[int, int]:
    """Write the baseline of `report` to `path`; (findings, runs) recorded.

    Refuses to overwrite a file that is not a curvelint baseline (a log named by mistake, as in
    `--write-baseline runs/a/training.log`). Written to a temporary file and renamed, so an
    interrupted write never leaves half a baseline. Raises ConfigError naming the file."""
    if os.path.isdir(path):
        raise ConfigError(f"cannot write baseline {path}: it is a directory (give a file, e.g. {DEFAULT_NAME})")
    if os.path.exists(path) and not _is_baseline(path):
        raise ConfigError(f"{path} exists and is not a curvelint baseline; not overwriting it "
                          f"(give another file, e.g. {DEFAULT_NAME})")
    doc = document(report)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(dumps(doc))
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ConfigError(f"cannot write baseline {path}: {exc.strerror}") from None
    return len(report.findings), len(doc["findings"])


def _is_baseline(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("tool") == TOOL and "findings" in doc


def load(path: str) -> Baseline:
    """Read a baseline; raises ConfigError naming the file and what is wrong with it."""
    hint = f"write one with `curvelint check PATH --write-baseline {path}`"
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"baseline {path}: no such file ({hint})") from None
    except IsADirectoryError:
        raise ConfigError(f"baseline {path}: is a directory, not a baseline file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"baseline {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"baseline {path}: invalid JSON: {exc} (regenerate it: {hint})") from None
    if not isinstance(doc, dict) or doc.get("tool") != TOOL:
        raise ConfigError(f"baseline {path}: not a curvelint baseline (expected a JSON object with "
                          f'"tool": "{TOOL}"; {hint})')
    version = doc.get("version")
    if version != VERSION:
        raise ConfigError(f"baseline {path}: version {version!r} is not supported (this curvelint reads "
                          f"version {VERSION}; regenerate it: {hint})")
    findings = doc.get("findings")
    if not isinstance(findings, dict):
        raise ConfigError(f'baseline {path}: "findings" must be an object of run id -> {{code: count}}')
    counts: dict[tuple[str, str], int] = {}
    for run, codes in findings.items():
        if not isinstance(codes, dict):
            raise ConfigError(f'baseline {path}: findings.{run}: expected an object of code -> count, got {codes!r}')
        for code, n in codes.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ConfigError(f"baseline {path}: findings.{run}.{code}: expected a count of at least 1, got {n!r}")
            counts[(run, code)] = n
    rules = doc.get("rules") or {}
    return Baseline(path=path, counts=counts, rules=dict(rules) if isinstance(rules, dict) else {})


def apply(report: Report, baseline: Baseline, shown_path: str | None = None) -> tuple[Report, BaselineResult]:
    """(the report without the known findings, what was hidden and which entries are stale).

    Per (run, code) the first `recorded` findings in report order are hidden. A kept finding
    that explains hidden ones is copied with only its kept symptoms, so no format names a
    finding it does not show (the copies keep pointing at each other: `fold` matches by identity).
    """
    remaining = dict(baseline.counts)
    kept = []
    for f in report.findings:
        key = (f.run, f.code)
        if remaining.get(key, 0) > 0:
            remaining[key] -= 1
        else:
            kept.append(f)
    copies = {id(f): replace(f) for f in kept}
    for f in kept:
        copies[id(f)].explains = [copies[id(g)] for g in f.explains if id(g) in copies]
    filtered = Report(runs=report.runs, findings=[copies[id(f)] for f in kept], errors=report.errors)

    found = Counter((f.run, f.code) for f in report.findings)
    stale = [Stale(run, code, n, found[(run, code)]) for (run, code), n in sorted(baseline.counts.items())
             if n > found[(run, code)]]
    linted = [r.id for r in report.runs]
    ids = set(linted)
    missing = sorted(run for run in baseline.runs if run not in ids)
    result = BaselineResult(path=shown_path or baseline.path, hidden=len(report.findings) - len(kept), stale=stale,
                            missing_runs=missing, recorded_runs=len(baseline.runs), linted_runs=linted)
    return filtered, result
