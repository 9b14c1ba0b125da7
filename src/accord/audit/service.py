"""Use cases of the audit trail: record an event, query, verify, checkpoint.

`record_event` is the one audit call every service makes, inside the caller's transaction, so the
change and its audit event commit or roll back together.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from accord.audit import rules
from accord.audit.models import AuditCheckpoint, AuditEvent
from accord.audit.ports import AuditActor
from accord.audit.repository import AuditRepository
from accord.audit.schemas import AuditEventRead, ChainVerification, CheckpointRead
from accord.config import AuditSettings
from accord.db.session import REQUEST_ID, Database
from accord.kit.errors import Conflict, InvalidInput
from accord.kit.hashing import sha256_hex

APPENDED_KEY = "accord.audit_appended"
"""`Session.info` flag: this unit of work appended events (so a checkpoint may be due)."""


def record_event(
    session: Session,
    *,
    actor: AuditActor,
    action: str,
    entity_type: str,
    entity_key: str,
    business_unit_id: int | None,
    now: datetime,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event to the chain (serialised against concurrent appenders)."""
    repo = AuditRepository(session)
    repo.lock_chain()
    head = repo.head()
    seq = 1 if head is None else head.seq + 1
    prev_hash = rules.GENESIS_HASH if head is None else head.hash
    payload = rules.event_payload(
        seq=seq,
        occurred_at=now,
        actor_id=actor.principal_id,
        actor_name=actor.name,
        actor_kind=str(actor.kind),
        action=action,
        entity_type=entity_type,
        entity_key=entity_key,
        business_unit_id=business_unit_id,
        reason=reason,
        before=before,
        after=after,
        request_id=session.info.get(REQUEST_ID),
    )
    event = AuditEvent(
        seq=seq,
        occurred_at=now,
        actor_id=actor.principal_id,
        actor_name=actor.name,
        action=action,
        entity_type=entity_type,
        entity_key=entity_key,
        business_unit_id=business_unit_id,
        payload=payload,
        prev_hash=prev_hash,
        hash=rules.chain_hash(prev_hash, payload),
    )
    repo.add(event)
    session.info[APPENDED_KEY] = True
    return event


def to_read(event: AuditEvent) -> AuditEventRead:
    data = json.loads(event.payload)
    return AuditEventRead(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor_name,
        action=event.action,
        entity_type=event.entity_type,
        entity_key=event.entity_key,
        business_unit_id=event.business_unit_id,
        reason=data.get("reason"),
        before=data.get("before"),
        after=data.get("after"),
        request_id=data.get("request_id"),
        hash=event.hash,
        prev_hash=event.prev_hash,
    )


