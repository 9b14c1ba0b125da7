"""The audit service on both backends: appends, transactions, verbatim storage, checkpoints."""

from __future__ import annotations

import itertools
import json
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from accord.audit import rules
from accord.audit import service as audit_service
from accord.audit.models import AuditCheckpoint, AuditEvent
from accord.config import AuditSettings
from accord.db.session import REQUEST_ID, Database
from accord.identity import service as identity_service
from accord.identity.models import BusinessUnit
from accord.identity.schemas import BusinessUnitCreate
from accord.kit.errors import Conflict, InvalidInput
from tests.audit.helpers import (
    ALICE,
    T0,
    Keys,
    Who,
    append_events,
    event_content,
    make_keys,
    open_database,
    triggers_disabled,
)
from tests.conftest import FreshDatabases
from tests.factories.identity import SYSTEM


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def record(session: Session, i: int) -> AuditEvent:
    return audit_service.record_event(session, **event_content(i))


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path / "keys")


# ------------------------------------------------------------------------------------ appends


def test_record_event_appends_with_contiguous_seq(session: Session) -> None:
    start = count(session)
    events = [record(session, i) for i in range(1, 5)]
    assert [e.seq for e in events] == list(range(start + 1, start + 5))
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
    for event in events:
        assert event.hash == rules.chain_hash(event.prev_hash, event.payload)
    if start == 0:
        assert events[0].prev_hash == rules.GENESIS_HASH
    result = audit_service.verify(session)
    assert result.ok
    assert (result.events, result.head_seq, result.head_hash) == (
        start + 4,
        start + 4,
        events[-1].hash,
    )


def test_payload_records_actor_time_action_entity_states_and_reason(session: Session) -> None:
    session.info[REQUEST_ID] = "req-0042"
    event = audit_service.record_event(
        session,
        actor=Who("zoë", 9, "source"),
        action="agreement.terms.changed",
        entity_type="agreement",
        entity_key="SLA-0042",
        business_unit_id=3,
        now=T0,
        before={"target": Decimal("0.9990")},
        after={"target": Decimal("0.99950")},
        reason="customer asked",
    )
    assert json.loads(event.payload) == {
        "seq": event.seq,
        "occurred_at": "2026-03-01T09:30:15.123456Z",
        "actor": {"id": 9, "name": "zoë", "kind": "source"},
        "action": "agreement.terms.changed",
        "entity": {"type": "agreement", "key": "SLA-0042"},
        "business_unit_id": 3,
        "reason": "customer asked",
        "before": {"target": "0.9990"},
        "after": {"target": "0.99950"},
        "request_id": "req-0042",
    }
    assert (event.actor_id, event.actor_name, event.action) == (9, "zoë", "agreement.terms.changed")
    assert (event.entity_type, event.entity_key, event.business_unit_id) == (
        "agreement",
        "SLA-0042",
        3,
    )
    read = audit_service.to_read(event)
    assert (read.reason, read.before, read.after, read.request_id) == (
        "customer asked",
        {"target": "0.9990"},
        {"target": "0.99950"},
        "req-0042",
    )


def test_service_calls_record_their_event_in_the_same_transaction(
    database: Database, session: Session
) -> None:
    start = count(session)
    with database.unit_of_work() as uow:
        identity_service.create_business_unit(
            uow, actor=SYSTEM, data=BusinessUnitCreate(code="kept", name="Kept"), now=T0
        )
    assert count(session) == start + 1
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event is not None
    assert (event.action, event.entity_key) == ("business_unit.created", "kept")
    assert session.scalar(select(BusinessUnit.id).where(BusinessUnit.code == "kept")) == (
        event.business_unit_id
    )


