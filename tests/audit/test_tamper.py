"""The tamper matrix, on real committed databases of both backends.

Each case starts from a copy of the same trail: 12 events, signed checkpoints exported after
events 4, 8 and 12 (and a backup copy of the database taken at event 8). The tampering is done as
a DBA would, past the append-only triggers; then `audit_service.verify` has to name the first bad
sequence number, from the chain alone where it can and through the checkpoints where it cannot
(truncation of the tail, a consistent rewrite, a rollback to an older copy).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, exc, text

from accord.audit import rules
from accord.audit import service as audit_service
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from tests.audit.helpers import (
    T0,
    Keys,
    append_events,
    bypass_triggers,
    copy_database,
    dba,
    event_content,
    force_checkpoint,
    forged_event,
    insert_row,
    make_keys,
    open_database,
    rewrite_from,
    rows,
    set_row,
    verify,
)
from tests.conftest import FreshDatabases


@dataclass(frozen=True)
class Trail:
    url: str
    """12 events; checkpoints 1, 2, 3 at events 4, 8, 12."""
    older_url: str
    """A backup taken at event 8, after checkpoint 2."""
    keys: Keys
    checkpoints: Path
    hashes: list[str]


@pytest.fixture(scope="module")
def trail(
    backend: str, fresh_databases: FreshDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Trail:
    base = tmp_path_factory.mktemp(f"trail-{backend}")
    keys = make_keys(base / "keys")
    checkpoints = base / "checkpoints"
    url = fresh_databases.url(backend)
    database = open_database(url)
    append_events(database, 1, 4)
    assert force_checkpoint(database, keys, checkpoints, now=T0 + timedelta(minutes=1)) == 1
    append_events(database, 5, 8)
    assert force_checkpoint(database, keys, checkpoints, now=T0 + timedelta(minutes=2)) == 2
    database.dispose()
    older_url = copy_database(url, fresh_databases.created)
    database = open_database(url)
    append_events(database, 9, 12)
    assert force_checkpoint(database, keys, checkpoints, now=T0 + timedelta(minutes=3)) == 3
    database.dispose()
    with dba(url) as conn:  # read only, but the same connection kind the cases use
        hashes = [row.hash for row in rows(conn)]
    assert len(hashes) == 12
    return Trail(url, older_url, keys, checkpoints, hashes)


@pytest.fixture
def live(trail: Trail) -> Iterator[Connection]:
    """A connection to the trail in a transaction that is rolled back after the case: tampering
    and verification both happen inside it, so every case starts from the same trail."""
    engine = create_database_engine(trail.url, DatabaseSettings())
    try:
        with engine.connect() as conn:
            transaction = conn.begin()
            yield conn
            transaction.rollback()
    finally:
        engine.dispose()


def check(trail: Trail, url: str | Connection) -> tuple[Any, Any]:
    """(chain only, chain and checkpoints)."""
    return verify(url), verify(url, trail.keys, trail.checkpoints)


def assert_chain_broken_at(trail: Trail, url: str | Connection, seq: int, problem: str) -> None:
    plain, full = check(trail, url)
    for result in (plain, full):
        assert not result.ok
        assert result.first_bad_seq == seq
        assert problem in result.problem
        assert result.events == seq - 1
        assert result.head_seq == seq - 1
        assert result.head_hash == (trail.hashes[seq - 2] if seq > 1 else rules.GENESIS_HASH)


def assert_only_checkpoints_see(
    trail: Trail, url: str | Connection, *, events: int, checkpoint: int, seq: int, problem: str
) -> None:
    plain, full = check(trail, url)
    assert plain.ok, "the chain alone cannot see this: that is what checkpoints are for"
    assert plain.events == events
    assert full.problem is None  # the chain itself is consistent
    assert not full.ok
    assert full.checkpoint_number == checkpoint
    assert full.checkpoints_verified == checkpoint - 1
    assert full.first_bad_seq == seq
    assert problem in full.checkpoint_problem


# ---------------------------------------------------------------------------------- the cases


def test_untouched_trail_verifies(trail: Trail, live: Connection) -> None:
    plain, full = check(trail, live)
    assert plain.ok
    assert (plain.events, plain.head_seq, plain.head_hash) == (12, 12, trail.hashes[-1])
    assert full.ok
    assert full.checkpoints_verified == 3
    assert full.first_bad_seq is None


def test_edited_byte_of_payload(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        payload = rows(conn)[5].payload
        at = payload.index("0.9990") + 5
        edited = payload[:at] + "1" + payload[at + 1 :]  # 0.9990 -> 0.9991: one byte
        assert len(edited.encode()) == len(payload.encode())
        set_row(conn, 6, payload=edited)
    assert_chain_broken_at(trail, live, 6, "hash does not match the stored payload")


def test_edited_byte_of_hash(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        old = trail.hashes[5]
        set_row(conn, 6, hash=("0" if old[0] != "0" else "1") + old[1:])
    assert_chain_broken_at(trail, live, 6, "hash does not match the stored payload")


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor_name", "mallory"), ("entity_key", "SLA-9999"), ("action", "agreement.viewed")],
)
def test_edited_queryable_column(trail: Trail, live: Connection, column: str, value: str) -> None:
    with bypass_triggers(live) as conn:
        set_row(conn, 6, **{column: value})
    assert_chain_broken_at(trail, live, 6, f"column {column} differs from the hashed payload")


def test_edited_timestamp_column(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        row = rows(conn)[5]
        when = row.occurred_at + timedelta(microseconds=1)
        value: Any = (
            when.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            if conn.dialect.name == "sqlite"
            else when
        )
        set_row(conn, 6, occurred_at=value)
    assert_chain_broken_at(trail, live, 6, "column occurred_at differs from the hashed payload")


def test_deleted_middle_row(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 6"))
    assert_chain_broken_at(trail, live, 6, "sequence 6 is missing (next row found is 7)")


def test_deleted_last_rows(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq >= 11"))
    assert_only_checkpoints_see(
        trail, live, events=10, checkpoint=3, seq=11, problem="event 12 is gone"
    )


def test_forged_row_inserted_in_the_middle(trail: Trail, live: Connection) -> None:
    """A forger makes room at 7 and writes a well-formed row linked to 6; the old 7 (now 8) no
    longer links to what precedes it, and checkpoint 2 (event 8) no longer matches either."""
    with bypass_triggers(live) as conn:
        conn.execute(text("UPDATE audit_event SET seq = seq + 1000 WHERE seq >= 7"))
        conn.execute(text("UPDATE audit_event SET seq = seq - 999 WHERE seq >= 1000"))
        insert_row(conn, forged_event(7, trail.hashes[5]))
    plain, full = check(trail, live)
    for result in (plain, full):
        assert not result.ok
        assert result.first_bad_seq == 8
        assert "previous-hash link" in result.problem
    assert full.checkpoint_number == 2
    assert "different hash" in full.checkpoint_problem


def test_forged_row_appended(trail: Trail, live: Connection) -> None:
    forged = forged_event(13, trail.hashes[-1])
    with bypass_triggers(live) as conn:
        insert_row(conn, replace(forged, hash="f" * 64))
    assert_chain_broken_at(trail, live, 13, "hash does not match the stored payload")


def test_forged_row_before_the_first(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        insert_row(conn, forged_event(0, rules.GENESIS_HASH))
    assert_chain_broken_at(trail, live, 1, "sequence 1 is missing (next row found is 0)")


def test_swapped_rows(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        conn.execute(text("UPDATE audit_event SET seq = -5 WHERE seq = 5"))
        conn.execute(text("UPDATE audit_event SET seq = 5 WHERE seq = 6"))
        conn.execute(text("UPDATE audit_event SET seq = 6 WHERE seq = -5"))
    assert_chain_broken_at(trail, live, 5, "previous-hash link")


def test_whole_chain_rewritten_consistently(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        rewrite_from(conn, 1, {"reason": "nothing to see here"})
        # The forger also replaces the checkpoint rows; the exported files are out of reach.
        conn.execute(text("DELETE FROM audit_checkpoint"))
    assert_only_checkpoints_see(
        trail, live, events=12, checkpoint=1, seq=4, problem="event 4 has a different hash"
    )


def test_tail_rewritten_consistently(trail: Trail, live: Connection) -> None:
    with bypass_triggers(live) as conn:
        rewrite_from(conn, 10, {"reason": "nothing to see here"})
    assert_only_checkpoints_see(
        trail, live, events=12, checkpoint=3, seq=12, problem="event 12 has a different hash"
    )


def test_older_copy_restored(trail: Trail) -> None:
    assert_only_checkpoints_see(
        trail,
        trail.older_url,
        events=8,
        checkpoint=3,
        seq=9,
        problem="event 12 is gone from the database",
    )


def test_older_copy_restored_and_written_to(
    trail: Trail,
    fresh_databases: FreshDatabases,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a rollback new events take the old sequence numbers. The checkpoint hook refuses to
    overwrite the exported checkpoint 3 (keeping the evidence) and verify names event 12."""
    restored = copy_database(trail.older_url, fresh_databases.created)
    checkpoints = tmp_path / "checkpoints"
    shutil.copytree(trail.checkpoints, checkpoints)
    exported = (checkpoints / rules.checkpoint_file_name(3)).read_bytes()
    database = open_database(restored)
    audit_service.install_checkpoints(
        database,
        trail.keys.settings(checkpoints, every_events=4),
        clock=lambda: T0 + timedelta(minutes=9),
    )
    try:
        with caplog.at_level(logging.ERROR, logger="accord.db.session"):
            for i in range(9, 13):
                with database.unit_of_work() as session:
                    audit_service.record_event(
                        session, **{**event_content(i), "reason": "the new history"}
                    )
    finally:
        database.dispose()
    assert (checkpoints / rules.checkpoint_file_name(3)).read_bytes() == exported
    assert sorted(p.name for p in checkpoints.iterdir()) == [
        rules.checkpoint_file_name(n) for n in (1, 2, 3)
    ]
    assert any(
        r.exc_info and "does not match this database" in str(r.exc_info[1]) for r in caplog.records
    )
    plain = verify(restored)
    full = verify(restored, trail.keys, checkpoints)
    assert plain.ok
    assert plain.events == 12
    assert not full.ok
    assert (full.checkpoint_number, full.first_bad_seq) == (3, 12)
    assert "event 12 has a different hash" in full.checkpoint_problem


