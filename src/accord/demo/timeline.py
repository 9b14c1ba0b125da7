"""Replays a history through the product's services, in time order.

The demo portfolio is written as a script of dated steps ("on day -640 at 10:00 the retail editor
drafts the BrightPay SLA"); `Timeline` collects them and runs them sorted by time, each service call
receiving its own instant from a monotonic clock. So the audit trail reads like a history: one
chronological chain, whatever order the script was written in.

Every write goes through a service function (identity, catalogue, agreements) with the acting
person's own actor, so the demo obeys the same validation, permissions, four-eyes and audit as
production. Days are offsets from the date of ``now`` (always negative: nothing happens in the
future); term dates are computed from the same date, so the portfolio keeps its shape whenever
it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from accord.agreements import rules as agreement_rules
from accord.agreements import service as agreements_service
from accord.agreements.approvals import service as approvals_service
from accord.agreements.enums import AgreementKind, SignOffRole, Structure
from accord.agreements.schemas import (
    ActivationRequest,
    AgreementCreate,
    SignOffCreate,
    TermFields,
    Terms,
    TransitionRequest,
    VersionCreate,
    VersionUpdate,
)
from accord.agreements.support import service as support_service
from accord.agreements.support.schemas import SupportLinkCreate
from accord.calendars import service as calendars_service
from accord.calendars.schemas import CalendarCreate
from accord.catalogue import service as catalogue_service
from accord.catalogue.enums import Criticality, DependencyKind, Lifecycle
from accord.catalogue.schemas import (
    ContactCreate,
    CustomerCreate,
    DependencyCreate,
    RegionCreate,
    ServiceCreate,
    ServiceUpdate,
    VendorCreate,
)
from accord.identity import service as identity_service
from accord.identity.enums import PrincipalKind, Role
from accord.identity.rules import Actor, system_actor
from accord.identity.schemas import BusinessUnitCreate, GrantCreate, PrincipalCreate
from accord.kit.time import require_aware

LOADER = "accord-demo"
"""The system actor that bootstraps the first administrator (nobody exists yet to do it)."""
WORKER = "accord-worker"
"""The system actor the scheduled job `agreements.expire` runs as."""
ADMIN = "admin"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_GAP = timedelta(minutes=1)
"""Consecutive service calls are at least this far apart (people do not click in microseconds)."""


class DemoScriptError(RuntimeError):
    """The demo script contradicts itself (a bug in the script, not in the data it loads)."""


@dataclass(frozen=True)
class Person:
    name: str
    display_name: str
    email: str | None
    grants: tuple[tuple[Role, str | None], ...]
    kind: PrincipalKind = PrincipalKind.USER


@dataclass(frozen=True)
class UnitStaff:
    """Who works an agreement of a unit: the editor drafts, the first approver signs as the
    provider owner and approves, the second signs as the customer owner (four eyes)."""

    editor: str
    approvers: tuple[str, str]


@dataclass
class _Plan:
    unit: str
    kind: AgreementKind
    structure: Structure
    consumer: str | None = None
    """An OLA's consuming unit, whose approvers sign as its customer."""
    versions: list[tuple[list[str], list[str]]] = field(default_factory=list)
    """Per version: (service slugs, sign-off roles it requests on top of its tiers)."""