def test_events_roll_back_with_the_failed_service_call(
    database: Database, session: Session
) -> None:
    start = count(session)

    # The second call fails after the first one appended its event: nothing of the unit stays.
    def create_twice() -> None:
        with database.unit_of_work() as uow:
            for _ in range(2):
                identity_service.create_business_unit(
                    uow, actor=SYSTEM, data=BusinessUnitCreate(code="twice", name="Twice"), now=T0
                )

    with pytest.raises(Conflict):
        create_twice()

    # Any failure after the append, however late, takes the event with it.
    def fail_late() -> None:
        with database.unit_of_work() as uow:
            identity_service.create_business_unit(
                uow, actor=SYSTEM, data=BusinessUnitCreate(code="late", name="Late"), now=T0
            )
            assert count(uow) == start + 1  # it was written, inside the transaction
            raise RuntimeError("late failure")

    with pytest.raises(RuntimeError, match="late failure"):
        fail_late()
    assert count(session) == start
    assert (
        session.scalar(
            select(func.count())
            .select_from(BusinessUnit)
            .where(BusinessUnit.code.in_(["twice", "late"]))
        )
        == 0
    )
    # The chain simply continues: no gap where the rolled-back events were.
    event = record(session, 1)
    assert event.seq == start + 1
    assert audit_service.verify(session).ok


def test_stored_payload_round_trips_verbatim(session: Session) -> None:
    content = event_content(3)
    content["after"] = {
        "fee": Decimal("1200.50"),
        "target": Decimal("0.99950"),
        "note": "Größe — 東京 — 🙂 — \u2028",
        "at": datetime(2026, 3, 1, 9, 30, 15, 999999, tzinfo=UTC),
    }
    event = audit_service.record_event(session, **content)
    payload, hash_ = event.payload, event.hash
    assert "🙂" in payload
    assert '"fee":"1200.50"' in payload
    assert '"target":"0.99950"' in payload
    assert '"at":"2026-03-01T09:30:15.999999Z"' in payload
    session.expunge_all()
    raw = session.execute(
        text("SELECT payload, hash, prev_hash FROM audit_event WHERE seq = :seq"),
        {"seq": event.seq},
    ).one()
    assert raw.payload == payload
    assert raw.payload.encode("utf-8") == payload.encode("utf-8")
    assert raw.hash == hash_ == rules.chain_hash(raw.prev_hash, raw.payload)
    reread = session.get(AuditEvent, event.seq)
    assert reread is not None
    assert reread.occurred_at == content["now"]  # microseconds and UTC survive
    assert reread.occurred_at.tzinfo is not None
    assert audit_service.verify(session).ok


def test_verify_reads_the_database_not_the_session_cache(session: Session) -> None:
    """Objects the session already holds must not hide what the database now says."""
    events = [record(session, i) for i in range(1, 4)]
    target = events[1]
    with triggers_disabled(session) as conn:
        conn.execute(
            text("UPDATE audit_event SET payload = :p WHERE seq = :seq"),
            {"p": target.payload.replace("Zürich", "Zurich"), "seq": target.seq},
        )
    assert target.payload.startswith("{")  # still cached in the identity map, unchanged
    result = audit_service.verify(session)
    assert not result.ok
    assert result.first_bad_seq == target.seq
    assert result.problem is not None
    assert "hash does not match" in result.problem


def test_verify_with_checkpoints_needs_the_public_key(session: Session) -> None:
    with pytest.raises(InvalidInput, match="public key"):
        audit_service.verify(session, checkpoints=[], public_key=None)


def test_list_events_is_newest_first_and_filtered(session: Session) -> None:
    start = count(session)
    for i in range(1, 4):
        record(session, i)
    audit_service.record_event(
        session,
        actor=Who("bob"),
        action="service.created",
        entity_type="service",
        entity_key="payments",
        business_unit_id=8,
        now=T0,
    )
    everything = audit_service.list_events(session, units=None, limit=10)
    assert [e.seq for e in everything][:4] == [start + 4, start + 3, start + 2, start + 1]
    in_unit_8 = audit_service.list_events(session, units=frozenset({8}))
    assert [e.entity_key for e in in_unit_8] == ["payments"]
    by_key = audit_service.list_events(session, units=None, entity_key="SLA-0002")
    assert [e.seq for e in by_key] == [start + 2]
    assert by_key[0].reason == "renegotiated with Ünïcødé customer 2"
    by_actor = audit_service.list_events(session, units=None, actor_name="bob")
    assert [e.action for e in by_actor] == ["service.created"]
    page = audit_service.list_events(session, units=None, before_seq=start + 3, limit=1)
    assert [e.seq for e in page] == [start + 2]


