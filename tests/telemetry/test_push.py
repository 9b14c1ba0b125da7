"""Pushing telemetry over HTTP on both databases: the formats, the all-or-nothing screening
(400 naming each row, nothing stored), quarantine with its release and discard, idempotency
keys (replay byte for byte, 422 for another body, 409 in flight), provenance, secondary
sources, body caps and the per-token rate limit."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from accord.app import create_app
from accord.audit.models import AuditEvent
from accord.config import IngestSettings, Settings
from accord.db.session import Database
from accord.identity.enums import Role
from accord.identity.models import ApiToken, Principal
from accord.objectives.enums import SliKind
from accord.objectives.rules import objective_key
from accord.telemetry import rules
from accord.telemetry.ingestion import service as ingestion_service
from accord.telemetry.ingestion.models import IngestRequest, QuarantinedBucket
from accord.telemetry.ingestion.repository import IngestRequestRepository
from accord.telemetry.models import SecondaryBucket, SliBucket, SliWrite
from accord.telemetry.sources.models import TelemetrySource
from tests.conftest import settings_for
from tests.factories.identity import make_principal
from tests.factories.objectives import make_objective
from tests.identity.helpers import bearer, count, problem

pytestmark = pytest.mark.db

PUSH = "/api/v1/telemetry"
SOURCES = "/api/v1/telemetry/sources"
QUARANTINE = "/api/v1/telemetry/quarantine"


def now_bucket(offset_buckets: int = 0) -> int:
    """The start of the current bucket (plus ``offset_buckets``), epoch seconds."""
    epoch = int(datetime.now(UTC).timestamp())
    return epoch - epoch % rules.BUCKET_SECONDS + offset_buckets * rules.BUCKET_SECONDS


class World:
    """Retail objectives (availability, and latency with a 300 ms threshold), a wholesale one,
    and push sources: ``edge`` (retail, Europe/Berlin, ms), ``backup`` (retail) and ``other``
    (wholesale), each with an ingest token; ``eddie`` manages retail telemetry."""

    def __init__(self, client: TestClient, session: Session) -> None:
        self.availability = make_objective(session, service="checkout", unit="retail").id
        self.latency = make_objective(
            session,
            service="checkout",
            unit="retail",
            sli_kind=SliKind.LATENCY,
            latency_threshold_ms=Decimal(300),
        ).id
        self.wholesale = make_objective(session, service="ledger", unit="wholesale").id
        make_principal(session, "eddie", (Role.EDITOR, "retail"))
        make_principal(session, "wendy", (Role.EDITOR, "wholesale"))
        session.commit()
        self.eddie = bearer(session, "eddie")
        self.wendy = bearer(session, "wendy")
        self.edge = self.source(client, "edge", self.eddie, time_zone="Europe/Berlin")
        self.backup = self.source(client, "backup", self.eddie)
        self.other = self.source(client, "other", self.wendy, business_unit="wholesale")

    @staticmethod
    def source(
        client: TestClient, name: str, headers: dict[str, str], **fields: Any
    ) -> dict[str, str]:
        body = {"name": name, "kind": "push", "business_unit": "retail", "latency_unit": "ms"}
        created = client.post(SOURCES, headers=headers, json={**body, **fields})
        assert created.status_code == 201, created.text
        token = client.post(f"{SOURCES}/{name}/tokens", headers=headers, json={"name": "t"})
        assert token.status_code == 201, token.text
        return {"Authorization": f"Bearer {token.json()['token']}"}

    def map(self, client: TestClient, source: str, objective: int, **fields: Any) -> None:
        response = client.post(
            f"{SOURCES}/{source}/mappings",
            headers=self.eddie,
            json={"objective": objective_key(objective), **fields},
        )
        assert response.status_code == 201, response.text


@pytest.fixture
def world(client: TestClient, session: Session) -> World:
    return World(client, session)


def bucket(objective: int, start: int, good: float, total: float) -> dict[str, Any]:
    return {"objective": objective_key(objective), "start": start, "good": good, "total": total}


def stored(session: Session) -> dict[tuple[int, int], tuple[float, float, int | None]]:
    session.expire_all()
    rows = session.execute(
        select(
            SliBucket.objective_id,
            SliBucket.bucket_start,
            SliBucket.good,
            SliBucket.total,
            SliBucket.source_id,
        )
    )
    return {(o, rules.epoch_of(s)): (g, t, src) for o, s, g, t, src in rows}


def source_id(session: Session, name: str) -> int:
    return session.scalars(select(TelemetrySource.id).where(TelemetrySource.name == name)).one()


# ----------------------------------------------------------------------------------- formats


def test_json_buckets_are_stored_with_their_source(
    client: TestClient, session: Session, world: World
) -> None:
    start = now_bucket(-2)
    rows = [
        bucket(world.availability, start, 990, 1000),
        bucket(world.availability, start + 300, 5, 5),
    ]
    response = client.post(PUSH, headers=world.edge, json=rows)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["source"], body["rows"], body["buckets"], body["quarantined"]) == ("edge", 2, 2, 0)
    edge = source_id(session, "edge")
    assert stored(session) == {
        (world.availability, start): (990.0, 1000.0, edge),
        (world.availability, start + 300): (5.0, 5.0, edge),
    }
    journal = session.scalars(select(SliWrite.source_id)).all()
    assert journal == [edge]


def test_ndjson_gzip_and_naive_times_in_the_sources_zone(
    client: TestClient, session: Session, world: World
) -> None:
    start = now_bucket(-1)
    local = datetime.fromtimestamp(start, UTC).astimezone(ZoneInfo("Europe/Berlin"))
    naive = local.replace(tzinfo=None).isoformat()
    lines = [
        orjson.dumps(
            {"objective": objective_key(world.availability), "start": naive, "good": 7, "total": 8}
        ),
        b"",
        orjson.dumps(bucket(world.latency, start, 1, 2)),
    ]
    response = client.post(
        PUSH,
        headers={**world.edge, "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
        content=gzip.compress(b"\n".join(lines)),
    )
    assert response.status_code == 200, response.text
    assert {k: v[:2] for k, v in stored(session).items()} == {
        (world.availability, start): (7.0, 8.0),
        (world.latency, start): (1.0, 2.0),
    }


def test_latency_samples_become_a_bucket_against_the_threshold(
    client: TestClient, session: Session, world: World
) -> None:
    start = now_bucket(-1)
    samples = [
        {"objective": objective_key(world.latency), "at": start + 1, "latency": 0.2, "unit": "s"},
        {"objective": objective_key(world.latency), "at": start + 2, "latency": 300},
        {
            "objective": objective_key(world.latency),
            "at": start + 3,
            "latency": 300_001,
            "unit": "µs",
        },
    ]
    response = client.post(PUSH, headers=world.edge, json=samples)
    assert response.status_code == 200, response.text
    # 200 ms and 300 ms meet a 300 ms threshold; 300.001 ms does not.
    assert stored(session)[(world.latency, start)][:2] == (2.0, 3.0)


# --------------------------------------------------------------------------------- screening


def test_a_rejected_row_refuses_the_batch_and_names_it(
    client: TestClient, session: Session, world: World
) -> None:
    start = now_bucket(-1)
    rows = [
        bucket(world.availability, start, 1, 1),
        bucket(world.availability, start + 300, 11, 10),
        {"objective": objective_key(world.latency), "at": start, "latency": 3, "unit": "parsecs"},
    ]
    body = problem(client.post(PUSH, headers=world.edge, json=rows), 400, code="rows-rejected")
    fields = [e["field"] for e in body["errors"]]
    assert "rows[1].good" in fields
    assert "rows[2].unit" in fields
    assert stored(session) == {}
    assert count(session, QuarantinedBucket) == 0


def test_unknown_objectives_and_other_units_are_rejected_alike(
    client: TestClient, session: Session, world: World
) -> None:
    start = now_bucket(-1)
    for key in ("SLO-999999", objective_key(world.wholesale)):
        rows = [{"objective": key, "start": start, "good": 1, "total": 1}]
        body = problem(client.post(PUSH, headers=world.edge, json=rows), 400)
        assert "unknown-objective" in body["errors"][0]["message"]
    assert stored(session) == {}


def test_flagged_buckets_wait_in_quarantine_until_released_or_discarded(
    client: TestClient, session: Session, world: World
) -> None:
    now = now_bucket()
    ahead = now + 3_600  # beyond the default 300 s skew: flagged, not rejected
    rows = [
        bucket(world.availability, now - 300, 9, 10),
        bucket(world.availability, ahead, 1, 2),
        bucket(world.latency, ahead, 3, 4),
    ]
    response = client.post(PUSH, headers=world.edge, json=rows)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["buckets"], body["quarantined"]) == (1, 2)
    assert set(stored(session)) == {(world.availability, now - 300)}

    held = client.get(QUARANTINE, headers=world.eddie).json()["items"]
    assert [(h["objective"], h["checks"], h["releasable"]) for h in held] == [
        (objective_key(world.availability), ["future"], True),
        (objective_key(world.latency), ["future"], True),
    ]
    assert client.get(QUARANTINE, headers=world.wendy).json()["items"] == []
    problem(
        client.post(
            f"{QUARANTINE}/{held[0]['id']}/release",
            headers=world.wendy,
            json={"reason": "clock skew on the sender"},
        ),
        404,
    )

    released = client.post(
        f"{QUARANTINE}/{held[0]['id']}/release",
        headers=world.eddie,
        json={"reason": "the sender's clock was an hour ahead; data checked"},
    )
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert stored(session)[(world.availability, ahead)][:2] == (1.0, 2.0)
    discarded = client.post(
        f"{QUARANTINE}/{held[1]['id']}/discard", headers=world.eddie, json={"reason": "bogus"}
    )
    assert discarded.json()["status"] == "discarded"
    assert (world.latency, ahead) not in stored(session)
    again = client.post(
        f"{QUARANTINE}/{held[1]['id']}/release",
        headers=world.eddie,
        json={"reason": "changed mind"},
    )
    problem(again, 409)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "quarantined_bucket")
    ).all()
    assert sorted(actions) == ["quarantine.discarded", "quarantine.released"]
    assert client.get(QUARANTINE, headers=world.eddie).json()["items"] == []


def test_a_source_that_does_not_feed_the_objective_is_flagged(
    client: TestClient, session: Session, world: World
) -> None:
    world.map(client, "edge", world.availability, metric="checkout_requests")
    start = now_bucket(-1)
    response = client.post(
        PUSH, headers=world.backup, json=[bucket(world.availability, start, 1, 1)]
    )
    assert response.status_code == 200, response.text
    assert response.json()["quarantined"] == 1
    assert stored(session) == {}
    entry = session.scalars(select(QuarantinedBucket)).one()
    assert entry.checks == ["wrong-source"]

    # The mapped source may push by metric name.
    named = [{"metric": "checkout_requests", "start": start, "good": 4, "total": 5}]
    assert client.post(PUSH, headers=world.edge, json=named).status_code == 200
    assert stored(session)[(world.availability, start)][:2] == (4.0, 5.0)


def test_a_secondary_fills_only_the_primarys_gaps_and_is_kept_for_reconciliation(
    client: TestClient, session: Session, world: World
) -> None:
    world.map(client, "edge", world.availability, metric="checkout_requests")
    world.map(client, "backup", world.availability, role="secondary", metric="checkout_requests")
    first, second = now_bucket(-2), now_bucket(-1)
    named = [{"metric": "checkout_requests", "start": first, "good": 9, "total": 10}]
    assert client.post(PUSH, headers=world.edge, json=named).status_code == 200
    from_backup = [
        {"metric": "checkout_requests", "start": first, "good": 8, "total": 10},
        {"metric": "checkout_requests", "start": second, "good": 3, "total": 3},
    ]
    assert client.post(PUSH, headers=world.backup, json=from_backup).status_code == 200
    edge, backup = source_id(session, "edge"), source_id(session, "backup")
    assert stored(session) == {
        (world.availability, first): (9.0, 10.0, edge),
        (world.availability, second): (3.0, 3.0, backup),
    }
    kept = session.execute(select(SecondaryBucket.bucket_start, SecondaryBucket.good)).all()
    assert sorted((rules.epoch_of(s), g) for s, g in kept) == [(first, 8.0), (second, 3.0)]
    # The primary arriving later replaces the gap filler.
    late = [{"metric": "checkout_requests", "start": second, "good": 2, "total": 3}]
    assert client.post(PUSH, headers=world.edge, json=late).status_code == 200
    assert stored(session)[(world.availability, second)] == (2.0, 3.0, edge)


# ------------------------------------------------------------------------------- idempotency


def test_an_idempotency_key_replays_the_first_response_byte_for_byte(
    client: TestClient, session: Session, world: World
) -> None:
    rows = [bucket(world.availability, now_bucket(-1), 1, 2)]
    key = {"Idempotency-Key": "batch-0001"}
    first = client.post(PUSH, headers={**world.edge, **key}, json=rows)
    assert first.status_code == 200, first.text
    writes = count(session, SliWrite)
    again = client.post(PUSH, headers={**world.edge, **key}, json=rows)
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert count(session, SliWrite) == writes

    other_body = [bucket(world.availability, now_bucket(-1), 2, 2)]
    problem(
        client.post(PUSH, headers={**world.edge, **key}, json=other_body),
        422,
        field="Idempotency-Key",
    )
    # Keys belong to the token: another source may use the same key for its own batch.
    backup = client.post(PUSH, headers={**world.backup, **key}, json=rows)
    assert backup.status_code == 200, backup.text
    assert "idempotent-replayed" not in backup.headers
    assert count(session, IngestRequest) == 2


def test_a_key_still_in_flight_answers_409(
    client: TestClient, session: Session, world: World, engine: Engine, backend: str
) -> None:
    """PostgreSQL: the first request holds the key with an advisory lock (released with its
    connection, so a crashed request never locks a key out). SQLite runs one writer at a time,
    so a retry simply waits for the first to commit and then replays it."""
    rows = [bucket(world.availability, now_bucket(-1), 1, 2)]
    edge_token = session.scalars(
        select(ApiToken.id)
        .join(Principal, Principal.id == ApiToken.principal_id)
        .where(Principal.name == "source-edge")
    ).one()
    if backend == "postgresql":
        with engine.connect() as other, Session(other) as holder:
            assert IngestRequestRepository(holder).claim(edge_token, "batch-7")
            response = client.post(
                PUSH, headers={**world.edge, "Idempotency-Key": "batch-7"}, json=rows
            )
            problem(response, 409)
            holder.rollback()
        assert stored(session) == {}
    else:
        assert IngestRequestRepository(session).claim(edge_token, "batch-7")
    after = client.post(PUSH, headers={**world.edge, "Idempotency-Key": "batch-7"}, json=rows)
    assert after.status_code == 200, after.text


# ---------------------------------------------------------------------------- limits and caps


@pytest.fixture
def tight(database_url: str, database: Database) -> Settings:
    return settings_for(
        database_url,
        ingest=IngestSettings(
            rate_limit="3/minute", max_body_bytes=2_048, max_decompressed_bytes=4_096
        ),
    )


def test_bodies_over_the_caps_are_413_and_tokens_over_their_rate_429(
    tight: Settings, database: Database, session: Session
) -> None:
    app = create_app(tight, database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(client, session)
        start = now_bucket(-1)
        big = orjson.dumps([bucket(world.availability, start, 1, 1)] * 100)
        assert len(big) > 2_048
        problem(
            client.post(
                PUSH, headers={**world.edge, "Content-Type": "application/json"}, content=big
            ),
            413,
        )
        bomb = gzip.compress(b"[" + b" " * 100_000 + b"]")
        assert len(bomb) < 2_048
        problem(
            client.post(
                PUSH,
                headers={
                    **world.edge,
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                },
                content=bomb,
            ),
            413,
        )
        # Three pushes a minute per token, refused bodies included: the fourth is refused with
        # a whole-second Retry-After.
        third = client.post(
            PUSH, headers=world.edge, json=[bucket(world.availability, start, 1, 1)]
        )
        assert third.status_code == 200, third.text
        refused = client.post(
            PUSH, headers=world.edge, json=[bucket(world.availability, start, 1, 1)]
        )
        problem(refused, 429, code="rate-limited")
        assert int(refused.headers["retry-after"]) >= 1
        # Another token has its own budget.
        ok = client.post(PUSH, headers=world.backup, json=[bucket(world.availability, start, 1, 1)])
        assert ok.status_code == 200, ok.text
    assert stored(session)[(world.availability, start)][:2] == (1.0, 1.0)


def test_only_source_tokens_push(client: TestClient, world: World) -> None:
    rows = [bucket(world.availability, now_bucket(-1), 1, 1)]
    problem(client.post(PUSH, json=rows), 401)
    problem(client.post(PUSH, headers=world.eddie, json=rows), 403)
    problem(
        client.post(PUSH, headers={**world.edge, "Content-Type": "text/csv"}, content=b"a,b"), 415
    )


def test_pushes_are_counted_in_accords_own_metrics(client: TestClient, world: World) -> None:
    def sample(name: str, **labels: str) -> float:
        text = client.get("/metrics").text
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    return float(s.value)
        return 0.0

    accepted = sample("accord_ingest_rows_total", source="edge", outcome="accepted")
    rejected = sample("accord_ingest_rejections_total", source="edge", reason="good-above-total")
    start = now_bucket(-1)
    ok = [bucket(world.availability, start, 1, 2), bucket(world.availability, start - 300, 2, 2)]
    assert client.post(PUSH, headers=world.edge, json=ok).status_code == 200
    problem(
        client.post(PUSH, headers=world.edge, json=[bucket(world.availability, start, 3, 2)]), 400
    )
    assert sample("accord_ingest_rows_total", source="edge", outcome="accepted") == accepted + 2
    assert (
        sample("accord_ingest_rejections_total", source="edge", reason="good-above-total")
        == rejected + 1
    )
    assert 0 <= sample("accord_ingest_lag_seconds", source="edge") < 3_600


def test_idempotency_keys_are_forgotten_after_their_window(
    client: TestClient, session: Session, world: World
) -> None:
    rows = [bucket(world.availability, now_bucket(-1), 1, 2)]
    key = {"Idempotency-Key": "batch-old"}
    assert client.post(PUSH, headers={**world.edge, **key}, json=rows).status_code == 200
    session.expire_all()
    assert (
        ingestion_service.forget_idempotency_keys(session, now=datetime.now(UTC), keep_hours=1) == 0
    )
    later = datetime.now(UTC) + timedelta(hours=2)
    assert ingestion_service.forget_idempotency_keys(session, now=later, keep_hours=1) == 1
    session.commit()
    again = client.post(PUSH, headers={**world.edge, **key}, json=rows)
    assert again.status_code == 200
    assert "idempotent-replayed" not in again.headers
    assert stored(session)[(world.availability, now_bucket(-1))][:2] == (1.0, 2.0)
