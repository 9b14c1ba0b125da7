"""The demo portfolio that `accord demo` loads: Lakeside Bank (see `accord.demo.content`).

Everything is created through the identity, catalogue, agreements, objectives, exclusions and
compliance services, acting as the people of the demo at plausible moments of a two-year history,
so every object is validated, authorised and audited exactly as in production, and `accord audit
verify` holds (telemetry alone is bulk-stored by the loader, as a system writer).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from accord.agreements import service as agreements_service
from accord.agreements.enums import AgreementKind, Structure, VersionStatus
from accord.agreements.schemas import (
    AgreementFilter,
    AgreementRead,
)
from accord.agreements.support import service as support_service
from accord.catalogue import service as catalogue_service
from accord.catalogue.enums import Lifecycle
from accord.catalogue.schemas import ServiceFilter
from accord.compliance import service as compliance_service
from accord.compliance.enums import PolicyEventState
from accord.config import get_settings
from accord.demo import content
from accord.demo.timeline import ADMIN, LOADER, Timeline
from accord.exclusions import service as exclusions_service
from accord.exclusions.enums import ExclusionStatus
from accord.exclusions.schemas import ExclusionFilter
from accord.identity import service as identity_service
from accord.identity.enums import Role
from accord.identity.rules import Grant, system_actor
from accord.identity.schemas import TokenCreate
from accord.kit.errors import NotFound
from accord.objectives import service as objectives_service
from accord.objectives.policies import service as policies_service
from accord.objectives.schemas import ObjectiveFilter

T = TypeVar("T")
_PAGE = 200
_READER = system_actor(LOADER)


def is_populated(session: Session) -> bool:
    """True when the database already holds principals or agreements (the demo loads only into
    an empty database)."""
    principals, _ = identity_service.list_principals(session, actor=_READER, after=None, limit=1)
    if principals:
        return True
    agreements, _ = agreements_service.list_agreements(
        session, actor=_READER, filters=AgreementFilter(), after=None, limit=1
    )
    return bool(agreements)


def load(session: Session, *, now: datetime) -> str:
    """Build the whole portfolio (history up to the day before ``now``, SLO evaluations up to
    the last complete telemetry bucket); returns a summary."""
    timeline = Timeline(session, now=now)
    content.script(timeline)
    timeline.run()
    return summarise(session)


def fresh_admin_token(session: Session, *, now: datetime) -> str:
    """A new API token for the demo's `admin`, issued by `admin` itself; returns the secret."""
    principal = identity_service.find_principal(session, ADMIN)
    actor = identity_service.actor_for(session, principal) if principal else None
    if actor is None or Grant(Role.ADMIN, None) not in actor.grants:
        raise NotFound(
            f"there is no principal {ADMIN!r} holding the global admin role: this is not a "
            "database loaded by `accord demo` (use `accord demo --reset` to load the demo, or "
            "`accord tokens` to issue tokens in your own database)"
        )
    created = identity_service.create_token(
        session,
        actor=actor,
        data=TokenCreate(name="accord demo"),
        settings=get_settings().tokens,
        now=now,
    )
    return created.token


# ------------------------------------------------------------------------------------ summary


