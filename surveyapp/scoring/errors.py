"""Domain errors of the scoring engine: messages name the field or scheme element to fix."""

from __future__ import annotations


class ScoringError(Exception):
    """Base class of the engine's errors."""


class InputError(ScoringError, ValueError):
    """An evaluation input is invalid; `field` is the dotted path of the offending value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class SchemeError(ScoringError, ValueError):
    """A scheme definition is invalid; the message names the file, the element and the problem."""
