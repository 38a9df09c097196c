"""The baseline of the submit benchmark: bare Flask, parse JSON, one SQLAlchemy Core insert.

Same database kind and durability as the app under test: SQLite in WAL mode with the app's
`synchronous` setting (BENCH_BASELINE_SYNCHRONOUS, default FULL), or the same PostgreSQL server.
"""

from __future__ import annotations

import contextlib
import json
import os

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, event
from sqlalchemy.exc import DBAPIError

URL = os.environ["BENCH_BASELINE_URL"]
SYNCHRONOUS = os.environ.get("BENCH_BASELINE_SYNCHRONOUS", "FULL")

metadata = MetaData()
submissions = Table(
    "baseline_submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", String(64), unique=True),
    Column("answers", Text),
)
engine = create_engine(URL)
if URL.startswith("sqlite"):

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()


with contextlib.suppress(DBAPIError):  # the other worker may create it at the same moment
    metadata.create_all(engine)
app = Flask(__name__)


@app.get("/healthz")
def healthz():
    """Ready probe."""
    return {"status": "ok"}


@app.post("/submit")
def submit():
    """Parse the JSON body and insert one row."""
    body = request.get_json()
    with engine.begin() as c:
        new_id = c.execute(
            submissions.insert().values(
                client_id=body["client_id"], answers=json.dumps(body["answers"])
            )
        ).inserted_primary_key[0]
    return {"id": new_id}, 201
