"""`accord audit keygen | checkpoint | verify` end to end on a temporary SQLite database."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from accord import cli as accord_cli
from accord.cli import app


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.database = tmp_path / "accord.db"
        self.keys = tmp_path / "keys"
        self.private = self.keys / "audit-signing-key.pem"
        self.public = self.keys / "audit-signing-key.pub.pem"
        self.checkpoints = tmp_path / "checkpoints"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    env = Env(tmp_path)
    monkeypatch.setenv("ACCORD_DATABASE_URL", f"sqlite:///{env.database}")
    monkeypatch.setenv("ACCORD_AUDIT__SIGNING_KEY_FILE", str(env.private))
    monkeypatch.setenv("ACCORD_AUDIT__CHECKPOINT_DIR", str(env.checkpoints))
    monkeypatch.setenv("COLUMNS", "200")  # keep Rich from wrapping the messages under test
    return env


def accord(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    result = accord(*args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def events_in(env: Env) -> int:
    with sqlite3.connect(env.database) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_event").fetchone()[0])


def tamper(env: Env, statement: str) -> None:
    """Past the append-only triggers, as a DBA would, then put them back."""
    conn = sqlite3.connect(env.database, isolation_level=None)
    try:
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'audit_event'"
        ).fetchall()
        assert len(triggers) == 2
        conn.execute("BEGIN IMMEDIATE")
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(statement)
        for _, sql in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.fixture
def populated(env: Env) -> Env:
    """Keys, a migrated database and a few audited changes (checkpointed by the hook)."""
    ok("audit", "keygen", "--out", str(env.keys))
    ok("db", "upgrade")
    for name in ("alice", "bob", "carol"):
        ok("principals", "create", name, "--role", "viewer")
    return env


def test_keygen_writes_a_key_pair_once(env: Env) -> None:
    output = ok("audit", "keygen", "--out", str(env.keys))
    assert str(env.private) in output
    assert str(env.public) in output
    assert env.private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert env.public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert env.private.stat().st_mode & 0o077 == 0
    before = env.private.read_bytes()
    again = accord("audit", "keygen", "--out", str(env.keys))
    assert again.exit_code != 0
    assert "exists already" in str(again.exception)
    assert env.private.read_bytes() == before


def test_intact_trail_verifies_with_and_without_checkpoints(populated: Env) -> None:
    env = populated
    events = events_in(env)
    assert events >= 6  # a principal and a grant each
    # The after-commit hook wrote the first checkpoint when the first change committed.
    assert (env.checkpoints / "checkpoint-00000001.json").exists()
    output = ok("audit", "checkpoint")
    assert re.search(rf"checkpoint (\d+) at event {events}: ", output), output
    assert "nothing new" in ok("audit", "checkpoint")
    files = sorted(env.checkpoints.glob("checkpoint-*.json"))
    assert len(files) == 2

    assert f"chain intact: {events} events, head {events} " in ok("audit", "verify")
    output = ok(
        "audit", "verify", "--checkpoints", str(env.checkpoints), "--public-key", str(env.public)
    )
    assert f"chain intact: {events} events" in output
    assert "checkpoints intact: 2 verified" in output


def test_tampered_event_fails_verify_naming_its_sequence(populated: Env) -> None:
    env = populated
    tamper(env, "UPDATE audit_event SET payload = replace(payload, 'bob', 'bib') WHERE seq = 3")
    for args in (
        ("audit", "verify"),
        (
            "audit",
            "verify",
            "--checkpoints",
            str(populated.checkpoints),
            "--public-key",
            str(populated.public),
        ),
    ):
        result = accord(*args)
        assert result.exit_code == 1, result.output
        assert "chain broken at sequence 3: hash does not match" in result.output


def test_truncation_is_caught_only_with_the_checkpoints(populated: Env) -> None:
    env = populated
    ok("audit", "checkpoint")  # the auditors hold a checkpoint of the full trail
    events = events_in(env)
    tamper(env, f"DELETE FROM audit_event WHERE seq >= {events - 1}")
    assert f"chain intact: {events - 2} events" in ok("audit", "verify")
    result = accord(
        "audit", "verify", "--checkpoints", str(env.checkpoints), "--public-key", str(env.public)
    )
    assert result.exit_code == 1, result.output
    assert f"checkpoint 2 failed (event {events - 1}): event {events} is gone" in result.output


@pytest.mark.parametrize("given", ["--checkpoints", "--public-key"])
def test_checkpoints_and_public_key_go_together(populated: Env, given: str) -> None:
    value = populated.checkpoints if given == "--checkpoints" else populated.public
    result = accord("audit", "verify", given, str(value))
    assert result.exit_code == 2
    assert "--checkpoints and --public-key go together" in result.output


def run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The real entry point, which turns expected errors into a message and an exit code."""
    monkeypatch.setattr(sys, "argv", ["accord", *args])
    with pytest.raises(SystemExit) as exit_info:
        accord_cli.main()
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


def test_checkpoint_without_a_key_is_refused(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ACCORD_AUDIT__SIGNING_KEY_FILE")
    ok("db", "upgrade")
    assert run_main(monkeypatch, "audit", "checkpoint") == 2
    assert "set ACCORD_AUDIT__SIGNING_KEY_FILE and ACCORD_AUDIT__CHECKPOINT_DIR" in (
        capsys.readouterr().err
    )
    assert not env.checkpoints.exists()


def test_missing_key_files_are_reported_clearly(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A configured signing key that is not there: no traceback, a message naming the setting.
    assert run_main(monkeypatch, "db", "upgrade") == 2
    err = capsys.readouterr().err
    assert "signing_key_file" in err
    assert str(env.private) in err
    monkeypatch.delenv("ACCORD_AUDIT__SIGNING_KEY_FILE")
    ok("db", "upgrade")
    env.checkpoints.mkdir()
    missing = env.keys / "nowhere.pub.pem"
    assert (
        run_main(
            monkeypatch,
            "audit",
            "verify",
            "--checkpoints",
            str(env.checkpoints),
            "--public-key",
            str(missing),
        )
        == 2
    )
    assert f"cannot load {missing}" in capsys.readouterr().err
