"""Gaps over the API, and `accord telemetry sources | gaps | quarantine | release | discard` end to
end on a fresh database of each backend (the commands commit for real)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from accord.audit.models import AuditEvent
from accord.cli import app
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.identity.enums import Role
from accord.identity.service import local_operator
from accord.kit.time import utc_now
from accord.objectives.enums import MissingData, SourceKind
from accord.objectives.rules import objective_key
from accord.telemetry import service as telemetry_service
from accord.telemetry.enums import QuarantineStatus
from accord.telemetry.ingestion.models import QuarantinedBucket
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.schemas import SourceCreate
from tests.conftest import FreshDatabases
from tests.factories.identity import make_principal
from tests.factories.objectives import make_objective
from tests.identity.helpers import bearer, problem

pytestmark = pytest.mark.db

DAY = datetime(2026, 3, 1, tzinfo=UTC)


def test_gaps_name_the_missing_ranges_and_the_rule(client: TestClient, session: Session) -> None:
    objective = make_objective(session, missing_data=MissingData.BAD).id
    other = make_objective(session, service="ledger", unit="wholesale").id
    starts = [DAY + timedelta(minutes=5 * i) for i in (0, 1, 4, 5)]  # 00:10-00:20 missing
    telemetry_service.store_buckets(session, [(objective, s, 1.0, 1.0) for s in starts])
    make_principal(session, "vera", (Role.VIEWER, "retail"))
    session.commit()
    vera = bearer(session, "vera")

    response = client.get(
        "/api/v1/telemetry/gaps",
        headers=vera,
        params={
            "objective": objective_key(objective),
            "start": DAY.isoformat(),
            "end": (DAY + timedelta(minutes=30)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["missing_buckets"], body["expected_buckets"], body["missing_data"]) == (
        2,
        6,
        "bad",
    )
    assert [(g["start"], g["end"], g["buckets"]) for g in body["gaps"]] == [
        ("2026-03-01T00:10:00Z", "2026-03-01T00:20:00Z", 2)
    ]
    hidden = client.get(
        "/api/v1/telemetry/gaps",
        headers=vera,
        params={
            "objective": objective_key(other),
            "start": DAY.isoformat(),
            "end": DAY.isoformat(),
        },
    )
    problem(hidden, 404)
    naive = client.get(
        "/api/v1/telemetry/gaps",
        headers=vera,
        params={"objective": objective_key(objective), "start": "2026-03-01T00:00", "end": "x"},
    )
    problem(naive, 422)
    too_long = client.get(
        "/api/v1/telemetry/gaps",
        headers=vera,
        params={
            "objective": objective_key(objective),
            "start": DAY.isoformat(),
            "end": (DAY + timedelta(days=401)).isoformat(),
        },
    )
    problem(too_long, 422, field="end")


# -------------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_database(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    for name in ("ACCORD_AUDIT__SIGNING_KEY_FILE", "ACCORD_AUDIT__CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    yield database
    database.dispose()


def accord(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.mark.slow
def test_the_telemetry_commands(cli_database: Database) -> None:
    with cli_database.unit_of_work() as session:
        objective = make_objective(session).id
        sources_service.create_source(
            session,
            actor=local_operator(),
            data=SourceCreate(name="edge", kind=SourceKind.PUSH, business_unit="retail"),
            now=utc_now(),
        )
        source_id = sources_service.visible_source(session, actor=local_operator(), name="edge").id
        telemetry_service.store_buckets(session, [(objective, DAY, 1.0, 1.0)])
        for good in (3.0, float("nan")):
            session.add(
                QuarantinedBucket(
                    source_id=source_id,
                    objective_id=objective,
                    reference=f"objective:{objective_key(objective)}",
                    bucket_start=DAY + timedelta(minutes=5),
                    good=good if good == good else None,
                    total=4.0 if good == good else None,
                    checks=["future"] if good == good else ["not-finite"],
                    messages=["flagged"],
                    payload=[{"good": str(good)}],
                    received_at=utc_now(),
                    status=QuarantineStatus.HELD,
                )
            )
    key = objective_key(objective)

    listed = accord("telemetry", "sources")
    assert listed.exit_code == 0, listed.output
    assert "source-edge" in listed.output

    gaps = accord(
        "telemetry",
        "gaps",
        "--objective",
        key,
        "--since",
        DAY.isoformat(),
        "--until",
        (DAY + timedelta(minutes=15)).isoformat(),
    )
    assert gaps.exit_code == 1, gaps.output
    assert "2 of 3 buckets missing" in gaps.output
    none_missing = accord(
        "telemetry",
        "gaps",
        "--objective",
        key,
        "--since",
        DAY.isoformat(),
        "--until",
        (DAY + timedelta(minutes=5)).isoformat(),
    )
    assert none_missing.exit_code == 0, none_missing.output
    naive = accord("telemetry", "gaps", "--objective", key, "--since", "2026-03-01T00:00")
    assert naive.exit_code != 0
    assert "offset" in naive.output

    held = accord("telemetry", "quarantine")
    assert held.exit_code == 0, held.output
    with cli_database.unit_of_work(write=False) as session:
        ids = session.scalars(select(QuarantinedBucket.id).order_by(QuarantinedBucket.id)).all()
    refused = accord("telemetry", "release", str(ids[1]), "--reason", "not a number, keep it?")
    assert refused.exit_code != 0
    assert "discard it" in str(refused.exception)
    released = accord("telemetry", "release", str(ids[0]), "--reason", "clock skew, data fine")
    assert released.exit_code == 0, released.output
    discarded = accord("telemetry", "discard", str(ids[1]), "--reason", "sender bug")
    assert discarded.exit_code == 0, discarded.output
    with cli_database.unit_of_work(write=False) as session:
        stored = telemetry_service.buckets_at(session, [objective], [DAY + timedelta(minutes=5)])
        assert (float(stored.good[0, 0]), float(stored.total[0, 0])) == (3.0, 4.0)
        payloads = session.scalars(
            select(AuditEvent.payload)
            .where(AuditEvent.entity_type == "quarantined_bucket")
            .order_by(AuditEvent.seq)
        ).all()
    assert len(payloads) == 2
    assert "clock skew, data fine" in payloads[0]
    assert "sender bug" in payloads[1]
