"""The one domain error: what was refused, on which field, with which parameters.

Every service raises `DomainError` (cosmicpython's domain exceptions): a `code` from
`surveyapp.web.errors.CODES`, the dotted `field` it concerns (as the request names it:
`organization.name`, `scores.4.1.2`, `answers.fun1`) and parameters for the message. It
carries no HTTP status and no language: the web layer maps the code to a status and a
translated sentence once, for pages, the API and the CLI alike. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of a larger request: a code and its parameters."""

    code: str
    params: Mapping = field(default_factory=dict)


class DomainError(Exception):
    """A refused request; nothing was changed. `fields` lists every field's problem."""

    def __init__(
        self,
        code: str,
        field: str | None = None,
        *,
        fields: Mapping[str, Problem] | None = None,
        **params: object,
    ) -> None:
        self.code = code
        self.field = field
        self.params = params
        self.fields = dict(fields or {})
        super().__init__(f"{code}" + (f" ({field})" if field else "") + _detail(params))

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.field!r}, **{self.params!r})"


def _detail(params: Mapping) -> str:
    return (": " + ", ".join(f"{k}={v}" for k, v in params.items())) if params else ""