class Timeline:
    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.now = require_aware(now, what="now")
        self.today = self.now.date()
        self._midnight = datetime.combine(self.today, time(0), tzinfo=UTC)
        self._steps: list[tuple[datetime, int, Callable[[], object]]] = []
        self._cursor = self._midnight
        self._last: datetime | None = None
        self._actors: dict[str, Actor] = {}
        self.keys: dict[str, str] = {}
        """Script handle → agreement key (known once the creation step has run)."""
        self._plans: dict[str, _Plan] = {}
        self._staff: dict[str, UnitStaff] = {}
        self._signers: dict[str, str] = {}
        self._service_tiers: dict[str, int] = {}
        self._service_units: dict[str, str] = {}
        self._tier_sign_offs = {
            t.level: list(t.required_sign_offs)
            for t in catalogue_service.list_tiers(session, actor=system_actor(LOADER))
        }

    # ------------------------------------------------------------------------------ the clock

    def day(self, offset: int) -> date:
        """The calendar date ``offset`` days from today (negative: in the past)."""
        return self.today + timedelta(days=offset)

    def schedule(self, day: int, hour: int, action: Callable[[], object], minute: int = 0) -> None:
        if day >= 0:
            raise DemoScriptError(f"day {day}: the demo history must end before today")
        when = self._midnight + timedelta(days=day, hours=hour, minutes=minute)
        self._steps.append((when, len(self._steps), action))

    def schedule_at(self, when: datetime, action: Callable[[], object]) -> None:
        """Schedule ``action`` at an exact instant, which may be earlier today."""
        if require_aware(when, what="when") >= self.now:
            raise DemoScriptError(f"{when.isoformat()}: the demo history must end before now")
        self._steps.append((when, len(self._steps), action))

    def run(self) -> None:
        steps, self._steps = sorted(self._steps, key=lambda s: (s[0], s[1])), []
        for when, _, action in steps:
            self._cursor = when
            action()

    def tick(self, *, grain: timedelta | None = None) -> datetime:
        """The instant of the next service call: the step's time, or just after the last call;
        with ``grain``, rounded up to a whole multiple of it since the Unix epoch (an SLO
        evaluation judges whole telemetry buckets)."""
        moment = self._cursor if self._last is None else max(self._cursor, self._last + _GAP)
        if grain is not None:
            moment = _EPOCH - ((_EPOCH - moment) // grain) * grain
        if moment >= self.now:
            raise DemoScriptError(f"the history ran into the present ({moment.isoformat()})")
        self._last = moment
        return moment

    # ------------------------------------------------------------------------------ identity

    def actor(self, name: str) -> Actor:
        if name in (LOADER, WORKER):
            return system_actor(name)
        cached = self._actors.get(name)
        if cached is None:
            principal = identity_service.find_principal(self.session, name)
            if principal is None:
                raise DemoScriptError(f"{name} acts before the script created them")
            cached = identity_service.actor_for(self.session, principal)
            self._actors[name] = cached
        return cached

    def unit(self, day: int, hour: int, code: str, name: str, description: str) -> None:
        data = BusinessUnitCreate(code=code, name=name, description=description)
        self.schedule(
            day,
            hour,
            lambda: identity_service.create_business_unit(
                self.session, actor=self.actor(ADMIN), data=data, now=self.tick()
            ),
        )

    def person(self, day: int, hour: int, person: Person, *, by: str = ADMIN) -> None:
        def create() -> None:
            identity_service.create_principal(
                self.session,
                actor=self.actor(by),
                data=PrincipalCreate(
                    name=person.name,
                    display_name=person.display_name,
                    email=person.email,
                    kind=person.kind,
                ),
                now=self.tick(),
            )
            for role, unit in person.grants:
                identity_service.grant_role(
                    self.session,
                    actor=self.actor(by),
                    name=person.name,
                    data=GrantCreate(role=role, business_unit=unit),
                    now=self.tick(),
                )
            self._actors.pop(person.name, None)

        self.schedule(day, hour, create)

    def staff(self, unit: str, staff: UnitStaff) -> None:
        self._staff[unit] = staff

    def signers(self, signers: Mapping[SignOffRole, str]) -> None:
        """Who signs the org-wide roles (legal, procurement, security, finance)."""
        self._signers = {role.value: name for role, name in signers.items()}

    # ----------------------------------------------------------------------------- catalogue

    def region(self, day: int, hour: int, data: RegionCreate) -> None:
        self.schedule(
            day,
            hour,
            lambda: catalogue_service.create_region(
                self.session, actor=self.actor(ADMIN), data=data, now=self.tick()
            ),
        )

    def calendar(self, day: int, hour: int, data: CalendarCreate) -> None:
        self.schedule(
            day,
            hour,
            lambda: calendars_service.create_calendar(
                self.session, actor=self.actor(ADMIN), data=data, now=self.tick()
            ),
        )

    def vendor(self, day: int, hour: int, data: VendorCreate) -> None:
        self.schedule(
            day,
            hour,
            lambda: catalogue_service.create_vendor(
                self.session, actor=self.actor(ADMIN), data=data, now=self.tick()
            ),
        )

    def customer(self, day: int, hour: int, data: CustomerCreate) -> None:
        by = self._staff[data.business_unit].editor
        self.schedule(
            day,
            hour,
            lambda: catalogue_service.create_customer(
                self.session, actor=self.actor(by), data=data, now=self.tick()
            ),
        )

    def contact(self, day: int, hour: int, customer: str, unit: str, principal: str) -> None:
        by = self._staff[unit].editor
        self.schedule(
            day,
            hour,
            lambda: catalogue_service.add_customer_contact(
                self.session,
                actor=self.actor(by),
                code=customer,
                data=ContactCreate(principal=principal),
                now=self.tick(),
            ),
        )

    def service(
        self,
        day: int,
        hour: int,
        *,
        slug: str,
        name: str,
        unit: str,
        tier: int,
        criticality: Criticality,
        owner: str,
        cmdb_ci_id: str,
        description: str,
    ) -> None:
        data = ServiceCreate(
            slug=slug,
            name=name,
            description=description,
            business_unit=unit,
            tier=tier,
            owner=owner,
            criticality=criticality,
            cmdb_ci_id=cmdb_ci_id,
        )
        self._service_tiers[slug] = tier
        self._service_units[slug] = unit
        by = self._staff[unit].editor
        self.schedule(
            day,
            hour,
            lambda: catalogue_service.create_service(
                self.session, actor=self.actor(by), data=data, now=self.tick()
            ),
        )

    def depends(
        self,
        day: int,
        hour: int,
        slug: str,
        on: Sequence[str],
        *,
        kind: DependencyKind = DependencyKind.HARD,
        description: str | None = None,
    ) -> None:
        by = self._staff[self._service_units[slug]].editor

        def add() -> None:
            for target in on:
                catalogue_service.add_dependency(
                    self.session,
                    actor=self.actor(by),
                    slug=slug,
                    data=DependencyCreate(depends_on=target, kind=kind, description=description),
                    now=self.tick(),
                )

        self.schedule(day, hour, add)

    def drop_dependency(self, day: int, hour: int, slug: str, on: str) -> None:
        by = self._staff[self._service_units[slug]].editor
        self.schedule(
            day,
            hour,
            lambda: catalogue_service.remove_dependency(
                self.session, actor=self.actor(by), slug=slug, depends_on=on, now=self.tick()
            ),
        )

    def lifecycle(self, day: int, hour: int, slug: str, lifecycle: Lifecycle) -> None:
        by = self._staff[self._service_units[slug]].editor
        self.schedule(
            day,
            hour,
            lambda: catalogue_service.update_service(
                self.session,
                actor=self.actor(by),
                slug=slug,
                data=ServiceUpdate(lifecycle=lifecycle),
                now=self.tick(),
            ),
        )

    # ---------------------------------------------------------------------------- agreements

    def agreement(
        self,
        handle: str,
        *,
        day: int,
        kind: AgreementKind,
        title: str,
        unit: str,
        terms: Mapping[str, Any],
        reason: str,
        customer: str | None = None,
        consumer: str | None = None,
        vendor: str | None = None,
        region: str | None = None,
        structure: Structure = Structure.MONOLITHIC,
        master: str | None = None,
        hour: int = 10,
    ) -> None:
        """Draft a new agreement (version 1) as the unit's editor."""
        if handle in self._plans:
            raise DemoScriptError(f"{handle} is scripted twice")
        validated = Terms.model_validate(terms)
        plan = _Plan(unit=unit, kind=kind, structure=structure, consumer=consumer)
        plan.versions.append(
            (list(validated.services or []), [r.value for r in validated.requested_sign_offs or []])
        )
        self._plans[handle] = plan

        def create() -> None:
            read = agreements_service.create_agreement(
                self.session,
                actor=self.actor(self._staff[unit].editor),
                data=AgreementCreate(
                    kind=kind,
                    structure=structure,
                    master=self.keys[master] if master else None,
                    title=title,
                    business_unit=unit,
                    customer=customer,
                    consumer_business_unit=consumer,
                    vendor=vendor,
                    region=region,
                    terms=validated,
                    reason=reason,
                ),
                now=self.tick(),
            )
            self.keys[handle] = read.key

        self.schedule(day, hour, create)

    def revise(self, handle: str, *, day: int, terms: Mapping[str, Any], reason: str) -> int:
        """A new draft version from the latest one's terms; returns its number."""
        plan = self._plans[handle]
        changes = TermFields.model_validate(terms)
        services, requested = plan.versions[-1]
        plan.versions.append(
            (
                list(changes.services) if changes.services is not None else services,
                [r.value for r in changes.requested_sign_offs]
                if changes.requested_sign_offs is not None
                else requested,
            )
        )
        by = self._staff[plan.unit].editor
        self.schedule(
            day,
            10,
            lambda: agreements_service.create_version(
                self.session,
                actor=self.actor(by),
                key=self.keys[handle],
                data=VersionCreate(terms=changes, reason=reason),
                now=self.tick(),
            ),
        )
        return len(plan.versions)

    def edit(
        self, handle: str, number: int, *, day: int, terms: Mapping[str, Any], reason: str
    ) -> None:
        """Change a draft's terms (with the optimistic-locking revision, as a client would)."""
        plan = self._plans[handle]
        data = VersionUpdate.model_validate({**terms, "reason": reason})
        if data.services is not None or data.requested_sign_offs is not None:
            raise DemoScriptError("the script edits clauses only, not services or sign-offs")
        by = self._staff[plan.unit].editor

        def update() -> None:
            key = self.keys[handle]
            current = agreements_service.get_version(
                self.session, actor=self.actor(by), key=key, number=number
            )
            agreements_service.update_version(
                self.session,
                actor=self.actor(by),
                key=key,
                number=number,
                data=data,
                expected_revision=current.revision,
                now=self.tick(),
            )

        self.schedule(day, 14, update)

    def required_sign_offs(self, handle: str, number: int) -> list[str]:
        """What the service will demand: the covered services' tiers plus the requested roles."""
        services, requested = self._plans[handle].versions[number - 1]
        return agreement_rules.required_sign_offs(
            (self._tier_sign_offs[self._service_tiers[s]] for s in services), requested
        )

    def review(
        self,
        handle: str,
        number: int = 1,
        *,
        submit: int,
        approve: int | None = None,
        missing: Sequence[str] = (),
        comments: Mapping[str, str] | None = None,
    ) -> None:
        """Submit, collect the sign-offs one working day apart (leaving out ``missing``) and,
        when ``approve`` is given, approve as the unit's first approver."""
        plan = self._plans[handle]
        staff = self._staff[plan.unit]
        required = self.required_sign_offs(handle, number)
        unknown = set(missing) - set(required)
        if unknown:
            raise DemoScriptError(f"{handle} v{number} does not require {sorted(unknown)}")
        to_sign = [r for r in required if r not in missing]
        if approve is not None and (missing or approve <= submit + len(to_sign)):
            raise DemoScriptError(f"{handle} v{number}: approval before its sign-offs")

        def submit_step() -> None:
            read = approvals_service.submit_version(
                self.session,
                actor=self.actor(staff.editor),
                key=self.keys[handle],
                number=number,
                data=TransitionRequest(
                    reason="Terms agreed with the counterparty: ready for sign-off"
                ),
                now=self.tick(),
            )
            if read.terms.required_sign_offs != required:
                raise DemoScriptError(
                    f"{handle} v{number} needs {read.terms.required_sign_offs}, "
                    f"the script planned {required}"
                )

        self.schedule(submit, 10, submit_step)
        for position, role in enumerate(to_sign):
            consumer_signs = plan.kind is AgreementKind.OLA and role == SignOffRole.CUSTOMER_OWNER
            signer = self._signer(
                plan.consumer if consumer_signs and plan.consumer else plan.unit, role
            )
            comment = (comments or {}).get(role, _DEFAULT_SIGN_OFF_COMMENTS[role])
            self.schedule(
                submit + 1 + position,
                11,
                self._sign_step(handle, number, signer, SignOffRole(role), comment),
            )
        if approve is not None:
            self.schedule(
                approve,
                15,
                lambda: approvals_service.approve_version(
                    self.session,
                    actor=self.actor(staff.approvers[0]),
                    key=self.keys[handle],
                    number=number,
                    data=TransitionRequest(reason="All required sign-offs collected"),
                    now=self.tick(),
                ),
            )

    def _sign_step(
        self, handle: str, number: int, signer: str, role: SignOffRole, comment: str
    ) -> Callable[[], object]:
        return lambda: approvals_service.sign_off_version(
            self.session,
            actor=self.actor(signer),
            key=self.keys[handle],
            number=number,
            data=SignOffCreate(role=role, comment=comment),
            now=self.tick(),
        )

    def _signer(self, unit: str, role: str) -> str:
        staff = self._staff[unit]
        if role == SignOffRole.PROVIDER_OWNER:
            return staff.approvers[0]
        if role == SignOffRole.CUSTOMER_OWNER:
            return staff.approvers[1]
        if role not in self._signers:
            raise DemoScriptError(f"nobody is scripted to sign as {role}")
        return self._signers[role]

    def send_back(self, handle: str, number: int, *, day: int, reason: str) -> None:
        """The second approver returns the version to draft (its sign-offs are void)."""
        by = self._staff[self._plans[handle].unit].approvers[1]
        self.schedule(
            day,
            16,
            lambda: approvals_service.return_version(
                self.session,
                actor=self.actor(by),
                key=self.keys[handle],
                number=number,
                data=TransitionRequest(reason=reason),
                now=self.tick(),
            ),
        )

    def activate(
        self, handle: str, number: int = 1, *, day: int, reason: str, supersede: bool = False
    ) -> None:
        by = self._staff[self._plans[handle].unit].approvers[0]
        self.schedule(
            day,
            9,
            lambda: approvals_service.activate_version(
                self.session,
                actor=self.actor(by),
                key=self.keys[handle],
                number=number,
                data=ActivationRequest(reason=reason),
                supersede=supersede,
                now=self.tick(),
            ),
        )

    def sunset(self, handle: str, *, day: int, reason: str) -> None:
        by = self._staff[self._plans[handle].unit].approvers[0]
        self.schedule(
            day,
            11,
            lambda: approvals_service.sunset_agreement(
                self.session,
                actor=self.actor(by),
                key=self.keys[handle],
                data=TransitionRequest(reason=reason),
                now=self.tick(),
            ),
        )

    def link(self, supported: str, supporting: str, service: str, *, day: int, reason: str) -> None:
        by = self._staff[self._plans[supported].unit].editor
        self.schedule(
            day,
            12,
            lambda: support_service.add_support_link(
                self.session,
                actor=self.actor(by),
                key=self.keys[supported],
                data=SupportLinkCreate(
                    supporting=self.keys[supporting], service=service, reason=reason
                ),
                now=self.tick(),
            ),
        )

    def unlink(
        self, supported: str, supporting: str, service: str, *, day: int, reason: str
    ) -> None:
        by = self._staff[self._plans[supported].unit].editor

        def remove() -> None:
            key = self.keys[supported]
            support = support_service.get_support(self.session, actor=self.actor(by), key=key)
            link = next(
                link
                for link in support.supported_by
                if link.supporting == self.keys[supporting] and link.service == service
            )
            support_service.remove_support_link(
                self.session,
                actor=self.actor(by),
                key=key,
                link_id=link.id,
                reason=reason,
                now=self.tick(),
            )

        self.schedule(day, 12, remove)

    def expiry_job(self, day: int, *, expect: Sequence[tuple[str, int]]) -> None:
        """The nightly `agreements.expire` job, on a night when ``expect`` ran out."""

        def run() -> None:
            expired = approvals_service.expire_due_versions(
                self.session, actor=self.actor(WORKER), now=self.tick()
            )
            wanted = sorted(f"{self.keys[h]}/v{n}" for h, n in expect)
            if sorted(expired) != wanted:
                raise DemoScriptError(f"day {day}: expected {wanted} to expire, got {expired}")

        self.schedule(day, 2, run)


_DEFAULT_SIGN_OFF_COMMENTS = {
    SignOffRole.PROVIDER_OWNER.value: "Targets are achievable with current staffing and tooling",
    SignOffRole.CUSTOMER_OWNER.value: "Matches what the relationship team agreed with the client",
    SignOffRole.LEGAL.value: "Liability cap, credits and governing law reviewed",
    SignOffRole.PROCUREMENT.value: "Commercials match the approved purchase order",
    SignOffRole.FINANCE.value: "Fees and credit exposure within budget",
    SignOffRole.SECURITY.value: "Security schedule and audit rights reviewed",
}
