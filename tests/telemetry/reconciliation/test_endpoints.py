"""The reconciliation API on both databases: a run's report, listing findings, resolving one
(409 the second time), and who may do what (viewer 403, another unit's objective 404)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.app import create_app
from accord.audit.models import AuditEvent
from accord.config import Settings
from accord.db.session import Database
from accord.routes import API_PREFIX
from accord.telemetry.reconciliation import endpoints
from accord.telemetry.reconciliation.models import ReconciliationFinding
from tests.identity.helpers import bearer, count, problem
from tests.telemetry.reconciliation.test_service import DAY, World, stored
from tests.telemetry.reconciliation.test_service import world as world

pytestmark = pytest.mark.db

RUNS = f"{API_PREFIX}/telemetry/reconciliation/runs"
FINDINGS = f"{API_PREFIX}/telemetry/reconciliation/findings"


@pytest.fixture
def api(settings: Settings, database: Database) -> Iterator[TestClient]:
    """The app, with the reconciliation router mounted if `accord.routes` does not list it
    yet (it will, once wired; then nothing is added)."""
    app = create_app(settings, database=database)
    if not any(getattr(r, "path", None) == RUNS for r in app.routes):
        app.include_router(endpoints.router, prefix=API_PREFIX)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def body(world: World, **fields: object) -> dict[str, object]:
    return {
        "objective": world.key,
        "start": DAY.isoformat(),
        "end": (DAY + timedelta(days=1)).isoformat(),
        "tolerance": 0.01,
        **fields,
    }


def test_run_list_and_resolve(api: TestClient, session: Session, world: World) -> None:
    session.commit()
    olga = bearer(session, "olga")
    response = api.post(RUNS, headers=olga, json=body(world))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["counts"]["disagree"] == 2
    assert report["counts"]["filled"] == 6
    assert report["tolerance"] == 0.01
    assert [f["status"] for f in report["findings"]] == ["open", "open"]
    listed = api.get(
        FINDINGS,
        headers=bearer(session, "vera"),
        params={"objective": world.key, "status": "open", "limit": 1},
    )
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert [f["id"] for f in page["items"]] == [report["findings"][0]["id"]]
    assert page["next_cursor"] is not None
    rest = api.get(
        FINDINGS,
        headers=olga,
        params={"objective": world.key, "cursor": page["next_cursor"]},
    ).json()
    assert [f["id"] for f in rest["items"]] == [report["findings"][1]["id"]]

    target = report["findings"][1]
    resolve = f"{FINDINGS}/{target['id']}/resolve"
    reason = "the secondary's counts match the load balancer"
    done = api.post(resolve, headers=olga, json={"use": "secondary", "reason": reason})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["reason"]) == ("used-secondary", reason)
    good, total, source = stored(session, world.objective, 200)
    assert (good, total, source) == (
        target["secondary_good"],
        target["secondary_total"],
        world.secondary,
    )
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.action == "reconciliation.used_secondary"
    assert reason in event.payload
    again = api.post(resolve, headers=olga, json={"use": "primary", "reason": "second try"})
    problem(again, 409)


def test_bad_input_names_the_field(api: TestClient, session: Session, world: World) -> None:
    session.commit()
    olga = bearer(session, "olga")
    problem(api.post(RUNS, headers=olga, json=body(world, tolerance=1.5)), 422, field="tolerance")
    naive = body(world, start="2026-11-01T00:00:00")
    problem(api.post(RUNS, headers=olga, json=naive), 422, field="start")
    backwards = body(world, end=(DAY - timedelta(days=1)).isoformat())
    problem(api.post(RUNS, headers=olga, json=backwards), 422, field="end")
    problem(api.get(FINDINGS, headers=olga), 422, field="objective")
    assert count(session, ReconciliationFinding) == 0


def test_viewer_is_refused_and_other_units_are_not_found(
    api: TestClient, session: Session, world: World
) -> None:
    session.commit()
    vera, walt = bearer(session, "vera"), bearer(session, "walt")
    problem(api.post(RUNS, headers=vera, json=body(world)), 403)
    problem(api.post(RUNS, headers=walt, json=body(world)), 404)
    problem(api.get(FINDINGS, headers=walt, params={"objective": world.key}), 404)
    report = api.post(RUNS, headers=bearer(session, "olga"), json=body(world)).json()
    resolve = f"{FINDINGS}/{report['findings'][0]['id']}/resolve"
    answer = {"use": "secondary", "reason": "not allowed"}
    problem(api.post(resolve, headers=vera, json=answer), 403)
    problem(api.post(resolve, headers=walt, json=answer), 404)
    problem(
        api.post(f"{FINDINGS}/999999/resolve", headers=bearer(session, "olga"), json=answer), 404
    )
    session.expire_all()
    assert {f.status.value for f in session.scalars(select(ReconciliationFinding))} == {"open"}
