"""What a rule is: its declaration (code, slug, severity, needs, options, docs) and its verdicts.

Built-in rules in `rules/` and team plugins subclass `Rule` the same way. A rule returns
`Violation`s; the engine turns them into `Finding`s (adding code, run, severity, location), so a
rule only has to say what it saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar, Iterable, Mapping

from curvelint.model import Run, Severity

CODE_RE = re.compile(r"^[A-Z]{1,4}[0-9]{3,4}$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it detects", "Why it matters", "Remediation", "Example")


@dataclass(frozen=True)
class Option:
    """A named, documented threshold. The type is the default's type (int accepted for float),
    or `type` when the default is None (an option the team must set before the rule fires)."""

    default: Any
    help: str
    type: type | None = None

    def coerce(self, value: Any, *, where: str) -> Any:
        kind = self.type or type(self.default)
        if value is None and self.default is None:
            return None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if kind is bool and not isinstance(value, bool):
            raise ValueError(f"{where}: expected true/false, got {value!r}")
        if kind is tuple and isinstance(value, list):
            return tuple(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{where}: expected {kind.__name__}, got {value!r}")
        return value


@dataclass
class Violation:
    """What a rule saw: a message with numbers, the epochs and series it concerns, the evidence.

    `epochs` is (first, last) epoch of the problem, 0-based as Keras' CSVLogger writes them; the
    first one is where reporters point (CSV line, annotation).
    """

    message: str
    epochs: tuple[int, int] | None = None
    series: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: str | None = None
    severity: Severity | None = None
    path: str | None = None
    line: int | None = None


class Rule:
    """Base class for every rule. Subclasses set the class attributes and implement `check`.

    `needs` lists the epoch-level series keys (`train/loss`, `val/loss`, ...) the rule cannot
    work without; the engine skips the rule on runs that lack any of them.

    `explains` lists rules (slugs or codes, built-in or from any plugin) whose findings are
    symptoms of this rule's finding, so the user sees one problem instead of five: when both
    fire on one run with overlapping epochs (or either has no epoch range), the engine sets the
    other finding's `explained_by` to this rule's code and reporters show it as `also: CODE`
    under this one. Names of rules that are not loaded are ignored.
    """

    code: ClassVar[str]
    slug: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()
    explains: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[Mapping[str, Option]] = {}
    remediation: ClassVar[str]
    #: The same advice in other frameworks' words, by `curvelint.series.framework` name
    #: (`lightning`, `pytorch`, `hf`); `remediation` is the Keras one and the fallback.
    remediations: ClassVar[Mapping[str, str]] = {}
    docs: ClassVar[str]

    def check(self, run: Run, opts: SimpleNamespace) -> Iterable[Violation]:
        raise NotImplementedError

    @classmethod
    def remediation_for(cls, run: Run) -> str:
        """The remediation in the words of the framework that wrote `run`."""
        if not cls.remediations:
            return cls.remediation
        from curvelint.series import framework

        return cls.remediations.get(framework(run), cls.remediation)

    @classmethod
    def default_options(cls) -> SimpleNamespace:
        return SimpleNamespace(**{k: o.default for k, o in cls.options.items()})

    @classmethod
    def declaration_problems(cls) -> list[str]:
        """Why this class is not a usable rule (empty when it is); checked at load time."""
        problems = []
        for attr in ("code", "slug", "severity", "summary", "remediation", "docs"):
            if not getattr(cls, attr, None):
                problems.append(f"missing {attr}")
        if problems:
            return problems
        if not CODE_RE.match(cls.code):
            problems.append(f"code {cls.code!r} is not 1-4 capital letters and 3-4 digits (e.g. ACME001)")
        if not SLUG_RE.match(cls.slug):
            problems.append(f"slug {cls.slug!r} is not lower-case-with-dashes")
        if not isinstance(cls.severity, Severity):
            problems.append("severity is not a curvelint.Severity")
        for name, opt in cls.options.items():
            if not isinstance(opt, Option):
                problems.append(f"option {name!r} is not a curvelint.rule.Option")
        if not isinstance(cls.explains, tuple) or not all(isinstance(x, str) for x in cls.explains):
            problems.append("explains is not a tuple of rule slugs or codes")
        return problems


def doc_sections(docs: str) -> dict[str, str]:
    """Split a rule's docs into its `## Section` blocks."""
    out: dict[str, str] = {}
    current = None
    for line in docs.strip().splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = ""
        elif current is not None:
            out[current] += line + "\n"
    return {k: v.strip() for k, v in out.items()}