# ----------------------------------------------------------------------------- both databases


def test_identical_events_hash_identically_on_sqlite_and_postgresql(
    fresh_databases: FreshDatabases,
) -> None:
    chains = {}
    for backend in ("sqlite", "postgresql"):
        database = open_database(fresh_databases.url(backend))
        try:
            append_events(database, 1, 6)
            with database.unit_of_work() as session:
                audit_service.record_event(
                    session,
                    actor=Who("système", None, "system"),
                    action="tier.updated",
                    entity_type="tier",
                    entity_key="1",
                    business_unit_id=None,
                    now=datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                    before={"min_target": Decimal("0.9995")},
                    after={"min_target": Decimal("0.99950"), "name": "Tier 1 — ☁ critique"},
                    reason=None,
                )
            with database.unit_of_work(write=False) as session:
                assert audit_service.verify(session).ok
                chains[backend] = session.execute(
                    select(
                        AuditEvent.seq,
                        AuditEvent.occurred_at,
                        AuditEvent.payload,
                        AuditEvent.prev_hash,
                        AuditEvent.hash,
                    ).order_by(AuditEvent.seq)
                ).all()
        finally:
            database.dispose()
    assert len(chains["sqlite"]) == 7
    assert [tuple(r) for r in chains["sqlite"]] == [tuple(r) for r in chains["postgresql"]]
    # And both equal what the rules compute offline from the same inputs.
    prev = rules.GENESIS_HASH
    for i in range(1, 7):
        content = event_content(i)
        actor = content.pop("actor")
        now = content.pop("now")
        payload = rules.event_payload(
            seq=i,
            occurred_at=now,
            actor_id=actor.principal_id,
            actor_name=actor.name,
            actor_kind=actor.kind,
            request_id=None,
            **content,
        )
        row = chains["postgresql"][i - 1]
        assert (row.payload, row.prev_hash) == (payload, prev)
        assert row.occurred_at == now
        prev = rules.chain_hash(prev, payload)
        assert row.hash == prev


# -------------------------------------------------------------------------------- checkpoints


def checkpoint_rows(session: Session) -> list[tuple[int, int]]:
    return [
        (c.number, c.event_seq)
        for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number))
    ]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_after_commit_hook_checkpoints_every_n_events(
    database: Database, session: Session, keys: Keys, tmp_path: Path
) -> None:
    assert count(session) == 0, "expects an empty trail in the test transaction"
    directory = tmp_path / "checkpoints"
    clock = Clock()
    audit_service.install_checkpoints(
        database, keys.settings(directory, every_events=3), clock=clock
    )
    for i in range(1, 9):
        clock.now = T0 + timedelta(seconds=i)
        with database.unit_of_work() as uow:
            record(uow, i)
    # First checkpoint as soon as there is a head, then every 3 events.
    assert checkpoint_rows(session) == [(1, 1), (2, 4), (3, 7)]
    assert sorted(p.name for p in directory.iterdir()) == [
        "checkpoint-00000001.json",
        "checkpoint-00000002.json",
        "checkpoint-00000003.json",
    ]
    # A unit of work that appends several events is checkpointed once, at its head.
    with database.unit_of_work() as uow:
        for i in range(9, 14):
            record(uow, i)
    assert checkpoint_rows(session)[-1] == (4, 13)
    # Units that append nothing, and read units, write no checkpoint.
    with database.unit_of_work() as uow:
        uow.execute(select(1))
    with database.unit_of_work(write=False) as uow:
        record(uow, 14)  # rolled back: read units never commit
    assert checkpoint_rows(session)[-1] == (4, 13)
    # Time also makes a checkpoint due: one event, more than an hour after the last one.
    clock.now = T0 + timedelta(minutes=61, seconds=20)
    with database.unit_of_work() as uow:
        record(uow, 14)
    assert checkpoint_rows(session)[-1] == (5, 14)

    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number)).all()
    files = audit_service.read_checkpoint_files(directory)
    assert len(list(directory.iterdir())) == 5  # no temporary files left behind
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # public: auditors copy them
    assert [(f.document, f.signature) for f in files] == [(r.document, r.signature) for r in rows]
    result = audit_service.verify(
        session, checkpoints=files, public_key=audit_service.load_public_key(keys.public)
    )
    assert result.ok
    assert result.checkpoints_verified == 5


