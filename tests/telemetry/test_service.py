"""The actor-facing load: telemetry:ingest per business unit of the objectives, one audit event
per load."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.audit.schemas import AuditEventRead
from accord.identity.enums import PrincipalKind, Role
from accord.kit.errors import Forbidden
from accord.objectives.rules import objective_key
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from accord.telemetry.models import SliWrite
from tests.factories.identity import make_principal
from tests.telemetry.conftest import E0, T0, columns, stored_buckets

pytestmark = pytest.mark.db

B = rules.BUCKET_SECONDS


def _events(session: Session) -> list[AuditEventRead]:
    return audit_service.list_events(session, units=None, action="telemetry.loaded")


def test_a_source_ingesting_for_a_unit_loads_its_objectives_with_one_audit_event(
    session: Session, objectives: list[int]
) -> None:
    a, b, _ = objectives
    prom = make_principal(session, "prom", (Role.INGEST, "retail"), kind=PrincipalKind.SOURCE)
    result = telemetry_service.load_buckets(
        session,
        actor=prom,
        rows=columns([(o, E0 + i * B, 1, 1) for o in (a, b) for i in range(500)]),
        now=T0,
        source="prometheus",
    )
    assert result.buckets == 1000
    assert len(stored_buckets(session)) == 1000
    [event] = _events(session)
    assert event.actor == "prom"
    assert event.entity_type == "objective"
    assert event.entity_key == "bulk"
    assert event.business_unit_id is not None
    assert event.after is not None
    assert event.after["buckets"] == 1000
    assert event.after["objectives"] == 2
    assert event.after["source"] == "prometheus"
    assert event.after["objective_keys"] == [objective_key(a), objective_key(b)]


def test_one_objective_is_the_entity_of_its_load(session: Session, objectives: list[int]) -> None:
    a = objectives[0]
    root = make_principal(session, "root", (Role.ADMIN, None))
    telemetry_service.load_buckets(session, actor=root, rows=columns([(a, E0, 1, 2)]), now=T0)
    [event] = _events(session)
    assert event.entity_key == objective_key(a)


def test_loading_into_another_units_objective_is_forbidden_and_writes_nothing(
    session: Session, objectives: list[int]
) -> None:
    a, _, wholesale = objectives
    prom = make_principal(session, "prom", (Role.INGEST, "retail"), kind=PrincipalKind.SOURCE)
    with pytest.raises(Forbidden):
        telemetry_service.load_buckets(
            session, actor=prom, rows=columns([(a, E0, 1, 1), (wholesale, E0, 1, 1)]), now=T0
        )
    assert stored_buckets(session) == {}
    assert _events(session) == []


def test_without_the_ingest_permission_nothing_is_loaded(
    session: Session, objectives: list[int]
) -> None:
    editor = make_principal(session, "eddie", (Role.EDITOR, "retail"))
    with pytest.raises(Forbidden):
        telemetry_service.load_buckets(
            session, actor=editor, rows=columns([(objectives[0], E0, 1, 1)]), now=T0
        )
    assert stored_buckets(session) == {}


def test_an_empty_load_is_not_audited(session: Session, objectives: list[int]) -> None:
    root = make_principal(session, "root", (Role.ADMIN, None))
    result = telemetry_service.load_buckets(session, actor=root, rows=[], now=T0)
    assert result.buckets == 0
    assert _events(session) == []


def test_every_write_is_journalled_with_the_span_it_touched(
    session: Session, objectives: list[int]
) -> None:
    before = telemetry_service.database_now(session)
    assert telemetry_service.writes_since(session, before - timedelta(minutes=1)) == []
    telemetry_service.store_buckets(
        session,
        columns(
            [
                (objectives[0], E0 + 600, 9.0, 10.0),
                (objectives[1], E0 - 300, 5.0, 5.0),
                (objectives[1], E0, 1.0, 2.0),
            ]
        ),
    )
    telemetry_service.store_buckets(session, [])  # nothing written, nothing journalled
    [(write_id, first)] = telemetry_service.writes_since(session, before - timedelta(minutes=1))
    assert first == rules.instant_of(E0 - 300)
    row = session.get(SliWrite, write_id)
    assert row is not None
    assert (row.last_bucket, row.buckets, row.objectives) == (rules.instant_of(E0 + 600), 3, 2)
    assert (
        before - timedelta(seconds=1)
        <= row.written_at
        <= (telemetry_service.database_now(session) + timedelta(seconds=1))
    )
    later = row.written_at + timedelta(minutes=1)
    assert telemetry_service.writes_since(session, later) == []
