"""Pure rules of the audit trail: canonical payloads, the hash chain, signed checkpoints."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.audit import rules
from accord.audit.rules import GENESIS_HASH, Checkpoint, SignedCheckpoint, StoredEvent
from accord.kit.hashing import canonical_json

NOW = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def payload_of(seq: int, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": NOW + timedelta(seconds=seq),
        "actor_id": 42,
        "actor_name": "zoë",
        "actor_kind": "user",
        "action": "agreement.terms.changed",
        "entity_type": "agreement",
        "entity_key": f"SLA-{seq:04d}",
        "business_unit_id": 7,
        "reason": "Preisänderung",
        "before": {"target": Decimal("0.9990")},
        "after": {"target": Decimal("0.99950")},
        "request_id": None,
    }
    fields.update(overrides)
    return rules.event_payload(**fields)


def stored(seq: int, prev_hash: str, payload: str) -> StoredEvent:
    """The row the appender writes for ``payload`` (columns projected from it)."""
    data = json.loads(payload)
    return StoredEvent(
        seq=seq,
        occurred_at=datetime.strptime(data["occurred_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=UTC
        ),
        actor_id=data["actor"]["id"],
        actor_name=data["actor"]["name"],
        action=data["action"],
        entity_type=data["entity"]["type"],
        entity_key=data["entity"]["key"],
        business_unit_id=data["business_unit_id"],
        payload=payload,
        prev_hash=prev_hash,
        hash=rules.chain_hash(prev_hash, payload),
    )


def build_chain(payloads: list[str]) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    prev = GENESIS_HASH
    for payload in payloads:
        event = stored(len(events) + 1, prev, payload)
        events.append(event)
        prev = event.hash
    return events


def chain(n: int) -> list[StoredEvent]:
    return build_chain([payload_of(i) for i in range(1, n + 1)])


def relink(events: list[StoredEvent], first: int) -> list[StoredEvent]:
    """Recompute prev_hash/hash from position ``first`` (1-based) on: a consistent rewrite."""
    out = list(events[: first - 1])
    prev = GENESIS_HASH if first == 1 else out[-1].hash
    for event in events[first - 1 :]:
        fixed = replace(event, prev_hash=prev, hash=rules.chain_hash(prev, event.payload))
        out.append(fixed)
        prev = fixed.hash
    return out


# --------------------------------------------------------------------------- canonical payload


def test_payload_is_the_exact_canonical_text() -> None:
    payload = rules.event_payload(
        seq=3,
        occurred_at=datetime(2026, 3, 1, 10, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1))),
        actor_id=42,
        actor_name="zoë",
        actor_kind="user",
        action="agreement.terms.changed",
        entity_type="agreement",
        entity_key="SLA-0042",
        business_unit_id=7,
        reason="Preisänderung 東京",
        before={"target": Decimal("0.9990"), "fee": Decimal("1200.50")},
        after={"target": Decimal("0.99950"), "fee": Decimal("1E+3")},
        request_id="req-1",
    )
    assert payload == (
        '{"action":"agreement.terms.changed",'
        '"actor":{"id":42,"kind":"user","name":"zoë"},'
        '"after":{"fee":"1E+3","target":"0.99950"},'
        '"before":{"fee":"1200.50","target":"0.9990"},'
        '"business_unit_id":7,'
        '"entity":{"key":"SLA-0042","type":"agreement"},'
        '"occurred_at":"2026-03-01T09:30:15.123456Z",'
        '"reason":"Preisänderung 東京",'
        '"request_id":"req-1",'
        '"seq":3}'
    )


def test_payload_keys_are_sorted_at_every_level_and_text_is_not_escaped() -> None:
    payload = payload_of(1, after={"zeta": 1, "alpha": {"y": "é", "b": "ß"}}, reason="naïve ☃")
    assert "\\u" not in payload  # UTF-8 as is, no ASCII escapes
    assert "naïve ☃" in payload
    assert '"after":{"alpha":{"b":"ß","y":"é"},"zeta":1}' in payload
    assert " " not in payload.replace("naïve ☃", "")  # no insignificant whitespace
    keys = list(json.loads(payload))
    assert keys == sorted(keys)


def test_payload_keeps_decimal_digits_and_microsecond_utc_time() -> None:
    payload = payload_of(
        1,
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # whole second: still .000000
        before={"amounts": [Decimal("0.10"), Decimal("100"), Decimal("-0.000"), Decimal("1E-7")]},
    )
    data = json.loads(payload)
    assert data["occurred_at"] == "2026-01-02T03:04:05.000000Z"
    assert data["before"]["amounts"] == ["0.10", "100", "-0.000", "1E-7"]


def test_payload_converts_offsets_to_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    local = payload_of(1, occurred_at=datetime(2026, 3, 1, 18, 30, 15, 123456, tzinfo=tokyo))
    utc = payload_of(1, occurred_at=datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC))
    assert local == utc


def test_payload_refuses_naive_time_and_floats() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        payload_of(1, occurred_at=datetime(2026, 3, 1, 9, 30))  # noqa: DTZ001
    with pytest.raises(TypeError, match="float"):
        payload_of(1, after={"target": 0.999})


def test_chain_hash_is_sha256_of_previous_hash_and_payload() -> None:
    payload = payload_of(1)
    expected = hashlib.sha256((GENESIS_HASH + payload).encode("utf-8")).hexdigest()
    assert rules.chain_hash(GENESIS_HASH, payload) == expected
    assert rules.chain_hash("1" * 64, payload) != expected


# ---------------------------------------------------------------------------------- the chain


def test_empty_chain_is_intact() -> None:
    report = rules.verify_chain([])
    assert report.ok
    assert (report.events, report.head_seq, report.head_hash) == (0, 0, GENESIS_HASH)


def test_intact_chain_reports_its_head() -> None:
    events = chain(5)
    report = rules.verify_chain(events)
    assert report.ok
    assert (report.events, report.head_seq, report.head_hash) == (5, 5, events[-1].hash)


def _first_bad(events: list[StoredEvent]) -> tuple[int, str]:
    report = rules.verify_chain(events)
    assert report.first_bad is not None
    return report.first_bad.seq, report.first_bad.problem


def test_edited_payload_is_named() -> None:
    events = chain(6)
    events[3] = replace(events[3], payload=events[3].payload.replace("0.9990", "0.9900"))
    seq, problem = _first_bad(events)
    assert seq == 4
    assert "hash does not match" in problem
    report = rules.verify_chain(events)
    assert (report.events, report.head_seq, report.head_hash) == (3, 3, events[2].hash)


def test_edited_hash_is_named() -> None:
    events = chain(6)
    events[2] = replace(events[2], hash="f" * 64)
    seq, problem = _first_bad(events)
    assert seq == 3
    assert "hash does not match" in problem


def test_edited_previous_hash_is_named() -> None:
    events = chain(6)
    events[4] = replace(events[4], prev_hash="0" * 63 + "1")
    seq, problem = _first_bad(events)
    assert seq == 5
    assert "previous-hash link" in problem


def test_missing_middle_event_is_named() -> None:
    events = chain(6)
    del events[2]
    assert _first_bad(events) == (3, "sequence 3 is missing (next row found is 4)")


def test_reordered_rows_are_named() -> None:
    events = chain(6)
    events[1], events[2] = events[2], events[1]
    assert _first_bad(events) == (2, "sequence 2 is missing (next row found is 3)")


def test_swapped_contents_are_named() -> None:
    events = chain(6)
    a, b = events[1], events[2]
    events[1] = replace(b, seq=2)
    events[2] = replace(a, seq=3)
    assert _first_bad(events)[0] == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_name", "mallory"),
        ("actor_id", 43),
        ("action", "agreement.viewed"),
        ("entity_type", "service"),
        ("entity_key", "SLA-9999"),
        ("business_unit_id", None),
        ("occurred_at", NOW + timedelta(seconds=3, microseconds=1)),
    ],
)
def test_edited_queryable_column_is_named(column: str, value: Any) -> None:
    events = chain(4)
    events[2] = replace(events[2], **{column: value})
    assert _first_bad(events) == (3, f"column {column} differs from the hashed payload")


def test_forged_row_with_seq_zero_is_named() -> None:
    events = chain(3)
    forged = stored(0, GENESIS_HASH, payload_of(0))
    assert _first_bad([forged, *events]) == (1, "sequence 1 is missing (next row found is 0)")


def test_appended_row_with_wrong_link_or_hash_is_named() -> None:
    events = chain(3)
    unlinked = stored(4, "a" * 64, payload_of(4))
    assert _first_bad([*events, unlinked])[0] == 4
    bad_hash = replace(stored(4, events[-1].hash, payload_of(4)), hash="b" * 64)
    assert _first_bad([*events, bad_hash])[0] == 4


@pytest.mark.parametrize(
    "payload",
    [
        '"just a string"',
        "[]",
        "null",
        '{"seq": 3}',  # not canonical (whitespace)
        "{not json",
    ],
)
def test_hash_consistent_forgery_of_odd_shape_is_named_not_crashed(payload: str) -> None:
    events = chain(2)
    forged = stored(3, events[-1].hash, payload_of(3))
    forged = replace(forged, payload=payload, hash=rules.chain_hash(events[-1].hash, payload))
    seq, problem = _first_bad([*events, forged])
    assert seq == 3
    assert "canonical" in problem or "not valid JSON" in problem


def test_hash_consistent_forgery_with_wrongly_typed_fields_is_named() -> None:
    events = chain(2)
    data = json.loads(payload_of(1))
    data["seq"] = True  # True == 1 in Python; the column says 1
    payload = canonical_json(data)
    forged = replace(
        events[0], payload=payload, hash=rules.chain_hash(GENESIS_HASH, payload), seq=1
    )
    assert _first_bad(relink([forged, events[1]], 1)) == (
        1,
        "column seq differs from the hashed payload",
    )
    data["seq"] = 1
    data["actor"] = {"id": 42.0, "kind": "user", "name": "zoë"}  # a float: never canonical
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    forged = replace(events[0], payload=payload)
    assert _first_bad(relink([forged, events[1]], 1))[0] == 1


def test_truncation_and_consistent_rewrite_are_invisible_to_the_chain_alone() -> None:
    """Why checkpoints exist: the chain by itself cannot tell these from a genuine history."""
    events = chain(6)
    assert rules.verify_chain(events[:4]).ok
    rewritten = list(events)
    rewritten[0] = stored(1, GENESIS_HASH, payload_of(1, actor_name="mallory"))
    rewritten = relink(rewritten, 1)
    report = rules.verify_chain(rewritten)
    assert report.ok
    assert report.head_hash != events[-1].hash


# ----------------------------------------------------------------------- hypothesis: the chain

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.text(max_size=12)
    | st.decimals(allow_nan=False, allow_infinity=False, places=None)
    | st.datetimes(
        min_value=datetime(1970, 1, 1),  # noqa: DTZ001
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
event_contents = st.fixed_dictionaries(
    {
        "occurred_at": st.datetimes(
            min_value=datetime(2000, 1, 1),  # noqa: DTZ001
            max_value=datetime(2100, 1, 1),  # noqa: DTZ001
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), UTC]),
        ),
        "actor_id": st.none() | st.integers(min_value=1, max_value=2**62),
        "actor_name": st.text(min_size=1, max_size=20),
        "actor_kind": st.sampled_from(["user", "source", "system"]),
        "action": st.text(min_size=1, max_size=30),
        "entity_type": st.text(min_size=1, max_size=20),
        "entity_key": st.text(min_size=1, max_size=20),
        "business_unit_id": st.none() | st.integers(min_value=1, max_value=2**62),
        "reason": st.none() | st.text(max_size=30),
        "before": json_values,
        "after": json_values,
        "request_id": st.none() | st.text(max_size=10),
    }
)


def chain_of(contents: list[dict[str, Any]]) -> list[StoredEvent]:
    return build_chain([rules.event_payload(seq=i, **c) for i, c in enumerate(contents, 1)])


@settings(max_examples=60, deadline=None)
@given(st.lists(event_contents, min_size=0, max_size=8))
def test_any_sequence_of_events_verifies(contents: list[dict[str, Any]]) -> None:
    events = chain_of(contents)
    report = rules.verify_chain(events)
    assert report.ok, report.first_bad
    assert report.events == report.head_seq == len(contents)
    assert report.head_hash == (events[-1].hash if events else GENESIS_HASH)
    for event in events:
        # The stored text is canonical: re-encoding what it says reproduces it exactly.
        assert canonical_json(json.loads(event.payload)) == event.payload


@settings(max_examples=120, deadline=None)
@given(st.lists(event_contents, min_size=1, max_size=6), st.data())
def test_any_single_character_change_is_named_at_its_sequence(
    contents: list[dict[str, Any]], data: st.DataObject
) -> None:
    events = chain_of(contents)
    k = data.draw(st.integers(min_value=1, max_value=len(events)), label="seq")
    field = data.draw(st.sampled_from(["payload", "hash", "prev_hash"]), label="field")
    original: str = getattr(events[k - 1], field)
    position = data.draw(st.integers(min_value=0, max_value=len(original) - 1), label="at")
    replacement = data.draw(
        st.characters(codec="utf-8").filter(lambda c: c != original[position]), label="char"
    )
    changes: dict[str, Any] = {field: original[:position] + replacement + original[position + 1 :]}
    events[k - 1] = replace(events[k - 1], **changes)
    report = rules.verify_chain(events)
    assert report.first_bad is not None
    assert report.first_bad.seq == k
    assert report.events == k - 1


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=10), st.data())
def test_deleting_or_swapping_any_row_is_named(n: int, data: st.DataObject) -> None:
    events = chain(n)
    k = data.draw(st.integers(min_value=1, max_value=n - 1))
    deleted = events[: k - 1] + events[k:]
    assert _first_bad(deleted)[0] == k
    swapped = list(events)
    swapped[k - 1] = replace(events[k], seq=k)
    swapped[k] = replace(events[k - 1], seq=k + 1)
    assert _first_bad(swapped)[0] == k


# -------------------------------------------------------------------------------- checkpoints

KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()


def checkpoints_over(
    events: list[StoredEvent], at: list[int], key: Ed25519PrivateKey = KEY
) -> list[SignedCheckpoint]:
    signed: list[SignedCheckpoint] = []
    previous = GENESIS_HASH
    for number, seq in enumerate(at, 1):
        checkpoint = Checkpoint(
            number=number,
            event_seq=seq,
            head_hash=events[seq - 1].hash,
            created_at=NOW + timedelta(minutes=number),
            previous=previous,
        )
        signed.append(rules.sign_checkpoint(checkpoint, key))
        previous = hashlib.sha256(signed[-1].document.encode("utf-8")).hexdigest()
    return signed


def hash_lookup(events: list[StoredEvent]) -> Any:
    by_seq = {e.seq: e.hash for e in events}
    return by_seq.get


def test_checkpoint_document_states_the_head() -> None:
    events = chain(4)
    [signed] = checkpoints_over(events, [4])
    assert json.loads(signed.document) == {
        "accord_audit_checkpoint": 1,
        "number": 1,
        "event_seq": 4,
        "event_count": 4,
        "head_hash": events[3].hash,
        "created_at": "2026-03-01T09:31:15.123456Z",
        "previous_checkpoint": GENESIS_HASH,
    }
    assert canonical_json(json.loads(signed.document)) == signed.document
    KEY.public_key().verify(base64.b64decode(signed.signature), signed.document.encode())
    assert SignedCheckpoint.from_file_text(signed.to_file_text()) == signed
    parsed = Checkpoint.from_document(signed.document)
    assert parsed.document() == signed.document
    assert rules.checkpoint_file_name(7) == "checkpoint-00000007.json"


def test_good_checkpoints_verify_in_any_order() -> None:
    events = chain(9)
    signed = checkpoints_over(events, [3, 6, 9])
    assert rules.verify_checkpoints(signed, KEY.public_key(), hash_lookup(events)) == (3, None)
    shuffled = [signed[2], signed[0], signed[1]]
    assert rules.verify_checkpoints(shuffled, KEY.public_key(), hash_lookup(events)) == (3, None)
    assert rules.verify_checkpoints([], KEY.public_key(), hash_lookup(events)) == (0, None)


def test_altered_checkpoint_document_has_a_bad_signature() -> None:
    events = chain(9)
    signed = checkpoints_over(events, [3, 6, 9])
    forged_document = signed[1].document.replace('"event_seq":6', '"event_seq":5')
    assert forged_document != signed[1].document
    signed[1] = SignedCheckpoint(forged_document, signed[1].signature)
    verified, finding = rules.verify_checkpoints(signed, KEY.public_key(), hash_lookup(events))
    assert verified == 1
    assert finding == rules.CheckpointFinding(2, "bad signature")


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(b"x" * 64).decode()])
def test_garbage_signature_is_a_bad_signature(signature: str) -> None:
    events = chain(3)
    [signed] = checkpoints_over(events, [3])
    garbage = SignedCheckpoint(signed.document, signature)
    _, finding = rules.verify_checkpoints([garbage], KEY.public_key(), hash_lookup(events))
    assert finding == rules.CheckpointFinding(1, "bad signature")


def test_checkpoint_signed_by_another_key_is_refused() -> None:
    events = chain(3)
    signed = checkpoints_over(events, [3], key=OTHER_KEY)
    _, finding = rules.verify_checkpoints(signed, KEY.public_key(), hash_lookup(events))
    assert finding == rules.CheckpointFinding(1, "bad signature")


def test_missing_checkpoint_is_named() -> None:
    events = chain(9)
    signed = checkpoints_over(events, [3, 6, 9])
    verified, finding = rules.verify_checkpoints(
        [signed[0], signed[2]], KEY.public_key(), hash_lookup(events)
    )
    assert verified == 1
    assert finding == rules.CheckpointFinding(2, "checkpoint 2 is missing")
    _, finding = rules.verify_checkpoints(signed[1:], KEY.public_key(), hash_lookup(events))
    assert finding == rules.CheckpointFinding(1, "checkpoint 1 is missing")


def test_broken_checkpoint_link_is_named() -> None:
    events = chain(9)
    signed = checkpoints_over(events, [3, 6, 9])
    relinked = rules.sign_checkpoint(
        replace(Checkpoint.from_document(signed[2].document), previous="c" * 64), KEY
    )
    verified, finding = rules.verify_checkpoints(
        [signed[0], signed[1], relinked], KEY.public_key(), hash_lookup(events)
    )
    assert verified == 2
    assert finding == rules.CheckpointFinding(3, "does not link to the previous checkpoint")


def test_checkpoint_beyond_the_head_names_the_first_missing_sequence() -> None:
    events = chain(9)
    signed = checkpoints_over(events, [3, 6, 9])
    truncated = events[:7]
    verified, finding = rules.verify_checkpoints(
        signed, KEY.public_key(), hash_lookup(truncated), head_seq=7
    )
    assert verified == 2
    assert finding is not None
    assert (finding.checkpoint, finding.seq) == (3, 8)
    assert "event 9 is gone" in finding.problem
    # Without a known head the checkpointed sequence number itself is named.
    _, finding = rules.verify_checkpoints(signed, KEY.public_key(), hash_lookup(truncated))
    assert finding is not None
    assert finding.seq == 9


def test_checkpoint_of_a_rewritten_chain_is_named() -> None:
    events = chain(9)
    signed = checkpoints_over(events, [3, 6, 9])
    rewritten = list(events)
    rewritten[4] = stored(5, events[3].hash, payload_of(5, reason="rewritten"))
    rewritten = relink(rewritten, 5)
    assert rules.verify_chain(rewritten).ok
    verified, finding = rules.verify_checkpoints(signed, KEY.public_key(), hash_lookup(rewritten))
    assert verified == 1
    assert finding is not None
    assert (finding.checkpoint, finding.seq) == (2, 6)
    assert "different hash" in finding.problem


def test_checkpoints_can_continue_from_a_trusted_one() -> None:
    events = chain(9)
    signed = checkpoints_over(events, [3, 6, 9])
    trusted = hashlib.sha256(signed[0].document.encode("utf-8")).hexdigest()
    result = rules.verify_checkpoints(
        signed[1:], KEY.public_key(), hash_lookup(events), first_number=2, previous=trusted
    )
    assert result == (2, None)
    _, finding = rules.verify_checkpoints(
        signed[1:], KEY.public_key(), hash_lookup(events), first_number=2, previous="d" * 64
    )
    assert finding == rules.CheckpointFinding(2, "does not link to the previous checkpoint")


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=12), st.data())
def test_any_truncation_below_a_checkpoint_is_caught(n: int, data: st.DataObject) -> None:
    events = chain(n)
    at = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=n), min_size=1)))
    signed = checkpoints_over(events, at)
    assert rules.verify_checkpoints(signed, KEY.public_key(), hash_lookup(events)) == (
        len(at),
        None,
    )
    keep = data.draw(st.integers(min_value=0, max_value=at[-1] - 1), label="keep")
    truncated = events[:keep]
    assert rules.verify_chain(truncated).ok
    verified, finding = rules.verify_checkpoints(
        signed, KEY.public_key(), hash_lookup(truncated), head_seq=keep
    )
    first_lost = next(i for i, seq in enumerate(at, 1) if seq > keep)
    assert verified == first_lost - 1
    assert finding is not None
    assert (finding.checkpoint, finding.seq) == (first_lost, keep + 1)
