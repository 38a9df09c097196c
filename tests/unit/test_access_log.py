"""The access log never holds a whole survey token (issue 17)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from gunicorn.config import Config

from surveyapp.access_log import TokenMaskingLogger, mask

TOKEN = "AFYW-_3Puli5XYKeUQ0oB0OnhxBHj-I81U2yEPy6op4"


def test_mask_cuts_tokens_in_paths_and_referers():
    assert mask(f"/s/{TOKEN}") == "/s/AFYW…"
    assert mask(f"POST /api/v1/links/{TOKEN}/responses HTTP/1.1") == (
        "POST /api/v1/links/AFYW…/responses HTTP/1.1"
    )
    assert mask(f"http://127.0.0.1:5000/s/{TOKEN}/thanks") == "http://127.0.0.1:5000/s/AFYW…/thanks"
    assert mask("/campaigns/12/dashboard") == "/campaigns/12/dashboard"
    assert mask(f"/s/{TOKEN}?next=/links/{TOKEN}") == "/s/AFYW…?next=/links/AFYW…"
    assert mask("/s/short-one") == "/s/short-one"  # fewer than 16 characters: not a token
    assert mask(None) is None


def test_gunicorn_atoms_are_masked():
    logger = TokenMaskingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/s/{TOKEN}",
        "PATH_INFO": f"/s/{TOKEN}",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"http://127.0.0.1/s/{TOKEN}",
        "REMOTE_ADDR": "127.0.0.1",
    }
    resp = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)
    req = SimpleNamespace(headers=[("REFERER", f"http://127.0.0.1/s/{TOKEN}")])
    atoms = logger.atoms(resp, req, environ, dt.timedelta(seconds=0, microseconds=5))
    assert TOKEN not in " ".join(str(v) for v in atoms.values())
    assert atoms["U"] == "/s/AFYW…"
