"""Findings that explain others, so one problem is shown once with its symptoms folded under it.

A rule declares `Rule.explains` (slugs or codes). After every rule ran on a run, `link` marks
each finding that a root on the same run explains: its rule is listed by the root's rule and
their epochs overlap (or either has no epoch range). Roots are tried in a fixed order (higher
severity first, then catalogue order, then the order the findings were made), a finding is
either a root or explained, never both (no chains, no cycles), and a finding is never explained
by a less severe one, so what a reporter shows is never milder than what it folds away.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from curvelint.model import Finding
from curvelint.rule import Rule


def explains_map(rules: Mapping[str, type[Rule]]) -> dict[str, frozenset[str]]:
    """Code -> codes its findings explain, slugs resolved; names of rules not loaded dropped."""
    by_slug = {rule.slug: code for code, rule in rules.items()}
    out: dict[str, frozenset[str]] = {}
    for code, rule in rules.items():
        targets = frozenset(by_slug.get(name, name) for name in rule.explains) & rules.keys()
        if targets:
            out[code] = targets
    return out


def overlaps(a: Finding, b: Finding) -> bool:
    """Epoch ranges (inclusive) share an epoch; a finding without a range concerns the whole run."""
    if a.epochs is None or b.epochs is None:
        return True
    return a.epochs[0] <= b.epochs[1] and b.epochs[0] <= a.epochs[1]


def link(findings: Sequence[Finding], explains: Mapping[str, frozenset[str]], order: Sequence[str]) -> None:
    """Set `explained_by` and `explains` on one run's findings, in place.

    `order` is the catalogue order of codes (the linter's enabled rules), the tie-break between
    roots of one severity.
    """
    if not explains:
        return
    rank = {code: i for i, code in enumerate(order)}
    ranked = [findings[i] for i in sorted(
        range(len(findings)),
        key=lambda i: (-findings[i].severity.rank, rank.get(findings[i].code, len(rank)), i))]
    for root in ranked:
        targets = explains.get(root.code)
        if not targets or root.explained_by is not None:
            continue
        for other in ranked:
            if (other is root or other.code not in targets or other.explained_by is not None
                    or other.explains or other.run != root.run
                    or other.severity.rank > root.severity.rank or not overlaps(root, other)):
                continue
            other.explained_by = root.code
            root.explains.append(other)
