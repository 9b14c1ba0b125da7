"""Pure rules of the audit trail: the canonical event encoding, the hash chain, checkpoints.

Chain: ``hash(n) = sha256(hash(n-1) || payload(n))`` with ``hash(0) = 64 zeros``, where
``payload`` is the canonical JSON of the event (stored verbatim, so a round trip through either
database cannot alter what was hashed). Sequence numbers start at 1 and have no gaps.

Checkpoints: signed (Ed25519) statements of ``(number, event_seq, head_hash, event_count,
created_at, previous_checkpoint)``, chained to each other by the hash of the previous checkpoint
document. They catch what a chain alone cannot: tail truncation, a consistent rewrite of the whole
chain, and a rollback to an older copy.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.kit.hashing import canonical_json, sha256_hex, to_jsonable
from accord.kit.time import isoformat_utc

GENESIS_HASH = "0" * 64


def event_payload(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_name: str,
    actor_kind: str,
    action: str,
    entity_type: str,
    entity_key: str,
    business_unit_id: int | None,
    reason: str | None,
    before: Any,
    after: Any,
    request_id: str | None,
) -> str:
    """The canonical text of one event: what is hashed and stored."""
    return canonical_json(
        {
            "seq": seq,
            "occurred_at": isoformat_utc(occurred_at),
            "actor": {"id": actor_id, "name": actor_name, "kind": actor_kind},
            "action": action,
            "entity": {"type": entity_type, "key": entity_key},
            "business_unit_id": business_unit_id,
            "reason": reason,
            "before": to_jsonable(before),
            "after": to_jsonable(after),
            "request_id": request_id,
        }
    )


def chain_hash(prev_hash: str, payload: str) -> str:
    return sha256_hex(prev_hash + payload)


@dataclass(frozen=True)
class StoredEvent:
    """An audit row as read back from the database."""

    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_key: str
    business_unit_id: int | None
    payload: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainFinding:
    seq: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_seq: int
    head_hash: str
    first_bad: ChainFinding | None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify_chain(events: Iterable[StoredEvent]) -> ChainReport:
    """Walk the chain in sequence order; report the first sequence number that is wrong.

    Checks, per row: the sequence continues without gap, the stored previous hash is the hash of
    the row before, the hash matches the payload, and the queryable columns say what the payload
    says (so an edited column cannot mislead a query).
    """
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    for event in events:
        problem = _row_problem(event, expected_seq, prev)
        if problem is not None:
            return ChainReport(count, expected_seq - 1, prev, ChainFinding(expected_seq, problem))
        prev = event.hash
        expected_seq += 1
        count += 1
    return ChainReport(count, expected_seq - 1, prev, None)


def _row_problem(event: StoredEvent, expected_seq: int, prev: str) -> str | None:
    if event.seq != expected_seq:
        return f"sequence {expected_seq} is missing (next row found is {event.seq})"
    if event.prev_hash != prev:
        return "previous-hash link does not match the preceding event"
    if chain_hash(prev, event.payload) != event.hash:
        return "hash does not match the stored payload (payload or hash altered)"
    # From here on the row is hash-consistent, so whoever wrote it also recomputed its hash: a
    # forgery. Report it instead of trusting (or crashing on) whatever shape it has.
    try:
        data = json.loads(event.payload)
    except ValueError:
        return "payload is not valid JSON"
    try:
        canonical = canonical_json(data) == event.payload
    except (TypeError, ValueError):
        canonical = False
    if not canonical or not isinstance(data, dict):
        return "payload is not in the canonical encoding of an event"
    actor, entity = data.get("actor"), data.get("entity")
    if not isinstance(actor, dict) or not isinstance(entity, dict):
        return "payload is not in the canonical encoding of an event"
    projected: dict[str, object] = {
        "seq": event.seq,
        "occurred_at": isoformat_utc(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_key": event.entity_key,
        "business_unit_id": event.business_unit_id,
    }
    recorded: dict[str, object] = {
        "seq": data.get("seq"),
        "occurred_at": data.get("occurred_at"),
        "actor_id": actor.get("id"),
        "actor_name": actor.get("name"),
        "action": data.get("action"),
        "entity_type": entity.get("type"),
        "entity_key": entity.get("key"),
        "business_unit_id": data.get("business_unit_id"),
    }
    for column, value in projected.items():
        # Compare types too: in Python ``True == 1``, but a payload saying ``"seq": true`` does not
        # say what the column says.
        if type(recorded[column]) is not type(value) or recorded[column] != value:
            return f"column {column} differs from the hashed payload"
    return None


# ---------------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    number: int
    event_seq: int
    head_hash: str
    created_at: datetime
    previous: str
    """sha256 of the previous checkpoint's document, or the genesis hash for the first."""

    def document(self) -> str:
        return canonical_json(
            {
                "accord_audit_checkpoint": 1,
                "number": self.number,
                "event_seq": self.event_seq,
                "event_count": self.event_seq,
                "head_hash": self.head_hash,
                "created_at": isoformat_utc(self.created_at),
                "previous_checkpoint": self.previous,
            }
        )

    @classmethod
    def from_document(cls, document: str) -> Checkpoint:
        data = json.loads(document)
        return cls(
            number=int(data["number"]),
            event_seq=int(data["event_seq"]),
            head_hash=str(data["head_hash"]),
            created_at=parse_isoformat_utc(str(data["created_at"])),
            previous=str(data["previous_checkpoint"]),
        )