def test_checkpoint_failure_does_not_fail_the_committed_unit(
    database: Database,
    session: Session,
    keys: Keys,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the checkpoint directory should be")
    audit_service.install_checkpoints(
        database, keys.settings(blocker / "checkpoints", every_events=1), clock=lambda: T0
    )
    start = count(session)
    with (
        caplog.at_level(logging.ERROR, logger="accord.db.session"),
        database.unit_of_work() as uow,
    ):
        record(uow, 1)
    assert count(session) == start + 1  # committed and kept
    assert checkpoint_rows(session) == []  # the checkpoint unit rolled back
    assert any("after-commit hook" in r.getMessage() for r in caplog.records)
    assert any(r.exc_info for r in caplog.records)


def test_no_policy_without_both_key_and_directory(keys: Keys, tmp_path: Path) -> None:
    assert audit_service.checkpoint_policy(AuditSettings()) is None
    assert audit_service.checkpoint_policy(AuditSettings(signing_key_file=keys.private)) is None
    assert audit_service.checkpoint_policy(AuditSettings(checkpoint_dir=tmp_path)) is None
    policy = audit_service.checkpoint_policy(keys.settings(tmp_path, every_events=5))
    assert policy is not None
    assert (policy.every_events, policy.every) == (5, timedelta(minutes=60))


def test_checkpoint_on_empty_trail_and_nothing_new(
    session: Session, keys: Keys, tmp_path: Path
) -> None:
    policy = keys.policy(tmp_path)
    if count(session) == 0:
        assert audit_service.checkpoint_if_due(session, policy=policy, now=T0, force=True) is None
    record(session, 1)
    first = audit_service.checkpoint_if_due(session, policy=policy, now=T0, force=True)
    assert first is not None
    assert first.file == str(tmp_path / rules.checkpoint_file_name(first.number))
    assert audit_service.checkpoint_if_due(session, policy=policy, now=T0, force=True) is None
    # Not due: fewer than every_events new events and less time than `every`.
    record(session, 2)
    assert audit_service.checkpoint_if_due(session, policy=policy, now=T0) is None


def test_lost_checkpoint_row_is_adopted_from_its_file(
    session: Session, keys: Keys, tmp_path: Path
) -> None:
    """A crash between writing the file and committing the row: the file is adopted."""
    policy = keys.policy(tmp_path, every_events=3)
    assert count(session) == 0, "expects an empty trail in the test transaction"
    for i in range(1, 4):
        record(session, i)
    session.commit()  # the events are committed (to the test's outer transaction)
    written = audit_service.checkpoint_if_due(session, policy=policy, now=T0, force=True)
    assert written is not None
    path = Path(str(written.file))
    exported = path.read_bytes()
    session.rollback()  # ... but the checkpoint row is lost
    assert checkpoint_rows(session) == []

    adopted = audit_service.checkpoint_if_due(
        session, policy=policy, now=T0 + timedelta(hours=1), force=True
    )
    assert adopted is not None
    assert (adopted.number, adopted.event_seq, adopted.created_at) == (1, 3, T0)
    assert path.read_bytes() == exported
    assert checkpoint_rows(session) == [(1, 3)]
    # And checkpointing goes on from it.
    for i in range(4, 7):
        record(session, i)
    nxt = audit_service.checkpoint_if_due(session, policy=policy, now=T0 + timedelta(hours=1))
    assert nxt is not None
    assert (nxt.number, nxt.event_seq) == (2, 6)
    result = audit_service.verify(
        session,
        checkpoints=audit_service.read_checkpoint_files(tmp_path),
        public_key=audit_service.load_public_key(keys.public),
    )
    assert result.ok
    assert result.checkpoints_verified == 2


def test_exported_checkpoint_that_contradicts_the_database_is_never_overwritten(
    session: Session, keys: Keys, tmp_path: Path
) -> None:
    policy = keys.policy(tmp_path)
    assert count(session) == 0, "expects an empty trail in the test transaction"
    for i in range(1, 4):
        record(session, i)
    written = audit_service.checkpoint_if_due(session, policy=policy, now=T0, force=True)
    assert written is not None
    path = Path(str(written.file))
    exported = path.read_bytes()
    session.rollback()  # events and checkpoint gone: the database went back in time
    for i in range(1, 3):
        audit_service.record_event(session, **{**event_content(i), "reason": "a new history"})
    with pytest.raises(Conflict, match="does not match this database"):
        audit_service.checkpoint_if_due(session, policy=policy, now=T0, force=True)
    assert path.read_bytes() == exported
    assert checkpoint_rows(session) == []
    # A file that is not a checkpoint at all is not overwritten either.
    path.write_text("garbage")
    with pytest.raises(Conflict):
        audit_service.checkpoint_if_due(session, policy=policy, now=T0, force=True)
    assert path.read_text() == "garbage"


def test_checkpoint_export_without_hard_links(
    session: Session, keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system without hard links the file is created exclusively instead."""

    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    record(session, 1)
    written = audit_service.checkpoint_if_due(
        session, policy=keys.policy(tmp_path), now=T0, force=True
    )
    assert written is not None
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [
        rules.checkpoint_file_name(written.number)
    ]
    result = audit_service.verify(
        session,
        checkpoints=audit_service.read_checkpoint_files(tmp_path),
        public_key=audit_service.load_public_key(keys.public),
    )
    assert result.ok
    assert result.checkpoints_verified == written.number


# --------------------------------------------------------------------------------- key files


def test_generate_key_pair_protects_and_never_overwrites(tmp_path: Path) -> None:
    private, public = tmp_path / "k" / "audit.pem", tmp_path / "k" / "audit.pub.pem"
    audit_service.generate_key_pair(private, public)
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    key = audit_service.load_private_key(private)
    loaded = audit_service.load_public_key(public)
    assert loaded.public_bytes_raw() == key.public_key().public_bytes_raw()
    before = private.read_bytes()
    with pytest.raises(InvalidInput, match="exists already"):
        audit_service.generate_key_pair(private, public)
    assert private.read_bytes() == before


def test_read_checkpoint_files_refuses_what_is_not_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a directory"):
        audit_service.read_checkpoint_files(tmp_path / "missing")
    (tmp_path / ".checkpoint-123.tmp").write_text("half written")  # ignored
    assert audit_service.read_checkpoint_files(tmp_path) == []
    (tmp_path / "checkpoint-00000001.json").write_text("{not json")
    with pytest.raises(InvalidInput, match=r"checkpoint-00000001\.json is not a checkpoint file"):
        audit_service.read_checkpoint_files(tmp_path)


def test_actor_is_taken_from_the_protocol(session: Session) -> None:
    event = audit_service.record_event(
        session,
        actor=ALICE,
        action="x.y",
        entity_type="x",
        entity_key="k",
        business_unit_id=None,
        now=T0,
    )
    assert (event.actor_id, event.actor_name) == (42, "alice")
    assert json.loads(event.payload)["actor"] == {"id": 42, "name": "alice", "kind": "user"}
