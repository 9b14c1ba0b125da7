"""Corporate banking's history: master agreements with schedules, monolithic SLAs in both regions,
the SWIFT bureau and US hosting contracts, and the OLAs between corporate and retail banking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from accord.agreements.enums import ReviewCycle, SignOffRole, Structure
from accord.demo.organisation import CORPORATE, EU, RETAIL, US
from accord.demo.terms import OLA, SLA, UC, References, terms, years
from accord.demo.timeline import Timeline


def schedule(t: Timeline, refs: References) -> None:
    s = t.day

    def sla(
        handle: str,
        *,
        day: int,
        title: str,
        customer: str,
        region: str,
        summary: str,
        start: date,
        services: list[str] | None = None,
        end: date | None = None,
        fee: str | None = None,
        hours: str = "24x7",
        review: ReviewCycle = ReviewCycle.QUARTERLY,
        tags: Sequence[str] = ("GDPR",),
        structure: Structure = Structure.MONOLITHIC,
        master: str | None = None,
        sign: Sequence[SignOffRole] = (),
        include: Sequence[str] = (),
        notes: str = "",
        reason: str,
    ) -> None:
        t.agreement(
            handle,
            day=day,
            kind=SLA,
            title=title,
            unit=CORPORATE,
            customer=customer,
            region=region,
            structure=structure,
            master=master,
            terms=terms(
                SLA,
                summary=summary,
                services=services or [],
                start=start,
                end=end,
                jurisdiction="IE" if region == EU else "US-NY",
                hours=hours,
                review=review,
                fee=fee,
                currency="EUR" if region == EU else "USD",
                legal=refs.legal(start),
                tags=tags,
                include=include,
                sign=sign,
                notes=notes,
            ),
            reason=reason,
        )

    owners_and_legal = (SignOffRole.PROVIDER_OWNER, SignOffRole.CUSTOMER_OWNER, SignOffRole.LEGAL)

    # --- SwiftLink service bureau (UC).
    start = s(-700)
    t.agreement(
        "uc-swiftlink",
        day=-720,
        kind=UC,
        title="SwiftLink: SWIFT service bureau",
        unit=CORPORATE,
        vendor="swiftlink-bureau",
        region=EU,
        terms=terms(
            UC,
            summary="SWIFT connectivity 99.95 % per month; message acknowledgement within "
            "60 seconds; CSP attestation yearly.",
            services=["swift-gateway"],
            start=start,
            end=years(start, 3),
            fee="18500.00",
            legal=refs.legal(start),
            purchase=refs.purchase(start),
            tags=("GDPR", "DORA", "ISO-27001"),
            sign=(SignOffRole.PROCUREMENT,),
        ),
        reason="Service bureau replaces the in-house SWIFT Alliance stack",
    )
    t.review("uc-swiftlink", submit=-714, approve=-706)
    t.activate("uc-swiftlink", day=-700, reason="Bureau cut-over complete")

    # --- Globex Logistics: master agreement with three schedules.
    start = s(-596)
    sla(
        "msa-globex",
        day=-620,
        title="Master services agreement: Globex Logistics",
        customer="globex-logistics",
        region=EU,
        summary="General terms for all services to Globex: service credits, escalation, "
        "reporting, liability, data protection and governing law.",
        start=start,
        end=years(start, 3),
        review=ReviewCycle.ANNUAL,
        tags=("GDPR", "DORA"),
        structure=Structure.MASTER,
        sign=owners_and_legal,
        include=["Quarterly service review with Globex treasury"],
        notes="Credits across all schedules capped at 20 % of the annual fees.",
        reason="Globex consolidates its cash management with the bank",
    )
    t.review("msa-globex", submit=-610, approve=-598)
    t.activate("msa-globex", day=-596, reason="Master agreement signed by both parties")
    sla(
        "sch-globex-cash",
        day=-600,
        title="Schedule 1: cash management portal (Globex Logistics)",
        customer="globex-logistics",
        region=EU,
        services=["cash-management-portal"],
        summary="Portal 99.9 % per month; 99.95 % between 07:00 and 19:00 CET on business days.",
        start=s(-580),
        end=years(start, 3),
        fee="6500.00",
        structure=Structure.SCHEDULE,
        master="msa-globex",
        reason="First service under the Globex master agreement",
    )
    t.review("sch-globex-cash", submit=-592, approve=-585)
    t.activate("sch-globex-cash", day=-580, reason="Globex users onboarded")
    sla(
        "sch-globex-h2h",
        day=-598,
        title="Schedule 2: host-to-host payments (Globex Logistics)",
        customer="globex-logistics",
        region=EU,
        services=["host-to-host-payments", "swift-gateway"],
        summary="Payment files acknowledged within 5 minutes; cross-border payments released to "
        "SWIFT within 30 minutes of the file's acceptance.",
        start=s(-579),
        end=years(start, 3),
        fee="9200.00",
        tags=("GDPR", "DORA", "SOX"),
        structure=Structure.SCHEDULE,
        master="msa-globex",
        reason="Globex ERP connected over host-to-host",
    )
    t.review("sch-globex-h2h", submit=-590, approve=-583)
    t.activate("sch-globex-h2h", day=-579, reason="ERP connection certified")
    t.link(
        "sch-globex-h2h",
        "uc-swiftlink",
        "swift-gateway",
        day=-575,
        reason="Cross-border payments leave through the SwiftLink bureau",
    )
    sla(
        "sch-globex-fx",
        day=-35,
        title="Schedule 3: FX trading (Globex Logistics)",
        customer="globex-logistics",
        region=EU,
        services=["fx-trading"],
        summary="Streaming FX prices 99.95 % in trading hours; trade confirmations within "
        "60 seconds.",
        start=s(30),
        end=years(start, 3),
        fee="4000.00",
        tags=("GDPR", "DORA"),
        structure=Structure.SCHEDULE,
        master="msa-globex",
        reason="Globex hedges its freight costs with the bank",
    )
    t.review("sch-globex-fx", submit=-25, missing=["legal"])

    # --- Northwind Shipping (US): master with two schedules, one approved for next month.
    start = s(-455)
    sla(
        "msa-northwind",
        day=-480,
        title="Master services agreement: Northwind Shipping",
        customer="northwind-shipping",
        region=US,
        summary="General terms for services to Northwind under New York law.",
        start=start,
        review=ReviewCycle.ANNUAL,
        tags=("SOX", "CCPA"),
        structure=Structure.MASTER,
        sign=owners_and_legal,
        reason="Northwind opens its US operating accounts with the bank",
    )
    t.review("msa-northwind", submit=-470, approve=-460)
    t.activate("msa-northwind", day=-455, reason="Master agreement executed")
    sla(
        "sch-northwind-trade",
        day=-470,
        title="Schedule 1: trade finance (Northwind Shipping)",
        customer="northwind-shipping",
        region=US,
        services=["trade-finance"],
        summary="Letters of credit issued within 1 business day of a complete application.",
        start=s(-450),
        fee="5400.00",
        hours="business-hours-eu",
        tags=("SOX",),
        structure=Structure.SCHEDULE,
        master="msa-northwind",
        reason="Trade finance for Northwind's container purchases",
    )
    t.review("sch-northwind-trade", submit=-462, approve=-457)
    t.activate("sch-northwind-trade", day=-450, reason="First letter of credit requested")
    sla(
        "sch-northwind-api",
        day=-50,
        title="Schedule 2: corporate API banking (Northwind Shipping)",
        customer="northwind-shipping",
        region=US,
        services=["corporate-api-banking"],
        summary="Balance and payment APIs 99.9 % per month, p95 latency under 500 ms.",
        start=s(14),
        fee="3800.00",
        tags=("SOX", "CCPA"),
        structure=Structure.SCHEDULE,
        master="msa-northwind",
        reason="Northwind's treasury system integrates by API",
    )
    t.review("sch-northwind-api", submit=-40, approve=-5)

    # --- Atlas Pharma (US): renegotiated cash management; host-to-host sent back once.
    start = s(-516)
    sla(
        "sla-atlas-cash",
        day=-540,
        title="Cash management portal: Atlas Pharma",
        customer="atlas-pharma",
        region=US,
        services=["cash-management-portal"],
        summary="Portal 99.9 % per month; support 08:00-18:00 Dublin time on business days.",
        start=start,
        end=years(start, 2),
        hours="business-hours-eu",
        fee="5900.00",
        tags=("SOX", "HIPAA"),
        reason="Atlas moves its European cash pooling to the bank",
    )
    t.review("sla-atlas-cash", submit=-530, approve=-520)
    t.activate("sla-atlas-cash", day=-516, reason="Atlas treasury onboarded")
    renewed = s(-112)
    v2 = t.revise(
        "sla-atlas-cash",
        day=-140,
        terms={
            "term_start": renewed,
            "term_end": years(renewed, 2),
            "supported_hours": "24x7",
            "fee_amount": Decimal("7400.00"),
            "summary": "Portal 99.9 % per month; support around the clock for the US treasury "
            "close.",
        },
        reason="Mid-term renegotiation: round-the-clock support for the US close",
    )
    t.review("sla-atlas-cash", v2, submit=-130, approve=-118)
    t.activate(
        "sla-atlas-cash", v2, day=-112, supersede=True, reason="Extended support hours start"
    )
    sla(
        "sla-atlas-h2h",
        day=-60,
        title="Host-to-host payments: Atlas Pharma",
        customer="atlas-pharma",
        region=US,
        services=["host-to-host-payments"],
        summary="Payment files acknowledged within 5 minutes; status reports within 15 minutes.",
        start=s(30),
        end=years(s(30), 2),
        fee="8100.00",
        tags=("SOX",),
        reason="Atlas connects its ERP over host-to-host",
    )
    t.review("sla-atlas-h2h", submit=-45, missing=["customer_owner", "legal"])
    t.send_back(
        "sla-atlas-h2h",
        1,
        day=-40,
        reason="Legal: the liability cap must follow the group standard wording",
    )
    t.edit(
        "sla-atlas-h2h",
        1,
        day=-36,
        terms={
            "internal_notes": "Liability cap aligned with the group standard (12 months of fees).",
        },
        reason="Liability cap wording aligned with legal's standard",
    )
    t.review("sla-atlas-h2h", submit=-33, missing=["legal"])

    # --- Helios Energy: FX; fax instructions retired.
    sla(
        "sla-helios-fx",
        day=-500,
        title="FX trading: Helios Energy",
        customer="helios-energy",
        region=EU,
        services=["fx-trading"],
        summary="Streaming FX prices 99.95 % in trading hours; trade confirmations within "
        "60 seconds.",
        start=s(-478),
        fee="5000.00",
        tags=("GDPR", "DORA"),
        reason="Helios hedges its gas purchases in USD",
    )
    t.review("sla-helios-fx", submit=-492, approve=-484)
    t.activate("sla-helios-fx", day=-478, reason="Trading lines opened")
    sla(
        "sla-helios-fax",
        day=-700,
        title="Fax payment instructions: Helios Energy",
        customer="helios-energy",
        region=EU,
        services=["legacy-fax-instructions"],
        summary="Fax instructions verified by call-back and executed within 2 business hours.",
        start=s(-686),
        hours="business-hours-eu",
        review=ReviewCycle.ANNUAL,
        fee="650.00",
        reason="Existing arrangement formalised",
    )
    t.review("sla-helios-fax", submit=-694, approve=-690)
    t.activate("sla-helios-fax", day=-686, reason="Terms in force")
    t.sunset(
        "sla-helios-fax",
        day=-95,
        reason="Helios moved to host-to-host; fax instructions no longer accepted",
    )

    # --- Orion Asset Management (US): liquidity reporting expired, analytics hosted on Nimbus.
    start = s(-455)
    sla(
        "sla-orion-liquidity",
        day=-470,
        title="Liquidity reporting: Orion Asset Management",
        customer="orion-asset-management",
        region=US,
        services=["liquidity-reporting"],
        summary="Intraday positions refreshed every 15 minutes; end-of-day report by 07:00 ET.",
        start=start,
        end=s(-90),
        fee="2900.00",
        tags=("SOX",),
        reason="Orion's middle office takes the bank's liquidity feed",
        notes="Orion moved its reporting in-house; not renewed.",
    )
    t.review("sla-orion-liquidity", submit=-464, approve=-459)
    t.activate("sla-orion-liquidity", day=-455, reason="Feed certified")
    t.expiry_job(-89, expect=[("sla-orion-liquidity", 1)])

    start = s(-405)
    t.agreement(
        "uc-nimbus-us",
        day=-420,
        kind=UC,
        title="Nimbus Cloud: analytics hosting (US)",
        unit=CORPORATE,
        vendor="nimbus-cloud",
        region=US,
        terms=terms(
            UC,
            summary="Analytics cluster 99.9 % per month in us-east.",
            services=["treasury-analytics"],
            start=start,
            end=years(start, 2),
            jurisdiction="US-NY",
            fee="7300.00",
            currency="USD",
            legal=refs.legal(start),
            purchase=refs.purchase(start),
            tags=("SOC2", "CCPA"),
            sign=(SignOffRole.PROCUREMENT,),
        ),
        reason="Hosting for US treasury analytics (no EU personal data)",
    )
    t.review("uc-nimbus-us", submit=-416, approve=-412)
    t.activate("uc-nimbus-us", day=-405, reason="Cluster provisioned")
    sla(
        "sla-orion-analytics",
        day=-400,
        title="Treasury analytics: Orion Asset Management",
        customer="orion-asset-management",
        region=US,
        services=["treasury-analytics"],
        summary="Dashboards available 99 % in business hours; forecasts refreshed daily.",
        start=s(-388),
        hours="business-hours-eu",
        review=ReviewCycle.SEMIANNUAL,
        fee="1200.00",
        tags=("SOX",),
        reason="Orion subscribes to the analytics dashboards",
    )
    t.review("sla-orion-analytics", submit=-396, approve=-392)
    t.activate("sla-orion-analytics", day=-388, reason="Dashboards opened to Orion")
    t.link(
        "sla-orion-analytics",
        "uc-nimbus-us",
        "treasury-analytics",
        day=-385,
        reason="The analytics cluster is hosted by Nimbus in us-east",
    )

    # --- OLA from corporate banking to retail banking, and one the other way round.
    start = s(-500)
    t.agreement(
        "ola-fx-retail",
        day=-520,
        kind=OLA,
        title="FX rates for Retail Banking",
        unit=CORPORATE,
        consumer=RETAIL,
        region=EU,
        terms=terms(
            OLA,
            summary="Retail FX rates published every 60 seconds in trading hours and frozen "
            "rates at weekends.",
            services=["fx-trading"],
            start=start,
            review=ReviewCycle.SEMIANNUAL,
            legal=refs.legal(start),
            tags=("GDPR",),
        ),
        reason="Retail card and transfer FX rates come from the corporate dealing desk",
    )
    t.review("ola-fx-retail", submit=-514, approve=-506)
    t.activate("ola-fx-retail", day=-500, reason="Rates feed in production")

    start = s(-540)
    t.agreement(
        "ola-cards-corporate",
        day=-560,
        kind=OLA,
        title="Corporate card issuing for Corporate Banking",
        unit=RETAIL,
        consumer=CORPORATE,
        region=EU,
        terms=terms(
            OLA,
            summary="Corporate cards issued within 5 business days; blocks applied within "
            "1 minute.",
            services=["card-management"],
            start=start,
            legal=refs.legal(start),
            tags=("PCI-DSS", "GDPR"),
        ),
        reason="Corporate clients' cards are issued on the retail card platform",
    )
    t.review("ola-cards-corporate", submit=-554, approve=-546)
    t.activate("ola-cards-corporate", day=-540, reason="Corporate card programme launched")

    # --- In drafting: CDN for the corporate portal.
    start = s(45)
    t.agreement(
        "uc-fastedge-corporate",
        day=-12,
        kind=UC,
        title="FastEdge: CDN and WAF for the cash management portal",
        unit=CORPORATE,
        vendor="fastedge-cdn",
        region=EU,
        terms=terms(
            UC,
            summary="Edge availability 99.99 % per month for the corporate portal.",
            services=["cash-management-portal"],
            start=start,
            fee="6200.00",
            purchase=refs.purchase(start),
            tags=("GDPR", "DORA"),
            sign=(SignOffRole.PROCUREMENT, SignOffRole.SECURITY),
        ),
        reason="Put the corporate portal behind the CDN before the peak season",
    )
    t.edit(
        "uc-fastedge-corporate",
        1,
        day=-9,
        terms={"fee_amount": Decimal("5850.00")},
        reason="Vendor's revised quote",
    )
