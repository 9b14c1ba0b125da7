"""The explicit, ordered list of every router: the API under /api/v1 and the portal pages."""

from __future__ import annotations

from fastapi import APIRouter

from accord.agreements import endpoints as agreements_endpoints
from accord.agreements import pages as agreements_pages
from accord.agreements.approvals import endpoints as approvals_endpoints
from accord.agreements.support import endpoints as support_endpoints
from accord.audit import endpoints as audit_endpoints
from accord.audit import pages as audit_pages
from accord.calendars import endpoints as calendars_endpoints
from accord.catalogue import endpoints as catalogue_endpoints
from accord.catalogue import pages as catalogue_pages
from accord.compliance import endpoints as compliance_endpoints
from accord.exclusions import endpoints as exclusions_endpoints
from accord.identity import endpoints as identity_endpoints
from accord.identity import pages as identity_pages
from accord.objectives import endpoints as objectives_endpoints
from accord.objectives.policies import endpoints as policies_endpoints
from accord.telemetry import endpoints as telemetry_endpoints
from accord.telemetry.ingestion import endpoints as ingestion_endpoints
from accord.telemetry.reconciliation import endpoints as reconciliation_endpoints
from accord.telemetry.sources import endpoints as sources_endpoints
from accord.timers import endpoints as timers_endpoints

API_PREFIX = "/api/v1"

API_ROUTERS: tuple[APIRouter, ...] = (
    identity_endpoints.router,
    catalogue_endpoints.router,
    calendars_endpoints.router,
    # Before the agreements' router: /agreements/alignment is not an agreement key.
    timers_endpoints.router,
    agreements_endpoints.router,
    approvals_endpoints.router,
    support_endpoints.router,
    objectives_endpoints.router,
    policies_endpoints.router,
    sources_endpoints.router,
    ingestion_endpoints.router,
    reconciliation_endpoints.router,
    telemetry_endpoints.router,
    compliance_endpoints.router,
    exclusions_endpoints.router,
    audit_endpoints.router,
)

PAGE_ROUTERS: tuple[APIRouter, ...] = (
    identity_pages.router,
    agreements_pages.router,
    catalogue_pages.router,
    audit_pages.router,
)
