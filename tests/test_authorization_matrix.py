"""Every API route by every role, generated from the routes themselves and the one permission
table (`ROLE_PERMISSIONS`): a route added later is covered without touching this file.

For a principal holding one role, either in unit "alpha" only or in every unit:
- without a token every route answers 401;
- a role lacking the route's permission (or holding it only in some units when the operation is
  org-wide) gets 403;
- a role holding it is let through (anything but 401/403; bodies are empty so writes stop at
  validation and nothing changes);
- routes addressing an object of unit "beta" answer 404 to roles scoped to "alpha", exactly like
  a missing object (those requests carry a valid body, so validation cannot answer first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accord.agreements.enums import AgreementKind
from accord.app import api_operations, create_app
from accord.config import Settings
from accord.exclusions import service as exclusions_service
from accord.exclusions.enums import ExclusionKind
from accord.exclusions.schemas import ExclusionCreate
from accord.identity.deps import declared_requirement
from accord.identity.enums import PrincipalKind, Role
from accord.identity.rules import ROLE_PERMISSIONS, Permission
from accord.identity.service import local_operator
from accord.kit.time import utc_now
from accord.objectives import service as objectives_service
from accord.objectives.enums import SliKind, SourceKind
from accord.objectives.policies import service as policies_service
from accord.objectives.policies.schemas import PolicyCreate
from accord.objectives.schemas import ObjectiveCreate
from accord.routes import API_PREFIX
from accord.telemetry.sources import service as sources_service
from accord.telemetry.sources.schemas import SourceCreate
from tests.factories.agreements import make_agreement
from tests.factories.catalogue import make_customer, make_region, make_service, make_vendor
from tests.factories.identity import make_principal, make_token, make_unit


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permission: Permission | None
    everywhere: bool

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def tail(self) -> str:
        return self.path.removeprefix(API_PREFIX)

    def allowed(self, role: Role, *, global_grant: bool) -> bool:
        if self.permission is None:
            return True
        if self.permission not in ROLE_PERMISSIONS[role]:
            return False
        return global_grant or not self.everywhere

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def api_routes() -> list[Route]:
    app = create_app(Settings(database_url="sqlite:////nonexistent/never-opened.db"))
    routes = []
    for operation in api_operations(app):
        requirement = declared_requirement(operation.route)
        assert requirement is not None, f"{operation.path} declares no require(...)"
        routes.append(
            Route(operation.method, operation.path, requirement.permission, requirement.everywhere)
        )
    return routes


ROUTES = api_routes()
# Org-wide objects (the same whichever unit asks) are not subject to the foreign-unit check.
ORG_WIDE = (
    "/business-units",
    "/regions",
    "/tiers",
    "/vendors",
    "/calendars",
    "/principals",
    "/tokens",
    "/me",
)
REASON = "authorisation matrix"
# A valid body (or query) per write route on a foreign object, so the answer cannot come from
# validation. A new write route needs an entry here, or its foreign-unit check fails with 422.
VALID_FOREIGN_INPUT: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/agreements/{key}"): {"json": {"title": "Renamed", "reason": REASON}},
    ("DELETE", "/agreements/{key}"): {"params": {"reason": REASON}},
    ("POST", "/agreements/{key}/sunset"): {"json": {"reason": REASON}},
    ("POST", "/agreements/{key}/versions"): {"json": {"reason": REASON}},
    ("PATCH", "/agreements/{key}/versions/{number}"): {"json": {"reason": REASON}},
    ("POST", "/agreements/{key}/versions/{number}/submit"): {"json": {"reason": REASON}},
    ("POST", "/agreements/{key}/versions/{number}/return"): {"json": {"reason": REASON}},
    ("POST", "/agreements/{key}/versions/{number}/approve"): {"json": {"reason": REASON}},
    ("POST", "/agreements/{key}/versions/{number}/activate"): {"json": {"reason": REASON}},
    ("POST", "/agreements/{key}/versions/{number}/supersede"): {"json": {"reason": REASON}},
    ("POST", "/agreements/{key}/versions/{number}/sign-offs"): {"json": {"role": "legal"}},
    ("POST", "/agreements/{key}/support"): {
        "json": {"supporting": "OLA-0001", "service": "svc-alpha", "reason": REASON}
    },
    ("DELETE", "/agreements/{key}/support/{link_id}"): {"params": {"reason": REASON}},
    ("POST", "/services/{slug}/dependencies"): {"json": {"depends_on": "svc-alpha"}},
    ("PATCH", "/services/{slug}"): {"json": {}},
    ("PATCH", "/customers/{code}"): {"json": {}},
    ("POST", "/customers/{code}/contacts"): {"json": {"principal": "member"}},
    ("POST", "/services/{slug}/exclusions"): {
        "json": {
            "kind": "exception",
            "starts_at": "2031-01-01T00:00:00Z",
            "ends_at": "2031-01-01T01:00:00Z",
            "reason": REASON,
        }
    },
    ("POST", "/exclusions/{exclusion_id}/approve"): {"json": {"reason": REASON}},
    ("POST", "/exclusions/{exclusion_id}/reject"): {"json": {"reason": REASON}},
    ("POST", "/telemetry/sources/{name}/mappings"): {
        "json": {"objective": "SLO-0001", "metric": "requests_total"}
    },
    ("POST", "/telemetry/sources/{name}/tokens"): {"json": {"name": "pusher"}},
    ("POST", "/telemetry/quarantine/{entry_id}/release"): {"json": {"reason": REASON}},
    ("POST", "/telemetry/quarantine/{entry_id}/discard"): {"json": {"reason": REASON}},
    ("POST", "/telemetry/reconciliation/findings/{finding_id}/resolve"): {
        "json": {"use": "primary", "reason": REASON}
    },
    ("PUT", "/policies/{name}/thresholds"): {
        "json": {
            "thresholds": [{"trigger": "page_alert", "actions": [{"kind": "freeze_releases"}]}]
        }
    },
}


def fill(route: Route, unit: str, keys: dict[str, str]) -> str:
    values = {
        "key": keys[f"slo:{unit}"] if route.tail.startswith("/objectives/") else keys[unit],
        "number": "1",
        "slug": f"svc-{unit}",
        "depends_on": f"svc-{unit}",
        "link_id": "999999",
        "exclusion_id": keys[f"exclusion:{unit}"],
        "grant_id": "999999",
        "token_id": "999999",
        "name": "member",
        "principal": "member",
        "level": "2",
        "mapping_id": "999999",
        "entry_id": "999999",
        "finding_id": "999999",
        "source": "desk",
    }
    if route.tail.startswith("/business-units/"):
        values["code"] = unit
    elif route.tail.startswith("/regions/"):
        values["code"] = "eu-west"
    elif route.tail.startswith("/vendors/"):
        values["code"] = "cloudco"
    elif route.tail.startswith("/calendars/"):
        values["code"] = "24x7"  # built in: writes to it are refused (409), so nothing changes
    elif route.tail.startswith("/customers/"):
        values["code"] = f"cust-{unit}"
    elif route.tail.startswith("/policies/"):
        values["name"] = f"policy-{unit}"
    elif route.tail.startswith("/telemetry/sources/"):
        values["name"] = f"src-{unit}"
    elif route.tail.startswith("/tickets/"):
        values["key"] = f"T-{unit}"  # absent: a permitted reader gets 404, a refused one 403
    path = route.path
    for name in route.params:
        path = path.replace("{" + name + "}", values[name])
    return path


@pytest.fixture
def world(session: Session) -> dict[str, str]:
    make_region(session, "eu-west")
    make_vendor(session, "cloudco")
    keys = {}
    for unit in ("alpha", "beta"):
        make_unit(session, unit)
        make_customer(session, f"cust-{unit}", unit)
        make_service(session, f"svc-{unit}", unit)
        keys[f"key:{unit}"] = make_agreement(
            session,
            unit=unit,
            services=[f"svc-{unit}"],
            customer=f"cust-{unit}",
            kind=AgreementKind.SLA,
        ).key
        keys[f"key:slo:{unit}"] = objectives_service.create_objective(
            session,
            actor=local_operator(),
            data=ObjectiveCreate(
                service=f"svc-{unit}",
                name="availability",
                sli_kind=SliKind.AVAILABILITY,
                target=Decimal("0.9999"),
            ),
            now=utc_now(),
        ).key
        keys[f"key:exclusion:{unit}"] = str(
            exclusions_service.declare_exclusion(
                session,
                actor=local_operator(),
                service=f"svc-{unit}",
                data=ExclusionCreate(
                    kind=ExclusionKind.EXCEPTION,
                    starts_at=datetime(2031, 1, 1, tzinfo=UTC),
                    ends_at=datetime(2031, 1, 2, tzinfo=UTC),
                    reason="a window to address",
                ),
                now=utc_now(),
            ).id
        )
        policies_service.create_policy(
            session,
            actor=local_operator(),
            data=PolicyCreate.model_validate(
                {
                    "name": f"policy-{unit}",
                    "title": "A policy to address",
                    "business_unit": unit,
                    "thresholds": [{"trigger": "at_risk", "actions": [{"kind": "require_review"}]}],
                }
            ),
            now=utc_now(),
        )
        sources_service.create_source(
            session,
            actor=local_operator(),
            data=SourceCreate(name=f"src-{unit}", kind=SourceKind.PUSH, business_unit=unit),
            now=utc_now(),
        )
    make_principal(session, "member")
    tokens = {}
    for role in Role:
        kind = PrincipalKind.SOURCE if role is Role.INGEST else PrincipalKind.USER
        make_principal(session, f"scoped-{role.value}", (role, "alpha"), kind=kind)
        tokens[f"scoped:{role.value}"] = make_token(session, f"scoped-{role.value}")
        if role not in (Role.INGEST, Role.EXTERNAL):  # these two must name a unit
            make_principal(session, f"global-{role.value}", (role, None), kind=kind)
            tokens[f"global:{role.value}"] = make_token(session, f"global-{role.value}")
    session.commit()
    return {**tokens, **keys}


def call(
    client: TestClient,
    route: Route,
    path: str,
    token: str | None,
    request: dict[str, Any] | None = None,
) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if request is None:
        request = {"json": {}} if route.method in ("POST", "PATCH", "PUT") else {}
    return client.request(route.method, path, headers=headers, **request).status_code


def test_routes_are_discovered_and_guarded() -> None:
    assert len(ROUTES) > 40
    open_to_all = [str(r) for r in ROUTES if r.permission is None]
    assert open_to_all == ["GET /api/v1/me"]


def test_every_route_requires_a_token(client: TestClient, world: dict[str, str]) -> None:
    keys = (
        {unit: world[f"key:{unit}"] for unit in ("alpha", "beta")}
        | {f"slo:{unit}": world[f"key:slo:{unit}"] for unit in ("alpha", "beta")}
        | {f"exclusion:{unit}": world[f"key:exclusion:{unit}"] for unit in ("alpha", "beta")}
    )
    answers = {str(r): call(client, r, fill(r, "alpha", keys), None) for r in ROUTES}
    assert {route: status for route, status in answers.items() if status != 401} == {}


@pytest.mark.parametrize("scope", ["scoped", "global"])
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_matrix(role: Role, scope: str, client: TestClient, world: dict[str, str]) -> None:
    token = world.get(f"{scope}:{role.value}")
    if token is None:
        assert role in (Role.INGEST, Role.EXTERNAL)  # cannot be granted in every unit
        return
    keys = (
        {unit: world[f"key:{unit}"] for unit in ("alpha", "beta")}
        | {f"slo:{unit}": world[f"key:slo:{unit}"] for unit in ("alpha", "beta")}
        | {f"exclusion:{unit}": world[f"key:exclusion:{unit}"] for unit in ("alpha", "beta")}
    )
    failures = []
    for route in ROUTES:
        allowed = route.allowed(role, global_grant=scope == "global")
        status = call(client, route, fill(route, "alpha", keys), token)
        if allowed and status in (401, 403):
            failures.append(f"{route}: expected access, got {status}")
        if not allowed and status != 403:
            failures.append(f"{route}: expected 403, got {status}")
        if scope == "scoped" and allowed and route.params and not route.tail.startswith(ORG_WIDE):
            request = VALID_FOREIGN_INPUT.get((route.method, route.tail))
            foreign = call(client, route, fill(route, "beta", keys), token, request)
            if foreign != 404:
                failures.append(f"{route} on unit beta: expected 404, got {foreign}")
    assert failures == [], "\n".join(failures)
