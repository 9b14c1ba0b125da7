"""`accord principals …` and `accord tokens …` end to end, on a fresh database of each backend."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from accord import cli as accord_cli
from accord.audit.models import AuditEvent
from accord.cli import app
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.identity import service as identity_service
from accord.identity.models import ApiToken, Principal
from accord.kit.errors import Unauthenticated
from accord.kit.time import utc_now
from tests.conftest import FreshDatabases
from tests.factories.identity import make_unit

pytestmark = [pytest.mark.db, pytest.mark.slow]

TOKEN = re.compile(r"acc_(usr|ing)_[0-9A-Za-z]{49}")


@pytest.fixture
def cli_database(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    """A migrated database of its own (the CLI commits for real), with a ``retail`` unit."""
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    for name in ("ACCORD_AUDIT__SIGNING_KEY_FILE", "ACCORD_AUDIT__CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    settings = DatabaseSettings()
    engine = create_database_engine(url, settings)
    db = Database(engine, settings)
    with db.unit_of_work() as session:
        make_unit(session, "retail")
    yield db
    engine.dispose()


def accord(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = accord(*args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["accord", *args])
    with pytest.raises(SystemExit) as exit_info:
        accord_cli.main()
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


def principals(database: Database) -> list[str]:
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(Principal.name).order_by(Principal.id)))


def test_create_principals_with_roles_and_list_them(cli_database: Database) -> None:
    out = ok("principals", "create", "alice", "--role", "admin", "--role", "editor@retail")
    assert "created principal alice" in out
    assert "admin@*" in out
    assert "editor@retail" in out
    ok("principals", "create", "prom", "--kind", "source", "--role", "ingest@retail")
    ok("principals", "grant", "alice", "viewer", "--unit", "retail")
    listing = ok("principals", "list")
    assert "alice" in listing
    assert "prom" in listing
    assert "viewer@retail" in listing
    assert "ingest@retail" in listing
    with cli_database.unit_of_work(write=False) as session:
        actors = set(session.scalars(select(AuditEvent.actor_name).where(AuditEvent.seq > 1)))
    assert len(actors) == 1
    assert actors.pop().startswith("cli:")


def test_an_unknown_role_is_a_usage_error_and_creates_nothing(
    cli_database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = accord("principals", "create", "bob", "--role", "superuser")
    assert result.exit_code == 2
    assert "unknown role 'superuser'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert principals(cli_database) == []


def test_a_bad_grant_rolls_back_the_whole_command(
    cli_database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The external role must name a unit: refused, and the principal is not left behind.
    assert run_main(monkeypatch, "principals", "create", "bob", "--role", "external") == 2
    assert "business_unit" in capsys.readouterr().err
    assert principals(cli_database) == []
    assert run_main(monkeypatch, "principals", "create", "bob", "--role", "viewer@nowhere") == 2
    assert "no business unit 'nowhere'" in capsys.readouterr().err
    assert run_main(monkeypatch, "principals", "create", "Bob Smith") == 2
    assert "name" in capsys.readouterr().err
    assert principals(cli_database) == []


def test_tokens_are_printed_once_and_can_be_revoked(
    cli_database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ok("principals", "create", "alice", "--role", "viewer")
    out = ok("tokens", "create", "--principal", "alice", "--name", "laptop")
    secrets = [m.group(0) for m in TOKEN.finditer(out)]
    assert len(secrets) == 1
    secret = secrets[0]
    assert secret.startswith("acc_usr_")
    with cli_database.unit_of_work(write=False) as session:
        actor = identity_service.authenticate(session, token=secret, now=utc_now())
        assert actor.name == "alice"
        token_id = session.scalars(select(ApiToken.id)).one()
        payloads = list(session.scalars(select(AuditEvent.payload)))
    assert all(secret[12:] not in p for p in payloads)
    listing = ok("tokens", "list", "alice")
    assert secret[:12] in listing
    assert secret[12:] not in listing
    assert "laptop" in listing
    ok("tokens", "revoke", str(token_id))
    with cli_database.unit_of_work(write=False) as session, pytest.raises(Unauthenticated):
        identity_service.authenticate(session, token=secret, now=utc_now())
    assert "laptop" not in ok("tokens", "list", "alice")
    assert "laptop" in ok("tokens", "list", "alice", "--include-revoked")
    assert run_main(monkeypatch, "tokens", "revoke", "999999") == 1
    assert "no token 999999" in capsys.readouterr().err


def test_token_lifetime_is_capped_on_the_cli_too(
    cli_database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ok("principals", "create", "alice", "--role", "viewer")
    code = run_main(
        monkeypatch, "tokens", "create", "--principal", "alice", "--expires-in-days", "367"
    )
    assert code == 2
    captured = capsys.readouterr()
    assert "expires_in_days" in captured.err
    assert not TOKEN.search(captured.out)
    with cli_database.unit_of_work(write=False) as session:
        assert session.scalars(select(ApiToken)).all() == []