def test_checkpoint_files_of_another_key_are_refused(trail: Trail, tmp_path: Path) -> None:
    other = make_keys(tmp_path / "other")
    plain = verify(trail.url)
    full = verify(trail.url, other, trail.checkpoints)
    assert plain.ok
    assert not full.ok
    assert (full.checkpoint_number, full.checkpoint_problem) == (1, "bad signature")


# ------------------------------------------------------------------------ append-only triggers


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor_name = 'mallory' WHERE seq = 3",
        "UPDATE audit_event SET seq = seq + 100",
        "DELETE FROM audit_event WHERE seq = 12",
        "DELETE FROM audit_event",
        "UPDATE audit_checkpoint SET head_hash = 'x' WHERE number = 1",
        "DELETE FROM audit_checkpoint",
    ],
)
def test_triggers_refuse_updates_and_deletes(
    trail: Trail, live: Connection, statement: str
) -> None:
    with pytest.raises(exc.DBAPIError, match="append-only"), live.begin_nested():
        live.execute(text(statement))
    plain, full = check(trail, live)
    assert plain.ok
    assert full.ok
    assert plain.events == 12


def test_triggers_refuse_bulk_removal(trail: Trail, live: Connection, backend: str) -> None:
    """TRUNCATE on PostgreSQL (row triggers do not fire for it, a statement trigger does);
    SQLite has no TRUNCATE, and its truncate optimisation of a bare DELETE is off when the
    table has a DELETE trigger."""
    if backend == "postgresql":
        statements = [
            "TRUNCATE audit_event",
            "TRUNCATE audit_checkpoint",
            "TRUNCATE audit_event, audit_checkpoint CASCADE",
        ]
    else:
        statements = ["DELETE FROM audit_event", "DELETE FROM audit_checkpoint"]
    for statement in statements:
        with pytest.raises(exc.DBAPIError, match="append-only"), live.begin_nested():
            live.execute(text(statement))
    assert verify(live).events == 12
    assert verify(live, trail.keys, trail.checkpoints).ok


def test_triggers_still_allow_appends(trail: Trail, live: Connection) -> None:
    append_events(Database(live, DatabaseSettings()), 13, 13)
    plain, full = check(trail, live)
    assert plain.ok
    assert full.ok
    assert plain.events == 13
