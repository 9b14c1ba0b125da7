"""The OpenAPI document is complete: every operation says who may call it, which errors it
returns (as problem+json), and what it takes and gives."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.app import create_app
from accord.config import Settings


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app(Settings(database_url="sqlite:////nonexistent/never-opened.db"))
    response = TestClient(app).get("/openapi.json")  # no lifespan: no database is opened
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1")
        for method, op in item.items()
    ]


def test_problem_schema_is_published(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])


def test_every_operation_declares_permission_and_errors(spec: dict[str, Any]) -> None:
    missing = []
    for method, path, op in operations(spec):
        codes = set(op["responses"])
        needed = {"401", "403", "422"}
        if "{" in path:
            needed.add("404")
        if "If-Match" in str(op.get("parameters", [])) or "if-match" in str(
            op.get("parameters", [])
        ):
            needed |= {"412", "428"}
        if not needed <= codes:
            missing.append(f"{method} {path}: lacks {sorted(needed - codes)}")
        if op.get("x-accord-permission", "public") == "public":
            missing.append(f"{method} {path}: no x-accord-permission")
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                content = set(response.get("content", {}))
                if content != {"application/problem+json"}:
                    missing.append(f"{method} {path} {code}: content {sorted(content)}")
    assert missing == [], "\n".join(missing)


def test_bodies_and_results_have_schemas(spec: dict[str, Any]) -> None:
    untyped = []
    for method, path, op in operations(spec):
        if method in ("POST", "PATCH", "PUT") and "requestBody" not in op:
            untyped.append(f"{method} {path}: no request body schema")
        ok = [c for c in op["responses"] if c.startswith("2")]
        assert ok, f"{method} {path} has no success response"
        for code in ok:
            if code == "204":
                continue
            schema = (
                op["responses"][code].get("content", {}).get("application/json", {}).get("schema")
            )
            if not schema or schema == {}:
                untyped.append(f"{method} {path} {code}: untyped response")
    assert untyped == [], "\n".join(untyped)


def test_every_schema_reference_resolves(spec: dict[str, Any]) -> None:
    text = str(spec)
    refs = set(re.findall(r"#/components/schemas/([A-Za-z0-9_.\-]+)", text))
    assert refs
    assert refs <= set(spec["components"]["schemas"])
