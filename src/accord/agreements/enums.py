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