def list_events(
    session: Session,
    *,
    units: frozenset[int] | None,
    entity_type: str | None = None,
    entity_key: str | None = None,
    action: str | None = None,
    actor_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[AuditEventRead]:
    """Events newest first. Authorisation (which units) is decided by the caller's adapter."""
    rows = AuditRepository(session).query(
        units=units,
        entity_type=entity_type,
        entity_key=entity_key,
        action=action,
        actor_name=actor_name,
        since=since,
        until=until,
        before_seq=before_seq,
        limit=limit,
    )
    return [to_read(row) for row in rows]


# ------------------------------------------------------------------------------- verification


def verify(
    session: Session,
    *,
    checkpoints: list[rules.SignedCheckpoint] | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> ChainVerification:
    repo = AuditRepository(session)
    report = rules.verify_chain(repo.iterate())
    result = ChainVerification(
        ok=report.ok,
        events=report.events,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        first_bad_seq=report.first_bad.seq if report.first_bad else None,
        problem=report.first_bad.problem if report.first_bad else None,
    )
    if checkpoints is None:
        return result
    if public_key is None:
        raise InvalidInput.field("public_key", "checkpoints can only be verified with a public key")
    verified, finding = rules.verify_checkpoints(
        checkpoints, public_key, repo.hash_at, head_seq=report.head_seq if report.ok else None
    )
    return result.model_copy(
        update={
            "ok": result.ok and finding is None,
            "checkpoints_verified": verified,
            "checkpoint_problem": finding.problem if finding else None,
            "checkpoint_number": finding.checkpoint if finding else None,
            "first_bad_seq": result.first_bad_seq
            if result.first_bad_seq is not None
            else (finding.seq if finding else None),
        }
    )


# -------------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class CheckpointPolicy:
    """Where and how often checkpoints are written; built from settings by the composition root."""

    key: Ed25519PrivateKey
    directory: Path
    every_events: int
    every: timedelta


def checkpoint_policy(settings: AuditSettings) -> CheckpointPolicy | None:
    """The configured policy; None unless both a signing key and a directory are set."""
    if settings.signing_key_file is None or settings.checkpoint_dir is None:
        return None
    return CheckpointPolicy(
        key=load_private_key(settings.signing_key_file),
        directory=settings.checkpoint_dir,
        every_events=settings.checkpoint_every_events,
        every=timedelta(minutes=settings.checkpoint_every_minutes),
    )


def install_checkpoints(
    database: Database, settings: AuditSettings, *, clock: Callable[[], datetime]
) -> None:
    """After each committed unit of work that appended events, write a checkpoint when due."""
    policy = checkpoint_policy(settings)
    if policy is None:
        return

    def write_checkpoint_if_due(info: dict[str, Any]) -> None:
        if not info.get(APPENDED_KEY):
            return
        with database.unit_of_work() as session:
            checkpoint_if_due(session, policy=policy, now=clock())

    database.after_commit.append(write_checkpoint_if_due)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInput.field("signing_key_file", f"cannot load {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput.field("signing_key_file", f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidInput.field("public_key", f"cannot load {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput.field("public_key", f"{path} is not an Ed25519 public key")
    return key


def generate_key_pair(private_path: Path, public_path: Path) -> None:
    """Write a new Ed25519 key pair (private key readable by the owner only)."""
    if private_path.exists() or public_path.exists():
        raise InvalidInput.field("out", f"{private_path} or {public_path} exists already")
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def checkpoint_if_due(
    session: Session, *, policy: CheckpointPolicy, now: datetime, force: bool = False
) -> CheckpointRead | None:
    """Sign and export a checkpoint of the current head when enough events or time have passed.

    The file is written (and fsynced) before the row is committed: it only states facts that are
    already committed. A crash in between leaves a file without its row; the next call adopts
    that file (it is signed, links to the last checkpoint row and matches the chain). An
    exported checkpoint is never overwritten: a file of the next number that does *not* match
    the database means the database was rolled back (restored from an older copy, or pointed
    at the wrong checkpoint directory), and replacing the file would erase the evidence, so
    this refuses with `Conflict` instead.
    """
    repo = AuditRepository(session)
    repo.lock_chain()
    head = repo.head()
    if head is None:
        return None
    last = repo.last_checkpoint()
    number = 1 if last is None else last.number + 1
    previous = rules.GENESIS_HASH if last is None else sha256_hex(last.document)
    path = policy.directory / rules.checkpoint_file_name(number)
    if path.exists():
        adopted = _adopt_exported(repo, path, policy=policy, number=number, previous=previous)
        return checkpoint_if_due(session, policy=policy, now=now, force=force) or adopted
    if last is not None:
        if last.event_seq == head.seq:
            return None
        due = (
            head.seq - last.event_seq >= policy.every_events
            or now - last.created_at >= policy.every
        )
        if not (due or force):
            return None
    checkpoint = rules.Checkpoint(
        number=number,
        event_seq=head.seq,
        head_hash=head.hash,
        created_at=now,
        previous=previous,
    )
    signed = rules.sign_checkpoint(checkpoint, policy.key)
    try:
        _write_durably(path, signed.to_file_text())
    except FileExistsError:
        raise _exported_conflict(path) from None
    return _store_checkpoint(repo, checkpoint, signed, path)


def _adopt_exported(
    repo: AuditRepository, path: Path, *, policy: CheckpointPolicy, number: int, previous: str
) -> CheckpointRead:
    """Record the row of an exported checkpoint whose commit was lost, if it is consistent with
    the database; else raise `Conflict` (the database went back in time)."""
    try:
        signed = rules.SignedCheckpoint.from_file_text(path.read_text("utf-8"))
    except (ValueError, KeyError, TypeError):
        raise _exported_conflict(path) from None
    _, finding = rules.verify_checkpoints(
        [signed], policy.key.public_key(), repo.hash_at, first_number=number, previous=previous
    )
    if finding is not None:
        raise _exported_conflict(path, finding.problem)
    return _store_checkpoint(repo, rules.Checkpoint.from_document(signed.document), signed, path)


def _store_checkpoint(
    repo: AuditRepository,
    checkpoint: rules.Checkpoint,
    signed: rules.SignedCheckpoint,
    path: Path,
) -> CheckpointRead:
    repo.add_checkpoint(
        AuditCheckpoint(
            number=checkpoint.number,
            event_seq=checkpoint.event_seq,
            head_hash=checkpoint.head_hash,
            created_at=checkpoint.created_at,
            document=signed.document,
            signature=signed.signature,
        )
    )
    return CheckpointRead(
        number=checkpoint.number,
        event_seq=checkpoint.event_seq,
        head_hash=checkpoint.head_hash,
        created_at=checkpoint.created_at,
        file=str(path),
    )


def _exported_conflict(path: Path, why: str | None = None) -> Conflict:
    return Conflict(
        f"{path} exists already and does not match this database"
        + (f" ({why})" if why else "")
        + ": the database was restored from an older copy or rolled back, or another database "
        "exports to the same directory. The exported checkpoint is kept as evidence; run "
        "`accord audit verify --checkpoints DIR --public-key KEY` and investigate."
    )


def read_checkpoint_files(directory: Path) -> list[rules.SignedCheckpoint]:
    if not directory.is_dir():
        raise InvalidInput.field("checkpoints", f"{directory} is not a directory")
    checkpoints = []
    for path in sorted(directory.glob("checkpoint-*.json")):
        try:
            checkpoints.append(rules.SignedCheckpoint.from_file_text(path.read_text("utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput.field(
                "checkpoints", f"{path} is not a checkpoint file ({exc})"
            ) from None
    return checkpoints


def _write_durably(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` atomically and durably; `FileExistsError` if it exists
    (an exported checkpoint is never replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o644)  # public statements, for auditors to copy
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic, and unlike os.replace never clobbers
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: exclusive create instead
            _write_exclusive(path, text)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _write_exclusive(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
