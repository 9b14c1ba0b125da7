"""Enumerations of identity (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    APPROVER = "approver"
    VIEWER = "viewer"
    AUDITOR = "auditor"
    INGEST = "ingest"
    EXTERNAL = "external"


class PrincipalKind(StrEnum):
    USER = "user"
    SOURCE = "source"
    """A machine identity (a monitoring source pushing telemetry, a CI pipeline)."""


class TokenKind(StrEnum):
    USER = "usr"
    INGEST = "ing"