@dataclass(frozen=True)
class SignedCheckpoint:
    document: str
    signature: str
    """Base64 Ed25519 signature over the UTF-8 document."""

    def to_file_text(self) -> str:
        return json.dumps({"document": self.document, "signature": self.signature}, indent=2) + "\n"

    @classmethod
    def from_file_text(cls, text: str) -> SignedCheckpoint:
        data = json.loads(text)
        return cls(document=str(data["document"]), signature=str(data["signature"]))


def sign_checkpoint(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> SignedCheckpoint:
    document = checkpoint.document()
    signature = base64.b64encode(key.sign(document.encode("utf-8"))).decode("ascii")
    return SignedCheckpoint(document, signature)


@dataclass(frozen=True)
class CheckpointFinding:
    checkpoint: int
    problem: str
    seq: int | None = None


def verify_checkpoints(
    checkpoints: Sequence[SignedCheckpoint],
    public_key: Ed25519PublicKey,
    hash_at: Callable[[int], str | None],
    *,
    head_seq: int | None = None,
    first_number: int = 1,
    previous: str = GENESIS_HASH,
) -> tuple[int, CheckpointFinding | None]:
    """Check each checkpoint's signature, its link to the previous one, and that the database
    still holds, at the checkpointed sequence number, the event with the checkpointed hash.

    ``hash_at(seq)`` returns the stored hash of event ``seq`` or None when there is no such row.
    ``head_seq`` is the last sequence number of the (verified) chain, when known: a checkpointed
    event that is gone then names ``head_seq + 1`` as the first missing sequence number.
    ``first_number`` and ``previous`` let a caller check a run of checkpoints that continues
    from an already trusted one (number ``first_number - 1`` whose document hashes to
    ``previous``). Returns the number of checkpoints verified and the first finding.
    """
    expected_number = first_number
    verified = 0
    ordered = sorted(checkpoints, key=_checkpoint_number)
    for signed in ordered:
        try:
            public_key.verify(base64.b64decode(signed.signature), signed.document.encode("utf-8"))
        except (InvalidSignature, ValueError):
            return verified, CheckpointFinding(_checkpoint_number(signed), "bad signature")
        data = json.loads(signed.document)
        number, seq, head = int(data["number"]), int(data["event_seq"]), str(data["head_hash"])
        if number != expected_number:
            return verified, CheckpointFinding(
                expected_number, f"checkpoint {expected_number} is missing"
            )
        if data["previous_checkpoint"] != previous:
            return verified, CheckpointFinding(number, "does not link to the previous checkpoint")
        stored = hash_at(seq)
        if stored is None:
            first_missing = seq if head_seq is None or head_seq >= seq else head_seq + 1
            return verified, CheckpointFinding(
                number,
                f"event {seq} is gone from the database: the chain was truncated or rolled back",
                first_missing,
            )
        if stored != head:
            return verified, CheckpointFinding(
                number,
                f"event {seq} has a different hash than when it was checkpointed: the chain was "
                "rewritten or rolled back",
                seq,
            )
        previous = sha256_hex(signed.document)
        expected_number += 1
        verified += 1
    return verified, None


def _checkpoint_number(signed: SignedCheckpoint) -> int:
    try:
        return int(json.loads(signed.document)["number"])
    except (ValueError, KeyError, TypeError):
        return 0


def parse_isoformat_utc(text: str) -> datetime:
    """The inverse of `isoformat_utc`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def checkpoint_file_name(number: int) -> str:
    return f"checkpoint-{number:08d}.json"
