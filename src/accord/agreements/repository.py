"""Every query of the agreements domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Row,
    ScalarSelect,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from accord.agreements.enums import AgreementKind, VersionStatus
from accord.agreements.models import (
    Agreement,
    AgreementKeyCounter,
    AgreementVersion,
    SignOff,
    SupportLink,
    VersionService,
)
from accord.db.repository import MAX_ID, Repository

Instant = datetime | None
VersionSummaryRow = Row[int, int, VersionStatus, Instant, Instant, Instant]
"""(agreement_id, number, status, approved_at, effective_from, ended_at)"""


class Headline(NamedTuple):
    """What a list shows of an agreement's versions."""

    latest_number: int
    latest_status: VersionStatus
    active_number: int | None


def _headline_columns() -> tuple[ScalarSelect[Any], ...]:
    """Correlated subqueries (one index probe each per listed agreement) giving its latest
    version's number and status and its active version's number."""
    version = aliased(AgreementVersion)
    latest = (
        select(version.number, version.status)
        .where(version.agreement_id == Agreement.id)
        .order_by(version.number.desc())
        .limit(1)
        .correlate(Agreement)
    )
    active = (
        select(version.number)
        .where(version.agreement_id == Agreement.id, version.status == VersionStatus.ACTIVE)
        .limit(1)
        .correlate(Agreement)
    )
    return (
        latest.with_only_columns(version.number).scalar_subquery(),
        latest.with_only_columns(version.status).scalar_subquery(),
        active.scalar_subquery(),
    )


def readable_in(units: frozenset[int]) -> ColumnElement[bool]:
    """Agreements readable in ``units``: the providing unit's, and an OLA's consumer's too."""
    return or_(
        Agreement.business_unit_id.in_(units),
        and_(
            Agreement.kind == AgreementKind.OLA,
            Agreement.consumer_business_unit_id.in_(units),
        ),
    )


