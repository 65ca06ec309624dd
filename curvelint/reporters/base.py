"""The reporter contract, shared by built-in and plugin reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from curvelint.model import Report


@dataclass
class Context:
    """What a reporter may need besides the report itself."""

    color: bool = False
    statistics: bool = False
    rules: Mapping[str, Any] = field(default_factory=dict)


class Reporter:
    name: ClassVar[str]
    #: One line for `--help` and `curvelint plugins`.
    description: ClassVar[str] = ""

    def render(self, report: Report, ctx: Context) -> str:
        raise NotImplementedError
