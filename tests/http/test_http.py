"""HTTP plumbing: problem+json for every failure, security headers, request ids, probes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.app import create_app
from accord.db.session import Database
from accord.identity.enums import Role
from tests.conftest import FreshDatabases, settings_for
from tests.factories.identity import make_principal, make_token


@pytest.fixture
def token(session: Session) -> str:
    make_principal(session, "root", (Role.ADMIN, None))
    secret = make_token(session, "root")
    session.commit()
    return secret


def assert_problem(response_json: dict[str, object], status: int) -> None:
    assert response_json["status"] == status
    assert str(response_json["type"]).startswith("urn:accord:problem:")
    assert response_json["title"]
    assert response_json["detail"]


def test_security_headers_on_api_and_portal(client: TestClient, token: str) -> None:
    for response in (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
        client.get("/login"),
        client.get("/healthz"),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    authenticated = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert authenticated.headers["Cache-Control"] == "no-store"


def test_unknown_route_and_method_are_problems(client: TestClient, token: str) -> None:
    missing = client.get("/api/v1/nothing-here", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert_problem(missing.json(), 404)
    wrong = client.put("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert wrong.status_code == 405
    assert_problem(wrong.json(), 405)


def test_missing_token_is_401_with_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/agreements")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(response.json(), 401)
    garbage = client.get("/api/v1/agreements", headers={"Authorization": "Bearer acc_usr_nope"})
    assert garbage.status_code == 401


def test_unexpected_errors_hide_internals(settings, database: Database, token: str) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, database=database)

    def explode() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.add_api_route("/api/v1/explode", explode)
    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/explode")
    assert response.status_code == 500
    assert_problem(response.json(), 500)
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


def test_request_id_is_echoed_only_when_well_formed(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "trace-123.abc"})
    assert given.headers["X-Request-ID"] == "trace-123.abc"
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\twith<script>"})
    assert hostile.headers["X-Request-ID"] != "bad id\twith<script>"
    assert len(hostile.headers["X-Request-ID"]) == 32


def test_control_characters_in_queries_are_refused(client: TestClient, token: str) -> None:
    response = client.get(
        "/api/v1/audit/events",
        params={"entity_key": "SLA-0001\x00"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "entity_key"


def test_probes(client: TestClient, backend: str, fresh_databases: FreshDatabases) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    empty = create_app(settings_for(fresh_databases.url(backend, migrated=False)))
    response = TestClient(empty).get("/readyz")  # no lifespan: the probe itself must say why
    assert response.status_code == 503
    assert "accord db upgrade" in response.json()["detail"]


def test_a_body_that_is_not_json_names_the_body(client: TestClient, token: str) -> None:
    response = client.post(
        "/api/v1/business-units",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        content=b'{"code": "ops", ',
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body"]


def test_portal_sign_in_returns_to_the_page_with_its_query(client: TestClient) -> None:
    response = client.get("/agreements?status=active&kind=sla", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/login?next=%2Fagreements%3Fstatus%3Dactive%26kind%3Dsla"
    )