def summarise(session: Session) -> str:
    """Counts of what the database holds, read back through the services."""
    units = identity_service.list_business_units(session, actor=_READER)
    regions = catalogue_service.list_regions(session, actor=_READER)
    services = _every(
        lambda after: catalogue_service.list_services(
            session, actor=_READER, filters=ServiceFilter(), after=after, limit=_PAGE
        )
    )
    customers = _every(
        lambda after: catalogue_service.list_customers(
            session, actor=_READER, business_unit=None, after=after, limit=_PAGE
        )
    )
    vendors = _every(
        lambda after: catalogue_service.list_vendors(
            session, actor=_READER, after=after, limit=_PAGE
        )
    )
    principals = _every(
        lambda after: identity_service.list_principals(
            session, actor=_READER, after=after, limit=_PAGE
        )
    )
    items = _every(
        lambda after: agreements_service.list_agreements(
            session, actor=_READER, filters=AgreementFilter(), after=after, limit=_PAGE
        )
    )
    agreements: list[AgreementRead] = [
        agreements_service.get_agreement(session, actor=_READER, key=i.key) for i in items
    ]
    links = sum(
        len(support_service.get_support(session, actor=_READER, key=a.key).supported_by)
        for a in agreements
    )
    lifecycles = Counter(s.lifecycle for s in services)
    structures = Counter(a.structure for a in agreements)
    versions = Counter(v.status for a in agreements for v in a.versions)
    lines = [
        "Demo portfolio loaded: Lakeside Bank",
        f"  {len(units)} business units, {len(regions)} regions, {len(services)} services "
        f"({_counts(lifecycles, list(Lifecycle))}), {len(customers)} customers, "
        f"{len(vendors)} vendors, {len(principals)} principals",
        f"  {len(agreements)} agreements ({structures[Structure.MASTER]} master agreements "
        f"with {structures[Structure.SCHEDULE]} schedules, "
        f"{structures[Structure.MONOLITHIC]} monolithic), {links} support links",
    ]
    for kind in AgreementKind:
        of_kind = [a for a in agreements if a.kind is kind]
        statuses = Counter(a.status for a in of_kind)
        lines.append(
            f"  {kind.value.upper():<4}{len(of_kind):>3}: {_counts(statuses, list(VersionStatus))}"
        )
    lines.append(f"  versions: {_counts(versions, list(VersionStatus))}")
    lines += _slo_summary(session)
    return "\n".join(lines)


def _slo_summary(session: Session) -> list[str]:
    """Objectives, policies and exclusions, and what the latest evaluation recorded."""
    objectives = _every(
        lambda after: objectives_service.list_objectives(
            session, actor=_READER, filters=ObjectiveFilter(), after=after, limit=_PAGE
        )
    )
    policies = _every(
        lambda after: policies_service.list_policies(
            session, actor=_READER, business_unit=None, after=after, limit=_PAGE
        )
    )
    windows = _every(
        lambda after: exclusions_service.list_exclusions(
            session,
            actor=_READER,
            service=None,
            filters=ExclusionFilter(status=ExclusionStatus.APPROVED),
            after=after,
            limit=_PAGE,
        )
    )
    statuses = _every(
        lambda after: compliance_service.list_current(
            session, actor=_READER, service=None, after=after, limit=_PAGE
        )
    )
    events = _every(
        lambda after: compliance_service.list_policy_events(
            session,
            actor=_READER,
            key=None,
            state=PolicyEventState.OPEN,
            after=after,
            limit=_PAGE,
        )
    )
    # A service's release gate is frozen while an open policy event of it freezes releases.
    frozen = sorted({e.service for e in events if e.freezes_releases})
    return [
        f"  {len(objectives)} objectives on {len({o.service for o in objectives})} services "
        f"({sum(1 for o in objectives if o.agreement)} in agreement terms), "
        f"{len(policies)} error budget policies; exclusion windows approved: {len(windows)}",
        f"  latest evaluation: {sum(s.at_risk for s in statuses)} at risk, "
        f"{sum(s.page_alert for s in statuses)} paging, "
        f"{sum(s.ticket_alert for s in statuses)} ticket alerts, {len(events)} open policy "
        f"events; releases frozen: {', '.join(frozen) or 'none'}",
    ]


def _counts(counter: Counter[T], order: list[T]) -> str:
    return ", ".join(f"{counter[k]} {k}" for k in order if counter[k])


def _every(fetch: Callable[[int | None], tuple[list[T], int | None]]) -> list[T]:
    """Every item of a cursor-paginated listing."""
    items: list[T] = []
    after: int | None = None
    while True:
        page, after = fetch(after)
        items.extend(page)
        if after is None:
            return items