class AgreementRepository(Repository[Agreement]):
    model = Agreement

    def by_key(self, key: str) -> Agreement | None:
        return self.find_by(key=key)

    def next_number(self, kind: AgreementKind) -> int:
        """Atomically take the next key number of a kind (the row lock serialises writers)."""
        return self.session.execute(
            update(AgreementKeyCounter)
            .where(AgreementKeyCounter.kind == kind)
            .values(last_number=AgreementKeyCounter.last_number + 1)
            .returning(AgreementKeyCounter.last_number)
        ).scalar_one()

    def page(
        self,
        *,
        units: frozenset[int] | None,
        kind: AgreementKind | None = None,
        status: VersionStatus | None = None,
        service_id: int | None = None,
        customer_id: int | None = None,
        business_unit_id: int | None = None,
        region_id: int | None = None,
        vendor_id: int | None = None,
        customer_ids: Iterable[int] | None = None,
        statuses_any: Iterable[VersionStatus] | None = None,
        after: int | None,
        limit: int,
    ) -> list[tuple[Agreement, Headline]]:
        """Agreements in id order, keyset-paginated, each with its headline (latest version,
        its status, the active version), computed in the same query. ``customer_ids`` and
        ``statuses_any`` narrow the external view (its customers' agreements with at least one
        such version)."""
        stmt = self.live()
        if units is not None:
            stmt = stmt.where(readable_in(units))
        if kind is not None:
            stmt = stmt.where(Agreement.kind == kind)
        if customer_id is not None:
            stmt = stmt.where(Agreement.customer_id == customer_id)
        if customer_ids is not None:
            stmt = stmt.where(Agreement.customer_id.in_(list(customer_ids)))
        if business_unit_id is not None:
            stmt = stmt.where(Agreement.business_unit_id == business_unit_id)
        if region_id is not None:
            stmt = stmt.where(Agreement.region_id == region_id)
        if vendor_id is not None:
            stmt = stmt.where(Agreement.vendor_id == vendor_id)
        if status is not None:
            stmt = stmt.where(
                exists().where(
                    AgreementVersion.agreement_id == Agreement.id, AgreementVersion.status == status
                )
            )
        if statuses_any is not None:
            stmt = stmt.where(
                exists().where(
                    AgreementVersion.agreement_id == Agreement.id,
                    AgreementVersion.status.in_(list(statuses_any)),
                )
            )
        if service_id is not None:
            # A join on the distinct covering agreements reads one index range; an EXISTS per
            # agreement would walk the agreements in key order until the page is full.
            covering = (
                select(VersionService.agreement_id)
                .where(VersionService.service_id == service_id)
                .distinct()
                .subquery()
            )
            stmt = stmt.join(covering, covering.c.agreement_id == Agreement.id)
        if after is not None:
            stmt = stmt.where(Agreement.id > after)
        stmt = stmt.add_columns(*_headline_columns()).order_by(Agreement.id).limit(limit)
        rows: list[tuple[Any, ...]] = [tuple(row) for row in self.session.execute(stmt)]
        return [(agreement, Headline(*headline)) for agreement, *headline in rows]

    def count_by_kind_and_headline(
        self, *, units: frozenset[int] | None
    ) -> list[tuple[AgreementKind, VersionStatus, int]]:
        """How many live agreements per kind and headline status (the active version's status
        if there is one, else the latest version's), counted in the database."""
        latest = (
            select(
                AgreementVersion.agreement_id,
                func.max(AgreementVersion.number).label("number"),
            )
            .group_by(AgreementVersion.agreement_id)
            .subquery()
        )
        active = aliased(AgreementVersion)
        has_active = (
            exists()
            .where(active.agreement_id == Agreement.id, active.status == VersionStatus.ACTIVE)
            .correlate(Agreement)
        )
        headline = case(
            (has_active, literal(VersionStatus.ACTIVE.value)), else_=AgreementVersion.status
        )
        stmt = (
            select(Agreement.kind, headline, func.count())
            .join(latest, latest.c.agreement_id == Agreement.id)
            .join(
                AgreementVersion,
                and_(
                    AgreementVersion.agreement_id == Agreement.id,
                    AgreementVersion.number == latest.c.number,
                ),
            )
            .where(Agreement.deleted_at.is_(None))
            .group_by(Agreement.kind, headline)
        )
        if units is not None:
            stmt = stmt.where(readable_in(units))
        return [
            (AgreementKind(kind), VersionStatus(status), int(count))
            for kind, status, count in self.session.execute(stmt)
        ]

    def active_ending_by(
        self, day: date, *, units: frozenset[int] | None, limit: int
    ) -> list[tuple[Agreement, AgreementVersion]]:
        """Live agreements whose active version's term ends on or before ``day``, soonest
        first."""
        stmt = (
            select(Agreement, AgreementVersion)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(
                Agreement.deleted_at.is_(None),
                AgreementVersion.status == VersionStatus.ACTIVE,
                AgreementVersion.term_end.is_not(None),
                AgreementVersion.term_end <= day,
            )
            .order_by(AgreementVersion.term_end, Agreement.key)
            .limit(limit)
        )
        if units is not None:
            stmt = stmt.where(readable_in(units))
        return [(row[0], row[1]) for row in self.session.execute(stmt)]

    def schedules_of(self, master_id: int) -> list[Agreement]:
        return list(
            self.session.scalars(
                self.live().where(Agreement.master_id == master_id).order_by(Agreement.id)
            )
        )

    def keys(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Agreement.id, Agreement.key).where(Agreement.id.in_(wanted))
        )
        return {row.id: row.key for row in rows}


