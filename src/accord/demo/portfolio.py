"""Demo portfolio (being written)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def is_populated(session: Session) -> bool:
    raise NotImplementedError


def load(session: Session, *, now: datetime) -> str:
    raise NotImplementedError


def fresh_admin_token(session: Session, *, now: datetime) -> str:
    raise NotImplementedError
