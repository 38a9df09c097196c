"""Domain errors of the scoring engine: messages name the field or scheme element to fix."""

from __future__ import annotations


class ScoringError(Exception):
    """Base class of the engine's errors."""


class InputError(ScoringError, ValueError):
    """An evaluation input is invalid; `field` is the dotted path of the offending value."""

    def __init__(self, field: str, message: str, code: str | None = None, **params) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        #: for the people who read it: a sentence code of surveyapp.messages and its parameters
        #: (the CLI and the API keep `message`, the engine's own words)
        self.code = code
        self.params = params


class SchemeError(ScoringError, ValueError):
    """A scheme definition is invalid; the message names the file, the element and the problem."""
