"""Enumerations of agreements (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum


class AgreementKind(StrEnum):
    SLA = "sla"
    """Service level agreement: we (a business unit) provide a service to a customer."""
    OLA = "ola"
    """Operational level agreement: one internal team provides to another."""
    UC = "uc"
    """Underpinning contract: an external vendor provides to us."""


class Structure(StrEnum):
    MONOLITHIC = "monolithic"
    """All terms and services in one document."""
    MASTER = "master"
    """General terms only; services are covered by its schedules."""
    SCHEDULE = "schedule"
    """A service schedule under a master agreement."""


class VersionStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    SUNSET = "sunset"


class ReviewCycle(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"


class FeePeriod(StrEnum):
    ONE_OFF = "one_off"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


class SignOffRole(StrEnum):
    PROVIDER_OWNER = "provider_owner"
    CUSTOMER_OWNER = "customer_owner"
    LEGAL = "legal"
    PROCUREMENT = "procurement"
    FINANCE = "finance"
    SECURITY = "security"


# ------------------------------------------------------------------ ticket terms


class TicketState(StrEnum):
    """The normalised states of a ticket, onto which every ticketing format is mapped; the
    agreement's ticket targets name them (pause while ``awaiting_customer``)."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    AWAITING_CUSTOMER = "awaiting_customer"
    AWAITING_VENDOR = "awaiting_vendor"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class TargetMetric(StrEnum):
    TIME_TO_OWN = "time_to_own"
    """TTO: from the start until someone takes the ticket on (the response)."""
    TIME_TO_RESOLVE = "time_to_resolve"
    """TTR: from the start until resolution, without the paused time."""


class DurationUnit(StrEnum):
    """Units of a ticket target; every one counts on the supported-hours calendar."""

    BUSINESS_MINUTES = "business_minutes"
    BUSINESS_HOURS = "business_hours"
    WORKING_DAYS = "working_days"
    """N working days later, keeping the time of day."""
    END_OF_WORKING_DAY = "end_of_working_day"
    """The close of the Nth working day after the start's (0: the start's own day)."""


class ChangePolicy(StrEnum):
    """What a running timer does when the ticket's priority (or agreement) changes."""

    RETROACTIVE = "retroactive"
    """Re-measure from the original start with the new target (GLPI, ServiceNow retroactive)."""
    KEEP_SPENT = "keep_spent"
    """Keep the business time already spent, on its calendar, and apply the new target (iTop)."""
    RESTART = "restart"
    """Cancel the timer and start a new one at the change (ServiceNow's default)."""


class TieBreak(StrEnum):
    """Which target applies when several match a ticket."""

    SHORTEST = "shortest"
    LONGEST = "longest"
    MOST_SPECIFIC = "most_specific"
    """The one naming most of service, request type and priority (then the shortest)."""
