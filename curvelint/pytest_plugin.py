"""pytest fixtures for rule authors, registered through the `pytest11` entry point.

    def test_my_rule(curvelint_check):
        findings = curvelint_check("ACME001", {"train/loss": [1, .5, .3]}, threshold=0.2)
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import pytest

from curvelint.model import Finding
from curvelint.testing import check_rule, make_run


@pytest.fixture
def curvelint_check() -> Callable[..., list[Finding]]:
    """`(rule, series, **options) -> findings`: one rule (code or slug) on a run made from lists."""

    def run(rule: str, series: Mapping[str, Any], **options: Any) -> list[Finding]:
        return check_rule(rule, make_run(series), **options)

    return run
