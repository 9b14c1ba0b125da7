"""Use cases of error budget policies. A policy belongs to a business unit and is visible inside
it only (404 elsewhere); editors (``objectives:write``) define it, replace its thresholds and
delete it while no objective uses it. See `policies.rules` for the shape of the ladder."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from accord.audit import service as audit_service
from accord.identity import service as identity_service
from accord.identity.rules import Actor, Permission
from accord.kit.errors import Conflict, InvalidTransition, NotFound
from accord.objectives import service as objectives_service
from accord.objectives.models import ErrorBudgetPolicy, PolicyThreshold
from accord.objectives.policies import rules
from accord.objectives.policies.repository import PolicyRepository, ThresholdRepository

# Re-exported: the evaluator reads policies through this module.
from accord.objectives.policies.rules import PolicyRules as PolicyRules
from accord.objectives.policies.rules import Threshold as Threshold
from accord.objectives.policies.schemas import (
    PolicyCreate,
    PolicyRead,
    ThresholdAction,
    ThresholdCreate,
    ThresholdRead,
    ThresholdsReplace,
)

READ = Permission.OBJECTIVES_READ
WRITE = Permission.OBJECTIVES_WRITE

_ACTIONS = TypeAdapter(list[ThresholdAction])


def list_policies(
    session: Session, *, actor: Actor, business_unit: str | None, after: int | None, limit: int
) -> tuple[list[PolicyRead], int | None]:
    actor.require_anywhere(READ)
    unit = (
        identity_service.unit_id(session, business_unit, field="business_unit")
        if business_unit
        else None
    )
    rows = PolicyRepository(session).page(
        units=actor.scope(READ).unit_filter, business_unit_id=unit, after=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return present_policies(session, rows), rows[-1].id if more and rows else None


def get_policy(session: Session, *, actor: Actor, name: str) -> PolicyRead:
    return present_policies(session, [visible_policy(session, actor=actor, name=name)])[0]


def visible_policy(
    session: Session, *, actor: Actor, name: str, lock: bool = False
) -> ErrorBudgetPolicy:
    """The live policy if the actor may read it; otherwise exactly the "does not exist" answer.
    ``lock``: held against concurrent changes until the transaction ends."""
    policy = PolicyRepository(session).by_name(name, lock=lock)
    if policy is None or not actor.can(READ, policy.business_unit_id):
        raise NotFound(f"no error budget policy {name!r}")
    return policy


def create_policy(
    session: Session, *, actor: Actor, data: PolicyCreate, now: datetime
) -> PolicyRead:
    unit = identity_service.unit_id(session, data.business_unit, field="business_unit")
    actor.require(WRITE, unit)
    rules.check_thresholds(data.thresholds)
    repo = PolicyRepository(session)
    if repo.name_taken(data.name):
        raise Conflict(f"error budget policy {data.name!r} exists already (or existed)")
    policy = repo.add(
        ErrorBudgetPolicy(
            name=data.name,
            title=data.title,
            description=data.description,
            business_unit_id=unit,
            created_by=actor.name,
            created_at=now,
            updated_at=now,
        )
    )
    _add_thresholds(session, policy, data.thresholds)
    read = present_policies(session, [policy])[0]
    _record(session, actor, "policy.created", policy, now, after=read)
    return read


def replace_thresholds(
    session: Session, *, actor: Actor, name: str, data: ThresholdsReplace, now: datetime
) -> PolicyRead:
    """New rungs replace the old ones, which are soft-deleted (policy events keep referring to
    them); objectives using the policy follow the new rungs from their next evaluation."""
    policy = visible_policy(session, actor=actor, name=name, lock=True)
    actor.require(WRITE, policy.business_unit_id)
    rules.check_thresholds(data.thresholds)
    before = present_policies(session, [policy])[0]
    ThresholdRepository(session).retire(policy.id, now)
    _add_thresholds(session, policy, data.thresholds)
    policy.updated_at = now
    session.flush()
    read = present_policies(session, [policy])[0]
    _record(session, actor, "policy.thresholds_replaced", policy, now, before=before, after=read)
    return read


def delete_policy(session: Session, *, actor: Actor, name: str, now: datetime) -> None:
    """Soft delete, refused while a live objective uses the policy. The name stays taken."""
    policy = visible_policy(session, actor=actor, name=name, lock=True)
    actor.require(WRITE, policy.business_unit_id)
    if objectives_service.policy_in_use(session, policy.id):
        raise InvalidTransition(
            "policy-in-use", f"objectives use {name!r}: give them another policy first"
        )
    before = present_policies(session, [policy])[0]
    policy.deleted_at = now
    policy.updated_at = now
    session.flush()
    _record(session, actor, "policy.deleted", policy, now, before=before)


# --------------------------------------------------------------------------- for the evaluator


def policy_for_objectives(session: Session, policy_ids: Iterable[int]) -> dict[int, PolicyRules]:
    """The live policies among ``policy_ids`` (an objective's ``policy_id``), each with its live
    rungs in order, as plain frozen values. No authorisation: evaluation is a system job."""
    policies = PolicyRepository(session).live_by_ids(policy_ids)
    rungs = ThresholdRepository(session).live_of(p.id for p in policies)
    return {
        p.id: PolicyRules(
            id=p.id,
            name=p.name,
            business_unit_id=p.business_unit_id,
            thresholds=tuple(_threshold(t) for t in rungs[p.id]),
        )
        for p in policies
    }


def present_policies(session: Session, policies: list[ErrorBudgetPolicy]) -> list[PolicyRead]:
    units = identity_service.unit_codes(session, (p.business_unit_id for p in policies))
    rungs = ThresholdRepository(session).live_of(p.id for p in policies)
    return [
        PolicyRead(
            name=p.name,
            title=p.title,
            description=p.description,
            business_unit=units[p.business_unit_id],
            thresholds=[
                ThresholdRead(
                    id=t.id,
                    position=t.position,
                    trigger=t.trigger,
                    consumed_at_least=t.consumed_at_least,
                    actions=_ACTIONS.validate_python(t.actions),
                )
                for t in rungs[p.id]
            ],
            created_by=p.created_by,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
        for p in policies
    ]


# ---------------------------------------------------------------------------------- internals


def _add_thresholds(
    session: Session, policy: ErrorBudgetPolicy, thresholds: list[ThresholdCreate]
) -> None:
    ThresholdRepository(session).add_all(
        [
            PolicyThreshold(
                policy_id=policy.id,
                position=position,
                trigger=t.trigger,
                consumed_at_least=t.consumed_at_least,
                actions=_ACTIONS.dump_python(t.actions, mode="json"),
            )
            for position, t in enumerate(thresholds, start=1)
        ]
    )


def _threshold(row: PolicyThreshold) -> Threshold:
    return Threshold(
        id=row.id,
        position=row.position,
        trigger=row.trigger,
        consumed_at_least=row.consumed_at_least,
        actions=tuple(_ACTIONS.validate_python(row.actions)),
    )


def _record(
    session: Session,
    actor: Actor,
    action: str,
    policy: ErrorBudgetPolicy,
    now: datetime,
    *,
    before: PolicyRead | None = None,
    after: PolicyRead | None = None,
) -> None:
    audit_service.record_event(
        session,
        actor=actor,
        action=action,
        entity_type="error_budget_policy",
        entity_key=policy.name,
        business_unit_id=policy.business_unit_id,
        before=before.model_dump(mode="json") if before is not None else None,
        after=after.model_dump(mode="json") if after is not None else None,
        now=now,
    )
