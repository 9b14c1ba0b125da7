"""Running `accord` commands in the interop tests, and reading back what they wrote."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from accord import cli as accord_cli
from accord.audit.models import AuditEvent
from accord.db.session import Database
from accord.objectives.models import Objective


def accord(*args: str | Path) -> Result:
    return CliRunner().invoke(accord_cli.app, [str(a) for a in args])


def ok(*args: str | Path) -> Result:
    result = accord(*args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str | Path) -> int:
    """`accord …` as installed: expected failures print a message and exit non-zero."""
    monkeypatch.setattr(sys, "argv", ["accord", *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        accord_cli.main()
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


def objective_count(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Objective)) or 0)


def audit_actions(database: Database, entity_type: str = "objective") -> list[str]:
    with database.unit_of_work(write=False) as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity_type == entity_type)
                .order_by(AuditEvent.seq)
            )
        )


def created_keys(output: str) -> list[str]:
    """The keys `accord import` printed, in order (``created SLO-0001 …``)."""
    return [line.split()[1] for line in output.splitlines() if line.startswith("created SLO-")]
