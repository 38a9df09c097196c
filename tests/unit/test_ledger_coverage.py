"""Coverage by construction: every column of every table is recorded by the ledger or exempt
with a reason, so a new column cannot slip past verify-ledger unnoticed."""

from sqlalchemy import inspect

from surveyapp.db import Base
from surveyapp.services.records import LEDGERED, UNLEDGERED


def test_every_table_is_ledgered_or_exempt_with_a_reason():
    tables = set(Base.metadata.tables)
    unknown = tables - set(LEDGERED) - set(UNLEDGERED)
    assert not unknown, f"tables neither ledgered nor exempt (services/records.py): {unknown}"
    assert not set(LEDGERED) & set(UNLEDGERED)
    assert all(reason.strip() for reason in UNLEDGERED.values())


def test_every_column_of_a_ledgered_table_is_recorded_or_exempt():
    for table, spec in LEDGERED.items():
        columns = set(spec.model.__table__.columns.keys())
        recorded = spec.sources() & columns
        exempt = set(spec.exempt)
        missing = columns - recorded - exempt
        assert not missing, (
            f"{table}: columns neither in the ledger snapshot nor exempt with a reason: {missing}"
        )
        assert not recorded & exempt, f"{table}: both recorded and exempt: {recorded & exempt}"
        assert exempt <= columns, f"{table}: exempt columns that do not exist: {exempt - columns}"
        assert all(r.strip() for r in spec.exempt.values())


def test_snapshot_sources_exist_on_the_model():
    for table, spec in LEDGERED.items():
        mapper = inspect(spec.model)
        names = set(mapper.attrs.keys())
        assert spec.sources() <= names, f"{table}: unknown sources {spec.sources() - names}"
        keys = [f.name for f in spec.fields]
        assert len(keys) == len(set(keys)), f"{table}: a snapshot key twice"


def test_a_new_column_would_fail_the_check():
    """The check itself can fail: a column the registry does not know is reported."""
    spec = LEDGERED["responses"]
    columns = set(spec.model.__table__.columns.keys()) | {"new_paradata"}
    assert columns - spec.sources() - set(spec.exempt) == {"new_paradata"}
