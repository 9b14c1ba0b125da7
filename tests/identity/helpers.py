"""Helpers shared by the identity and catalogue tests: bearer headers, row counts, problems."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.audit.models import AuditEvent
from accord.db.base import Base
from tests.factories.identity import make_token


def bearer(session: Session, principal: str, *, days: int | None = None) -> dict[str, str]:
    """An Authorization header with a fresh token of ``principal`` (committed, so the app sees
    it)."""
    headers = {"Authorization": f"Bearer {make_token(session, principal, days=days)}"}
    session.commit()
    return headers


def count(session: Session, model: type[Base]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def audit_count(session: Session) -> int:
    return count(session, AuditEvent)


def audit_actions(session: Session, *, since: int = 0) -> list[str]:
    """The actions of the events appended after sequence number ``since``, in order."""
    return list(
        session.scalars(
            select(AuditEvent.action).where(AuditEvent.seq > since).order_by(AuditEvent.seq)
        )
    )


def last_seq(session: Session) -> int:
    return int(session.scalar(select(func.max(AuditEvent.seq))) or 0)


def problem(
    response: httpx.Response,
    status: int,
    *,
    field: str | None = None,
    code: str | None = None,
    rule: str | None = None,
) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:accord:problem:")
    assert body["detail"]
    if code is not None:
        assert body["code"] == code, body
    if rule is not None:
        assert body.get("rule") == rule, body
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert field in fields, body
    return body


def field_message(body: dict[str, Any], field: str) -> str:
    return next(e["message"] for e in body["errors"] if e["field"] == field)
