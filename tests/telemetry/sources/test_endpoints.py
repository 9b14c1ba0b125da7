"""The source registry over HTTP on both databases: sources with their machine principal and
ingest tokens, mappings checked against naming conventions (errors name the rule), unit
isolation, and nothing written when a request is refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.identity.enums import Role
from accord.identity.models import Principal, RoleGrant
from accord.objectives.enums import SourceKind
from accord.objectives.rules import objective_key
from accord.telemetry.sources.models import SourceMapping, TelemetrySource
from tests.factories.identity import make_principal
from tests.factories.objectives import make_objective
from tests.identity.helpers import bearer, count, problem

pytestmark = pytest.mark.db

SOURCES = "/api/v1/telemetry/sources"


class World:
    """Objectives in retail (two) and wholesale (one); ``eddie`` edits retail, ``vera`` views
    retail, ``wendy`` edits wholesale."""

    def __init__(self, session: Session) -> None:
        self.retail = [
            objective_key(make_objective(session, service="checkout", unit="retail").id),
            objective_key(make_objective(session, service="checkout", unit="retail").id),
        ]
        self.wholesale = objective_key(
            make_objective(session, service="ledger", unit="wholesale").id
        )
        make_principal(session, "eddie", (Role.EDITOR, "retail"))
        make_principal(session, "vera", (Role.VIEWER, "retail"))
        make_principal(session, "wendy", (Role.EDITOR, "wholesale"))
        session.commit()
        self.eddie = bearer(session, "eddie")
        self.vera = bearer(session, "vera")
        self.wendy = bearer(session, "wendy")


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def source(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "edge-pusher", "kind": "push", "business_unit": "retail"}
    data.update(overrides)
    return data


def test_a_source_gets_a_machine_principal_holding_only_ingest_in_its_unit(
    client: TestClient, session: Session, world: World
) -> None:
    response = client.post(
        SOURCES, headers=world.eddie, json=source(time_zone="Europe/Berlin", latency_unit="ms")
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{SOURCES}/edge-pusher"
    body = response.json()
    assert body["principal"] == "source-edge-pusher"
    assert body["time_zone"] == "Europe/Berlin"
    principal = session.scalars(
        select(Principal).where(Principal.name == "source-edge-pusher")
    ).one()
    grants = session.scalars(select(RoleGrant).where(RoleGrant.principal_id == principal.id)).all()
    assert [(g.role, g.business_unit_id is not None) for g in grants] == [(Role.INGEST, True)]

    token = client.post(f"{SOURCES}/edge-pusher/tokens", headers=world.eddie, json={"name": "t"})
    assert token.status_code == 201, token.text
    secret = token.json()["token"]
    assert secret.startswith("acc_ing_")
    # The token pushes telemetry and does nothing else: reading objectives is forbidden.
    refused = client.get("/api/v1/objectives", headers={"Authorization": f"Bearer {secret}"})
    problem(refused, 403)


def test_refused_sources_write_nothing(client: TestClient, session: Session, world: World) -> None:
    before = count(session, TelemetrySource), count(session, Principal)
    problem(client.post(SOURCES, headers=world.vera, json=source()), 403)
    problem(client.post(SOURCES, headers=world.wendy, json=source()), 403)
    problem(
        client.post(SOURCES, headers=world.eddie, json=source(kind="prometheus")),
        422,
        field="base_url",
    )
    problem(
        client.post(SOURCES, headers=world.eddie, json=source(time_zone="Mars/Olympus")),
        422,
        field="time_zone",
    )
    problem(
        client.post(SOURCES, headers=world.eddie, json=source(latency_unit="fortnights")),
        422,
        field="latency_unit",
    )
    problem(
        client.post(SOURCES, headers=world.eddie, json=source(naming_pattern="([a-z")),
        422,
        field="naming_pattern",
    )
    session.expire_all()
    assert (count(session, TelemetrySource), count(session, Principal)) == before

    assert client.post(SOURCES, headers=world.eddie, json=source()).status_code == 201
    problem(client.post(SOURCES, headers=world.eddie, json=source()), 409, field="name")


def test_sources_of_other_units_are_invisible(client: TestClient, world: World) -> None:
    assert client.post(SOURCES, headers=world.eddie, json=source()).status_code == 201
    assert [s["name"] for s in client.get(SOURCES, headers=world.vera).json()] == ["edge-pusher"]
    assert client.get(SOURCES, headers=world.wendy).json() == []
    problem(client.get(f"{SOURCES}/edge-pusher", headers=world.wendy), 404)
    problem(
        client.post(f"{SOURCES}/edge-pusher/tokens", headers=world.wendy, json={"name": "x"}), 404
    )


def test_push_mappings_check_the_prometheus_rule_and_the_organisations_convention(
    client: TestClient, session: Session, world: World
) -> None:
    created = client.post(
        SOURCES, headers=world.eddie, json=source(naming_pattern=r"retail_[a-z_]+_total")
    )
    assert created.status_code == 201, created.text
    mappings = f"{SOURCES}/edge-pusher/mappings"
    bad_name = client.post(
        mappings, headers=world.eddie, json={"objective": world.retail[0], "metric": "9lives"}
    )
    assert problem(bad_name, 422, field="metric")["rule"] == "metric-name"
    off_convention = client.post(
        mappings,
        headers=world.eddie,
        json={"objective": world.retail[0], "metric": "checkout_requests_total"},
    )
    assert problem(off_convention, 422, field="metric")["rule"] == "naming-convention"
    queries = client.post(
        mappings,
        headers=world.eddie,
        json={"objective": world.retail[0], "total_query": "sum(x)"},
    )
    problem(queries, 422, field="metric")
    other_unit = client.post(
        mappings,
        headers=world.eddie,
        json={"objective": world.wholesale, "metric": "retail_ledger_total"},
    )
    problem(other_unit, 404)  # eddie cannot see wholesale's objective at all
    assert count(session, SourceMapping) == 0

    ok = client.post(
        mappings,
        headers=world.eddie,
        json={"objective": world.retail[0], "metric": "retail_checkout_total"},
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["role"] == "primary"
    again = client.post(
        mappings,
        headers=world.eddie,
        json={"objective": world.retail[0], "metric": "retail_other_total"},
    )
    problem(again, 409, field="role")
    same_metric = client.post(
        mappings,
        headers=world.eddie,
        json={"objective": world.retail[1], "metric": "retail_checkout_total"},
    )
    problem(same_metric, 409, field="metric")
    listed = client.get(mappings, headers=world.vera).json()
    assert [(m["objective"], m["metric"]) for m in listed] == [
        (world.retail[0], "retail_checkout_total")
    ]
    deleted = client.delete(f"{mappings}/{listed[0]['id']}", headers=world.eddie)
    assert deleted.status_code == 204
    assert client.get(mappings, headers=world.vera).json() == []


def test_pull_mappings_check_the_names_their_queries_read(client: TestClient, world: World) -> None:
    created = client.post(
        SOURCES,
        headers=world.eddie,
        json=source(name="prom", kind="prometheus", base_url="http://127.0.0.1:9090"),
    )
    assert created.status_code == 201, created.text
    mappings = f"{SOURCES}/prom/mappings"
    both = client.post(
        mappings,
        headers=world.eddie,
        json={
            "objective": world.retail[0],
            "good_query": "sum(increase(ok_total[{{.window}}]))",
            "error_query": "sum(increase(err_total[{{.window}}]))",
            "total_query": "sum(increase(all_total[{{.window}}]))",
        },
    )
    problem(both, 422, field="good_query")
    ok = client.post(
        mappings,
        headers=world.eddie,
        json={
            "objective": world.retail[0],
            "error_query": 'sum(rate(http_requests_total{code=~"5..",job="a{b"}[{{.window}}]))',
            "total_query": "sum(rate(http_requests_total[{{.window}}]))",
            "per_second": True,
        },
    )
    assert ok.status_code == 201, ok.text
    secondary = client.post(
        mappings,
        headers=world.eddie,
        json={
            "objective": world.retail[0],
            "role": "secondary",
            "good_query": "sum(increase(ok_total[5m]))",
            "total_query": "sum(increase(all_total[5m]))",
        },
    )
    problem(secondary, 422, field="role")  # one source cannot be both primary and secondary


@pytest.mark.parametrize("kind", [SourceKind.PUSH, SourceKind.DATADOG])
def test_datadog_names_follow_datadogs_rule(
    client: TestClient, world: World, kind: SourceKind
) -> None:
    extra = {"base_url": "http://127.0.0.1:1"} if kind is SourceKind.DATADOG else {}
    assert (
        client.post(
            SOURCES, headers=world.eddie, json=source(name="dd", kind=kind.value, **extra)
        ).status_code
        == 201
    )
    mapping = (
        {"objective": world.retail[0], "metric": "checkout.requests"}
        if kind is SourceKind.PUSH
        else {
            "objective": world.retail[0],
            "good_query": "sum:checkout.requests.ok{env:prod}",
            "total_query": "sum:checkout.requests{env:prod}",
        }
    )
    response = client.post(f"{SOURCES}/dd/mappings", headers=world.eddie, json=mapping)
    if kind is SourceKind.PUSH:
        # A pushed name follows Prometheus' rule, which has no periods.
        assert problem(response, 422, field="metric")["rule"] == "metric-name"
    else:
        assert response.status_code == 201, response.text


def test_prometheus_queries_match_on_valid_label_names(client: TestClient, world: World) -> None:
    created = client.post(
        SOURCES,
        headers=world.eddie,
        json=source(name="prom", kind="prometheus", base_url="http://127.0.0.1:9090"),
    )
    assert created.status_code == 201, created.text
    bad = client.post(
        f"{SOURCES}/prom/mappings",
        headers=world.eddie,
        json={
            "objective": world.retail[0],
            "good_query": 'sum(increase(requests_total{2xx="yes"}[{{.window}}]))',
            "total_query": "sum(increase(requests_total[{{.window}}]))",
        },
    )
    assert problem(bad, 422, field="good_query")["rule"] == "label-name"
