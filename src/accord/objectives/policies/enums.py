"""Enumerations of error budget policies (no SQLAlchemy: pure modules use them too)."""

from __future__ import annotations

from enum import StrEnum


class NotifyChannel(StrEnum):
    EMAIL = "email"
    """Recipients are e-mail addresses."""
    WEBHOOK = "webhook"
    """Recipients are http(s) URLs."""
    RECORD = "record"
    """No recipients: the crossing is recorded as a policy event only."""


class EscalationRole(StrEnum):
    """Whom an escalation goes to: responsibilities, resolved to people when it is delivered."""

    SERVICE_OWNER = "service_owner"
    """The service's accountable owner."""
    PROVIDER_OWNER = "provider_owner"
    """The objective's owner on the provider side."""
    CUSTOMER_OWNER = "customer_owner"
    """The objective's owner on the customer side."""
    UNIT_APPROVERS = "unit_approvers"
    """The approvers of the service's business unit."""
    SRE_LEAD = "sre_lead"
    INCIDENT_MANAGER = "incident_manager"
    ENGINEERING_MANAGER = "engineering_manager"
