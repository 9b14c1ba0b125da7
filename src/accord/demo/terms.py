"""Building blocks of the demo's agreement terms: standard clauses per kind, reference numbers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from accord.agreements.enums import AgreementKind, FeePeriod, ReviewCycle, SignOffRole

SLA, OLA, UC = AgreementKind.SLA, AgreementKind.OLA, AgreementKind.UC

INCLUSIONS = {
    SLA: [
        "Availability of the covered services in production, measured at the bank's edge",
        "Incident response and resolution per the P1-P4 severity matrix",
        "Monthly service report with availability, incidents and service credits",
    ],
    OLA: [
        "P1 incident acknowledgement and handoff to the consuming team within 15 minutes",
        "Changes announced 5 business days ahead through the change advisory board calendar",
        "Quarterly joint service review with the consuming unit",
    ],
    UC: [
        "24x7 vendor support, severity 1 response within 15 minutes",
        "Root-cause analysis within 5 business days of a severity 1 incident",
        "Audit, access and information rights for the bank and its regulators",
    ],
}
EXCLUSIONS = {
    SLA: [
        "Scheduled maintenance announced at least 5 business days in advance",
        "Outages of third-party networks, card schemes or clearing systems outside the bank's "
        "control",
        "Incidents caused by the customer's systems, credentials or unannounced changes",
        "Force majeure as defined in the general terms",
    ],
    OLA: [
        "Changes made by the consuming team outside the agreed interfaces",
        "Vendor outages covered by an underpinning contract, beyond the agreed escalation",
        "Non-production environments",
    ],
    UC: [
        "Outages caused by the bank's own configuration changes",
        "Preview, beta and end-of-life features",
        "Force majeure as defined in the master contract",
    ],
}
RESPONSIBILITIES = {
    SLA: [
        "Keep a 24x7 escalation contact list up to date",
        "Grant the bank's support staff test and production access within 2 business days",
        "Announce volume peaks above 150 % of forecast 10 business days ahead",
    ],
    OLA: [
        "Raise incidents in the shared ITSM queue with service and severity",
        "Keep runbooks of the consuming applications current",
    ],
    UC: [
        "Maintain named technical contacts and an escalation path",
        "Report incidents through the vendor portal with a severity",
    ],
}


def _target(metric: str, priority: str, amount: int, unit: str, **extra: Any) -> dict[str, Any]:
    return {"metric": metric, "priority": priority, "amount": amount, "unit": unit, **extra}


TTO, TTR = "time_to_own", "time_to_resolve"
TICKET_TERMS: dict[AgreementKind, dict[str, Any]] = {
    # Customers' SLAs: response and resolution per priority; P1 escalates an hour before.
    SLA: {
        "tie_break": "shortest",
        "targets": [
            _target(TTO, "P1", 15, "business_minutes"),
            _target(TTO, "P2", 30, "business_minutes"),
            _target(TTO, "P3", 4, "business_hours"),
            _target(TTO, "P4", 1, "working_days"),
            _target(
                TTR,
                "P1",
                4,
                "business_hours",
                escalations=[
                    {"level": 1, "offset_minutes": -60},
                    {"level": 2, "offset_minutes": 0},
                ],
            ),
            _target(TTR, "P2", 8, "business_hours"),
            _target(TTR, "P3", 3, "working_days", on_change="keep_spent"),
            _target(TTR, "P4", 10, "working_days"),
        ],
    },
    # Internal teams resolve their part well inside the SLAs'.
    OLA: {
        "targets": [
            _target(TTO, "P1", 10, "business_minutes"),
            _target(TTO, "P2", 20, "business_minutes"),
            _target(TTR, "P1", 2, "business_hours"),
            _target(TTR, "P2", 4, "business_hours"),
            _target(TTR, "P3", 2, "working_days"),
        ]
    },
    # Vendors promise less: a P1 in 8 of their business hours does not fit a 4-hour SLA, which
    # `accord agreements alignment` reports.
    UC: {
        "targets": [
            _target(TTO, "P1", 30, "business_minutes"),
            _target(TTR, "P1", 8, "business_hours"),
            _target(TTR, "P2", 2, "working_days"),
        ]
    },
}


class References:
    """Legal and procurement reference numbers, numbered in script order."""

    def __init__(self) -> None:
        self._legal = 0
        self._purchase = 0

    def legal(self, start: date) -> str:
        self._legal += 1
        return f"LGL-{start.year}-{self._legal:03d}"

    def purchase(self, start: date) -> str:
        self._purchase += 1
        return f"PO-{start.year}-{4100 + self._purchase}"


def terms(
    kind: AgreementKind,
    *,
    summary: str,
    services: Sequence[str],
    start: date,
    end: date | None = None,
    jurisdiction: str = "IE",
    hours: str = "24x7",
    review: ReviewCycle = ReviewCycle.ANNUAL,
    fee: str | None = None,
    currency: str = "EUR",
    period: FeePeriod = FeePeriod.MONTHLY,
    legal: str | None = None,
    purchase: str | None = None,
    tags: Sequence[str] = ("GDPR",),
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    responsibilities: Sequence[str] = (),
    sign: Sequence[SignOffRole] = (),
    notes: str = "",
) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "summary": summary,
        "services": list(services),
        "scope_inclusions": [*INCLUSIONS[kind], *include],
        "scope_exclusions": [*EXCLUSIONS[kind], *exclude],
        "supported_hours": hours,
        "customer_responsibilities": [*RESPONSIBILITIES[kind], *responsibilities],
        "jurisdiction": jurisdiction,
        "review_cycle": review,
        "term_start": start,
        "term_end": end,
        "legal_reference": legal,
        "procurement_reference": purchase,
        "regulatory_tags": list(tags),
        "requested_sign_offs": list(sign),
        "internal_notes": notes,
        "ticket_terms": TICKET_TERMS[kind],
    }
    if fee is not None:
        terms.update(fee_amount=Decimal(fee), fee_currency=currency, fee_period=period)
    return terms


def years(start: date, years: int) -> date:
    """The last day of a term of whole years (365 days each: terms are counted in days)."""
    return start + timedelta(days=365 * years - 1)