class VersionRepository(Repository[AgreementVersion]):
    model = AgreementVersion

    def of_agreements(self, agreement_ids: Iterable[int]) -> list[AgreementVersion]:
        wanted = list(set(agreement_ids))
        if not wanted:
            return []
        return list(
            self.session.scalars(
                select(AgreementVersion)
                .where(AgreementVersion.agreement_id.in_(wanted))
                .order_by(AgreementVersion.agreement_id, AgreementVersion.number)
            )
        )

    def summaries_of(self, agreement_ids: Iterable[int]) -> list[VersionSummaryRow]:
        """Number, status and dates of every version, as plain rows (lists need no terms)."""
        wanted = list(set(agreement_ids))
        if not wanted:
            return []
        return list(
            self.session.execute(
                select(
                    AgreementVersion.agreement_id,
                    AgreementVersion.number,
                    AgreementVersion.status,
                    AgreementVersion.approved_at,
                    AgreementVersion.effective_from,
                    AgreementVersion.ended_at,
                )
                .where(AgreementVersion.agreement_id.in_(wanted))
                .order_by(AgreementVersion.agreement_id, AgreementVersion.number)
            )
        )

    def of_agreements_in(
        self, agreement_ids: Iterable[int], statuses: Iterable[VersionStatus]
    ) -> list[AgreementVersion]:
        wanted = list(set(agreement_ids))
        if not wanted:
            return []
        return list(
            self.session.scalars(
                select(AgreementVersion)
                .where(
                    AgreementVersion.agreement_id.in_(wanted),
                    AgreementVersion.status.in_(list(statuses)),
                )
                .order_by(AgreementVersion.agreement_id, AgreementVersion.number)
            )
        )

    def number(self, agreement_id: int, number: int) -> AgreementVersion | None:
        return self.session.scalars(
            select(AgreementVersion).where(
                AgreementVersion.agreement_id == agreement_id, AgreementVersion.number == number
            )
        ).first()

    def latest(self, agreement_id: int) -> AgreementVersion | None:
        return self.session.scalars(
            select(AgreementVersion)
            .where(AgreementVersion.agreement_id == agreement_id)
            .order_by(AgreementVersion.number.desc())
            .limit(1)
        ).first()

    def in_status(
        self, agreement_id: int, statuses: Iterable[VersionStatus]
    ) -> list[AgreementVersion]:
        return list(
            self.session.scalars(
                select(AgreementVersion)
                .where(
                    AgreementVersion.agreement_id == agreement_id,
                    AgreementVersion.status.in_(list(statuses)),
                )
                .order_by(AgreementVersion.number)
            )
        )

    def active_expiring_before(self, day: date) -> list[AgreementVersion]:
        """Active versions whose term ended before ``day``."""
        return list(
            self.session.scalars(
                select(AgreementVersion)
                .where(
                    AgreementVersion.status == VersionStatus.ACTIVE,
                    AgreementVersion.term_end.is_not(None),
                    AgreementVersion.term_end < day,
                )
                .order_by(AgreementVersion.id)
            )
        )

    def active_of(self, agreement_ids: Iterable[int]) -> dict[int, AgreementVersion]:
        wanted = list(set(agreement_ids))
        if not wanted:
            return {}
        rows = self.session.scalars(
            select(AgreementVersion).where(
                AgreementVersion.agreement_id.in_(wanted),
                AgreementVersion.status == VersionStatus.ACTIVE,
            )
        )
        return {row.agreement_id: row for row in rows}

    # ---- services covered
    def service_ids(self, version_ids: Iterable[int]) -> dict[int, list[int]]:
        wanted = list(set(version_ids))
        result: dict[int, list[int]] = {v: [] for v in wanted}
        if not wanted:
            return result
        for version_id, service_id in self.session.execute(
            select(VersionService.version_id, VersionService.service_id)
            .where(VersionService.version_id.in_(wanted))
            .order_by(VersionService.version_id, VersionService.service_id)
        ):
            result[version_id].append(service_id)
        return result

    def set_services(self, version: AgreementVersion, service_ids: list[int]) -> None:
        self.session.execute(delete(VersionService).where(VersionService.version_id == version.id))
        if service_ids:
            self.session.execute(
                insert(VersionService),
                [
                    {
                        "version_id": version.id,
                        "agreement_id": version.agreement_id,
                        "service_id": s,
                    }
                    for s in service_ids
                ],
            )

    # ---- sign-offs
    def sign_offs(self, version_ids: Iterable[int]) -> dict[int, list[SignOff]]:
        wanted = list(set(version_ids))
        result: dict[int, list[SignOff]] = {v: [] for v in wanted}
        if not wanted:
            return result
        for row in self.session.scalars(
            select(SignOff).where(SignOff.version_id.in_(wanted)).order_by(SignOff.id)
        ):
            result[row.version_id].append(row)
        return result

    def add_sign_off(self, sign_off: SignOff) -> None:
        self.session.add(sign_off)
        self.session.flush()

    def clear_sign_offs(self, version_id: int) -> None:
        self.session.execute(delete(SignOff).where(SignOff.version_id == version_id))


