"""Platform engineering's history: cloud, core-banking and SOC contracts (UCs) and the OLAs
that commit the shared platform to the business units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from accord.agreements.enums import FeePeriod, ReviewCycle, SignOffRole
from accord.demo.organisation import CORPORATE, EU, PLATFORM, RETAIL
from accord.demo.terms import INCLUSIONS, OLA, UC, References, terms, years
from accord.demo.timeline import Timeline


def schedule(t: Timeline, refs: References) -> None:
    s = t.day
    # --- Nimbus Cloud: 3-year contract, renegotiated for DORA in its second year.
    start = s(-740)
    t.agreement(
        "uc-nimbus",
        day=-760,
        kind=UC,
        title="Nimbus Cloud: managed Kubernetes, databases and object storage (EU)",
        unit=PLATFORM,
        vendor="nimbus-cloud",
        region=EU,
        terms=terms(
            UC,
            summary="Managed Kubernetes 99.95 %, managed PostgreSQL 99.95 %, object storage "
            "99.9 % per month, in the Dublin region only.",
            services=["kubernetes-platform", "postgres-dbaas", "object-storage"],
            start=start,
            end=years(start, 3),
            fee="48000.00",
            legal=refs.legal(start),
            purchase=refs.purchase(start),
            tags=("GDPR", "ISO-27001", "SOC2"),
            include=["Customer data stays in the EU (Dublin and Frankfurt) regions"],
            sign=(SignOffRole.PROCUREMENT, SignOffRole.SECURITY),
            notes="Enterprise support plan; credits 10 % / 25 % / 50 % of the monthly fee.",
        ),
        reason="Cloud platform contract for the container and database landing zone",
    )
    t.review("uc-nimbus", submit=-752, approve=-744)
    t.activate("uc-nimbus", day=-740, reason="Contract signed; landing zone goes live")
    renewed = s(-230)
    v2 = t.revise(
        "uc-nimbus",
        day=-260,
        terms={
            "term_start": renewed,
            "term_end": years(renewed, 3),
            "fee_amount": Decimal("52500.00"),
            "regulatory_tags": ["GDPR", "ISO-27001", "SOC2", "DORA"],
            "scope_inclusions": [
                *INCLUSIONS[UC],
                "Customer data stays in the EU (Dublin and Frankfurt) regions",
                "Exit plan with 18 months of transition assistance (DORA Art. 28)",
                "Incident notification within 4 hours of detection",
            ],
            "internal_notes": "Renegotiated for the DORA register of ICT third-party "
            "arrangements; price uplift traded for exit assistance.",
        },
        reason="DORA remediation: exit plan, incident notification and audit rights added",
    )
    t.review("uc-nimbus", v2, submit=-250, approve=-238)
    t.activate(
        "uc-nimbus", v2, day=-230, supersede=True, reason="DORA-compliant contract takes effect"
    )

    # --- LedgerWorks: core banking software support; renewal under negotiation.
    start = s(-738)
    t.agreement(
        "uc-ledgerworks",
        day=-758,
        kind=UC,
        title="LedgerWorks: core ledger and payments software support",
        unit=PLATFORM,
        vendor="ledgerworks",
        region=EU,
        terms=terms(
            UC,
            summary="24x7 severity 1 support for the core ledger and payments engine, "
            "emergency patches within 24 hours.",
            services=["core-ledger", "payments-core"],
            start=start,
            end=years(start, 3),
            fee="310000.00",
            period=FeePeriod.ANNUAL,
            legal=refs.legal(start),
            purchase=refs.purchase(start),
            tags=("GDPR", "SOX", "DORA"),
            include=["Source code escrow with quarterly deposits"],
            sign=(SignOffRole.PROCUREMENT,),
        ),
        reason="Support contract for the licensed core banking software",
    )
    t.review("uc-ledgerworks", submit=-750, approve=-742)
    t.activate("uc-ledgerworks", day=-738, reason="Support starts with the licence")
    renewal = t.revise(
        "uc-ledgerworks",
        day=-90,
        terms={
            "term_start": s(30),
            "term_end": years(s(30), 3),
            "fee_amount": Decimal("335000.00"),
            "internal_notes": "Early renewal: vendor asks for 8 % uplift; procurement "
            "benchmarking against two alternatives before signing.",
        },
        reason="Early renewal to align the term with the new licence",
    )
    t.review("uc-ledgerworks", renewal, submit=-80, missing=["procurement"])

    # --- Sentinel managed SOC: evergreen with annual review.
    start = s(-680)
    t.agreement(
        "uc-sentinel",
        day=-700,
        kind=UC,
        title="Sentinel: managed security operations centre",
        unit=PLATFORM,
        vendor="sentinel-mssp",
        region=EU,
        terms=terms(
            UC,
            summary="24x7 monitoring of the SIEM, triage of alerts within 15 minutes, "
            "escalation of confirmed incidents within 30 minutes.",
            services=["security-monitoring"],
            start=start,
            fee="21500.00",
            legal=refs.legal(start),
            purchase=refs.purchase(start),
            tags=("GDPR", "ISO-27001", "NIS2", "DORA"),
            sign=(SignOffRole.PROCUREMENT, SignOffRole.SECURITY),
        ),
        reason="Outsource out-of-hours security monitoring",
    )
    t.review("uc-sentinel", submit=-694, approve=-686)
    t.activate("uc-sentinel", day=-680, reason="SOC onboarding complete")

    # --- OLAs from platform engineering to the business units.
    def ola(
        handle: str,
        *,
        day: int,
        title: str,
        consumer: str,
        services: list[str],
        summary: str,
        start: date,
        end: date | None = None,
        review: ReviewCycle = ReviewCycle.QUARTERLY,
        fee: str | None = None,
        tags: Sequence[str] = ("GDPR",),
        include: Sequence[str] = (),
        notes: str = "",
    ) -> None:
        t.agreement(
            handle,
            day=day,
            kind=OLA,
            title=title,
            unit=PLATFORM,
            consumer=consumer,
            region=EU,
            terms=terms(
                OLA,
                summary=summary,
                services=services,
                start=start,
                end=end,
                review=review,
                fee=fee,
                period=FeePeriod.ANNUAL,
                legal=refs.legal(start),
                tags=tags,
                include=include,
                notes=notes,
            ),
            reason=f"Operational commitments of platform engineering to {consumer}",
        )

    indemnity = (
        "Service credits paid to customers because of an OLA breach are charged back to "
        "platform engineering"
    )
    for unit, suffix, offset in ((RETAIL, "retail", 0), (CORPORATE, "corporate", 1)):
        unit_name = "Retail Banking" if unit == RETAIL else "Corporate Banking"
        ola(
            f"ola-identity-{suffix}",
            day=-735 + offset,
            title=f"Identity, SSO and secrets for {unit_name}",
            consumer=unit,
            services=["identity-platform", "secrets-vault"],
            summary="Authentication 99.95 % per month; P1 handoff within 15 minutes; key "
            "rotation on request within 1 business day.",
            start=s(-716 + offset),
            tags=("GDPR", "PCI-DSS", "DORA"),
        )
        t.review(f"ola-identity-{suffix}", submit=-728 + offset, approve=-720 + offset)
        t.activate(f"ola-identity-{suffix}", day=-716 + offset, reason="Platform go-live")
        ola(
            f"ola-core-{suffix}",
            day=-732 + offset,
            title=f"Payments core and ledger for {unit_name}",
            consumer=unit,
            services=["payments-core", "core-ledger"],
            summary="Ledger and payment engine 99.95 % per month; end-of-day close by 23:00 CET.",
            start=s(-713 + offset),
            fee="1200000.00",
            tags=("GDPR", "SOX", "PCI-DSS", "DORA"),
            include=[indemnity],
        )
        t.review(f"ola-core-{suffix}", submit=-725 + offset, approve=-717 + offset)
        t.activate(f"ola-core-{suffix}", day=-713 + offset, reason="Platform go-live")
        t.link(
            f"ola-core-{suffix}",
            "uc-ledgerworks",
            "core-ledger",
            day=-710 + offset,
            reason="Ledger incidents escalate to LedgerWorks severity 1 support",
        )
        ola(
            f"ola-runtime-{suffix}",
            day=-730 + offset,
            title=f"Container platform and databases for {unit_name}",
            consumer=unit,
            services=["kubernetes-platform", "postgres-dbaas"],
            summary="Cluster and database availability 99.95 % per month; database restore "
            "within 1 hour (RPO 5 minutes).",
            start=s(-711 + offset),
            fee="640000.00",
            tags=("GDPR", "DORA"),
        )
        t.review(f"ola-runtime-{suffix}", submit=-723 + offset, approve=-715 + offset)
        t.activate(f"ola-runtime-{suffix}", day=-711 + offset, reason="Platform go-live")
        t.link(
            f"ola-runtime-{suffix}",
            "uc-nimbus",
            "kubernetes-platform",
            day=-708 + offset,
            reason="Clusters run on Nimbus managed Kubernetes",
        )
    t.link(
        "ola-core-retail",
        "uc-ledgerworks",
        "payments-core",
        day=-709,
        reason="Payment engine incidents escalate to LedgerWorks",
    )
    t.link(
        "ola-runtime-retail",
        "uc-nimbus",
        "postgres-dbaas",
        day=-707,
        reason="Databases run on Nimbus managed PostgreSQL",
    )
    # Renegotiated: earlier ledger close and faster handoff after a year of operation.
    v2 = t.revise(
        "ola-core-retail",
        day=-330,
        terms={
            "term_start": s(-305),
            "summary": "Ledger and payment engine 99.95 % per month; end-of-day close by "
            "22:00 CET; P1 handoff within 10 minutes.",
            "internal_notes": "Retail asked for an earlier close to publish balances before "
            "the overnight SEPA Instant peak.",
        },
        reason="Annual review: earlier end-of-day close and faster P1 handoff",
    )
    t.review("ola-core-retail", v2, submit=-322, approve=-312)
    t.activate("ola-core-retail", v2, day=-305, supersede=True, reason="New close time from Monday")

    ola(
        "ola-messaging-retail",
        day=-700,
        title="Messaging bus for Retail Banking",
        consumer=RETAIL,
        services=["messaging-bus"],
        summary="Event delivery 99.95 % per month, end-to-end latency p99 under 500 ms.",
        start=s(-682),
        tags=("GDPR", "PCI-DSS"),
    )
    t.review("ola-messaging-retail", submit=-694, approve=-686)
    t.activate("ola-messaging-retail", day=-682, reason="Kafka migration complete")

    ola(
        "ola-observability-retail",
        day=-660,
        title="Observability and security monitoring for Retail Banking",
        consumer=RETAIL,
        services=["observability-stack", "security-monitoring"],
        summary="Telemetry pipeline 99.9 %; security alerts on retail systems triaged within "
        "15 minutes around the clock.",
        start=s(-645),
        tags=("GDPR", "PCI-DSS", "NIS2"),
    )
    t.review("ola-observability-retail", submit=-652, approve=-648)
    t.activate("ola-observability-retail", day=-645, reason="SIEM coverage of retail in place")
    t.link(
        "ola-observability-retail",
        "uc-sentinel",
        "security-monitoring",
        day=-640,
        reason="Out-of-hours triage is done by the Sentinel SOC",
    )

    start = s(-672)
    ola(
        "ola-archive-retail",
        day=-690,
        title="Object storage for the retail document archive",
        consumer=RETAIL,
        services=["object-storage"],
        summary="Archive storage 99.9 % per month with 10-year immutability.",
        start=start,
        end=years(start, 1),
        review=ReviewCycle.ANNUAL,
        notes="One-year arrangement until the archive moves to the records platform.",
    )
    t.review("ola-archive-retail", submit=-684, approve=-676)
    t.activate("ola-archive-retail", day=-672, reason="Archive migration starts")
    t.link(
        "ola-archive-retail",
        "uc-nimbus",
        "object-storage",
        day=-670,
        reason="Archive buckets are Nimbus object storage",
    )
    t.expiry_job(-306, expect=[("ola-archive-retail", 1)])

    ola(
        "ola-gateway-corporate",
        day=-600,
        title="API gateway for Corporate Banking",
        consumer=CORPORATE,
        services=["api-gateway"],
        summary="Gateway availability 99.95 % per month; partner onboarding within 5 days.",
        start=s(-585),
        tags=("GDPR", "PCI-DSS", "DORA"),
    )
    t.review("ola-gateway-corporate", submit=-594, approve=-588)
    t.activate("ola-gateway-corporate", day=-585, reason="Corporate APIs move to the gateway")
    v2 = t.revise(
        "ola-gateway-corporate",
        day=-40,
        terms={
            "term_start": s(11),
            "summary": "Gateway availability 99.99 % per month with active-active regions; "
            "partner onboarding within 3 days.",
        },
        reason="Active-active gateway: higher availability commitment from next month",
    )
    t.review("ola-gateway-corporate", v2, submit=-32, approve=-20)

    start = s(-764)
    ola(
        "ola-mainframe-corporate",
        day=-776,
        title="Mainframe batch for Corporate Banking",
        consumer=CORPORATE,
        services=["legacy-mainframe-batch"],
        summary="Nightly liquidity batch complete by 05:00 CET on business days.",
        start=start,
        review=ReviewCycle.SEMIANNUAL,
        tags=("SOX",),
    )
    t.review("ola-mainframe-corporate", submit=-772, approve=-766)
    t.activate("ola-mainframe-corporate", day=-764, reason="Carried over from the old OLA")
    t.sunset(
        "ola-mainframe-corporate",
        day=-330,
        reason="Liquidity reporting now streams from the ledger; mainframe batch switched off",
    )

    ola(
        "ola-cicd-corporate",
        day=-15,
        title="CI/CD pipeline for Corporate Banking",
        consumer=CORPORATE,
        services=["ci-cd-pipeline"],
        summary="Pipeline availability 99.5 % in business hours; build queue under 10 minutes.",
        start=s(40),
        tags=("SOX",),
    )
