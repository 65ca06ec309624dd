"""Reporters turn a `Report` into text for a person, a CI system or a program."""

from curvelint.reporters.base import Context, Reporter

__all__ = ["Context", "Reporter"]