class CoverageRepository(Repository[AgreementVersion]):
    """Which versions are in effect for which services, and which agreements support which
    (for ticket timers and the alignment check)."""

    model = AgreementVersion

    def in_effect_for_services(
        self, service_ids: Iterable[int]
    ) -> list[tuple[int, Agreement, AgreementVersion]]:
        """(service id, SLA, version) of every SLA version that took effect and covers one of
        the services, oldest first."""
        wanted = [i for i in set(service_ids) if 0 < i <= MAX_ID]
        if not wanted:
            return []
        stmt = (
            select(VersionService.service_id, Agreement, AgreementVersion)
            .join(AgreementVersion, AgreementVersion.id == VersionService.version_id)
            .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
            .where(
                self.member_of(VersionService.service_id, wanted),
                Agreement.kind == AgreementKind.SLA,
                Agreement.deleted_at.is_(None),
                AgreementVersion.effective_from.is_not(None),
            )
            .order_by(AgreementVersion.effective_from, AgreementVersion.id)
        )
        return [(row[0], row[1], row[2]) for row in self.session.execute(stmt)]

    def in_effect_of_agreements(self, agreement_ids: Iterable[int]) -> list[AgreementVersion]:
        wanted = [i for i in set(agreement_ids) if 0 < i <= MAX_ID]
        if not wanted:
            return []
        stmt = (
            select(AgreementVersion)
            .where(
                self.member_of(AgreementVersion.agreement_id, wanted),
                AgreementVersion.effective_from.is_not(None),
            )
            .order_by(AgreementVersion.effective_from, AgreementVersion.id)
        )
        return list(self.session.scalars(stmt))

    def supporting(self, supported_ids: Iterable[int]) -> list[tuple[int, Agreement]]:
        """(supported agreement id, supporting agreement) of every live support link."""
        wanted = [i for i in set(supported_ids) if 0 < i <= MAX_ID]
        if not wanted:
            return []
        stmt = (
            select(SupportLink.supported_id, Agreement)
            .join(Agreement, Agreement.id == SupportLink.supporting_id)
            .where(
                self.member_of(SupportLink.supported_id, wanted),
                SupportLink.deleted_at.is_(None),
                Agreement.deleted_at.is_(None),
            )
            .order_by(SupportLink.supported_id, Agreement.id)
            .distinct()
        )
        return [(row[0], row[1]) for row in self.session.execute(stmt)]

    def supported_slas(self) -> list[Agreement]:
        """SLAs that at least one live support link points at."""
        stmt = (
            select(Agreement)
            .join(SupportLink, SupportLink.supported_id == Agreement.id)
            .where(
                SupportLink.deleted_at.is_(None),
                Agreement.deleted_at.is_(None),
                Agreement.kind == AgreementKind.SLA,
            )
            .order_by(Agreement.id)
            .distinct()
        )
        return list(self.session.scalars(stmt))
