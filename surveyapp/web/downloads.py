"""Sending an export: one response shape for every format the export registry holds."""

from __future__ import annotations

from flask import Response, stream_with_context

from ..exports import registry
from ..services.exports import Download


def send(download: Download, **headers: str) -> Response:
    """The download as a streamed attachment with its format's own Content-Type (one charset)."""
    return Response(
        stream_with_context(download.body),
        content_type=download.media_type,
        headers={"Content-Disposition": download.disposition, **headers},
    )


def xlsx_type() -> str:
    """The Content-Type the export registry sends XLSX files with."""
    return registry.get("xlsx").media_type
