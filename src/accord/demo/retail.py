"""Retail banking's history: vendor contracts (card network, CDN, SMS, archive) and SLAs with
fintech partners, merchants, a credit union and an insurer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from accord.agreements.enums import ReviewCycle, SignOffRole
from accord.demo.organisation import EU, EXTERNAL_CONTACT, RETAIL
from accord.demo.terms import SLA, UC, References, terms, years
from accord.demo.timeline import Timeline


def schedule(t: Timeline, refs: References) -> None:
    s = t.day

    def uc(
        handle: str,
        *,
        day: int,
        title: str,
        vendor: str,
        services: list[str],
        summary: str,
        start: date,
        end: date | None,
        fee: str,
        tags: Sequence[str],
        sign: Sequence[SignOffRole],
        include: Sequence[str] = (),
        notes: str = "",
    ) -> None:
        t.agreement(
            handle,
            day=day,
            kind=UC,
            title=title,
            unit=RETAIL,
            vendor=vendor,
            region=EU,
            terms=terms(
                UC,
                summary=summary,
                services=services,
                start=start,
                end=end,
                fee=fee,
                legal=refs.legal(start),
                purchase=refs.purchase(start),
                tags=tags,
                include=include,
                sign=sign,
                notes=notes,
            ),
            reason=f"Underpinning contract with {vendor}",
        )

    def sla(
        handle: str,
        *,
        day: int,
        title: str,
        customer: str,
        services: list[str],
        summary: str,
        start: date,
        end: date | None = None,
        fee: str | None = None,
        hours: str = "24x7",
        review: ReviewCycle = ReviewCycle.QUARTERLY,
        tags: Sequence[str] = ("GDPR",),
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        responsibilities: Sequence[str] = (),
        sign: Sequence[SignOffRole] = (),
        notes: str = "",
        reason: str,
    ) -> None:
        t.agreement(
            handle,
            day=day,
            kind=SLA,
            title=title,
            unit=RETAIL,
            customer=customer,
            region=EU,
            terms=terms(
                SLA,
                summary=summary,
                services=services,
                start=start,
                end=end,
                hours=hours,
                review=review,
                fee=fee,
                legal=refs.legal(start),
                tags=tags,
                include=include,
                exclude=exclude,
                responsibilities=responsibilities,
                sign=sign,
                notes=notes,
            ),
            reason=reason,
        )

    # --- Vendors of retail banking.
    start = s(-760)
    uc(
        "uc-bulkmsg",
        day=-770,
        title="BulkMsg: SMS delivery of SCA passcodes",
        vendor="bulkmsg-sms",
        services=["sca-otp-delivery"],
        summary="95 % of passcodes delivered within 10 seconds, 99.5 % gateway availability.",
        start=start,
        end=s(-200),
        fee="9800.00",
        tags=("GDPR",),
        sign=(SignOffRole.PROCUREMENT,),
        notes="Not renewed: delivery times missed in 5 of 12 months.",
    )
    t.review("uc-bulkmsg", submit=-766, approve=-762)
    t.activate("uc-bulkmsg", day=-760, reason="Existing SMS supplier, contract formalised")
    t.expiry_job(-199, expect=[("uc-bulkmsg", 1)])

    start = s(-733)
    uc(
        "uc-ironvault",
        day=-745,
        title="IronVault: cheque image archive",
        vendor="ironvault-archive",
        services=["cheque-imaging"],
        summary="Cheque images retrievable within 4 business hours, retained for 10 years.",
        start=start,
        end=s(-60),
        fee="4200.00",
        tags=("GDPR",),
        sign=(SignOffRole.PROCUREMENT,),
    )
    t.review("uc-ironvault", submit=-741, approve=-737)
    t.activate("uc-ironvault", day=-733, reason="Archive contract in force")

    start = s(-708)
    uc(
        "uc-meridian",
        day=-730,
        title="Meridian: card network processing",
        vendor="meridian-card-network",
        services=["card-authorisation"],
        summary="Authorisation switch 99.99 % per month, p99 network latency under 300 ms.",
        start=start,
        end=None,
        fee="38000.00",
        tags=("PCI-DSS", "GDPR", "DORA"),
        sign=(SignOffRole.PROCUREMENT, SignOffRole.SECURITY),
        include=["Scheme stand-in processing when the bank's host is unavailable"],
        notes="Monthly processing minimum; scheme fees per authorisation are invoiced on top.",
    )
    t.review("uc-meridian", submit=-722, approve=-712)
    t.activate("uc-meridian", day=-708, reason="Scheme membership agreement signed")

    start = s(-618)
    uc(
        "uc-fastedge",
        day=-640,
        title="FastEdge: CDN and web application firewall for digital channels",
        vendor="fastedge-cdn",
        services=["online-banking-web", "mobile-banking"],
        summary="Edge availability 99.99 % per month; DDoS mitigation within 10 seconds.",
        start=start,
        end=None,
        fee="14500.00",
        tags=("GDPR", "PCI-DSS", "DORA"),
        sign=(SignOffRole.PROCUREMENT, SignOffRole.SECURITY),
    )
    t.review("uc-fastedge", submit=-632, approve=-622)
    t.activate("uc-fastedge", day=-618, reason="Digital channels moved behind the CDN")

    start = s(-276)
    uc(
        "uc-textwave",
        day=-300,
        title="Textwave: SMS passcodes and notifications",
        vendor="textwave-sms",
        services=["sca-otp-delivery", "customer-notifications"],
        summary="99 % of passcodes delivered within 5 seconds; two independent carrier routes.",
        start=start,
        end=years(start, 2),
        fee="12750.00",
        tags=("GDPR", "DORA"),
        sign=(SignOffRole.PROCUREMENT, SignOffRole.SECURITY),
    )
    t.review("uc-textwave", submit=-292, approve=-282)
    t.activate("uc-textwave", day=-276, reason="Replaces BulkMsg for passcodes")

    # --- BrightPay: BaaS partner, renegotiated; its operations head reads the SLA in the portal.
    sla(
        "sla-brightpay-baas",
        day=-640,
        title="Banking-as-a-service accounts API: BrightPay",
        customer="brightpay",
        services=["baas-accounts-api", "sca-otp-delivery"],
        summary="Accounts API 99.9 % per month, p95 latency under 400 ms; passcodes delivered "
        "within 10 seconds.",
        start=s(-620),
        fee="18000.00",
        tags=("GDPR", "DORA"),
        responsibilities=["Pass the bank's annual partner security assessment"],
        exclude=["Availability of BrightPay's own app and back end"],
        sign=(SignOffRole.LEGAL,),
        reason="BrightPay launch on the BaaS platform",
    )
    t.review("sla-brightpay-baas", submit=-632, approve=-626)
    t.activate("sla-brightpay-baas", day=-620, reason="BrightPay goes live")
    t.person(-619, 10, EXTERNAL_CONTACT)
    t.contact(-619, 11, "brightpay", RETAIL, EXTERNAL_CONTACT.name)
    t.link(
        "sla-brightpay-baas",
        "uc-bulkmsg",
        "sca-otp-delivery",
        day=-615,
        reason="Passcodes are sent through BulkMsg",
    )
    t.link(
        "sla-brightpay-baas",
        "uc-textwave",
        "sca-otp-delivery",
        day=-270,
        reason="Passcode traffic moved to Textwave",
    )
    t.unlink(
        "sla-brightpay-baas",
        "uc-bulkmsg",
        "sca-otp-delivery",
        day=-268,
        reason="BulkMsg carries no more BrightPay traffic; its contract runs out",
    )
    v2 = t.revise(
        "sla-brightpay-baas",
        day=-180,
        terms={
            "term_start": s(-150),
            "summary": "Accounts API 99.95 % per month, p95 latency under 300 ms; passcodes "
            "delivered within 5 seconds.",
            "fee_amount": Decimal("21500.00"),
            "internal_notes": "Volume tripled; BrightPay accepted the fee uplift for the higher "
            "target. Credits capped at 15 % of the monthly fee.",
        },
        reason="Annual renegotiation: higher availability target and fee indexation",
    )
    t.review("sla-brightpay-baas", v2, submit=-172, approve=-160)
    t.activate(
        "sla-brightpay-baas", v2, day=-150, supersede=True, reason="Renegotiated terms in force"
    )

    sla(
        "sla-brightpay-instant",
        day=-60,
        title="Instant payments (SEPA Inst): BrightPay",
        customer="brightpay",
        services=["retail-payments"],
        summary="SEPA Instant credit transfers executed within 10 seconds for 99.9 % of "
        "payments, 24x7x365.",
        start=s(20),
        end=years(s(20), 2),
        fee="9500.00",
        tags=("GDPR", "DORA"),
        reason="BrightPay adds instant payments to its app",
    )
    t.review("sla-brightpay-instant", submit=-48, approve=-10)

    # --- Aurora Retail Group: merchant acquiring and cards.
    start = s(-678)
    sla(
        "sla-aurora-acquiring",
        day=-700,
        title="Merchant card acquiring: Aurora Retail Group",
        customer="aurora-retail",
        services=["card-authorisation"],
        summary="Card authorisation 99.99 % per month, p99 response under 800 ms at the terminal.",
        start=start,
        end=years(start, 3),
        fee="26000.00",
        tags=("PCI-DSS", "GDPR"),
        responsibilities=["Keep terminals on a PCI-approved software version"],
        sign=(SignOffRole.SECURITY,),
        reason="Aurora moves its acquiring to the bank",
    )
    t.review("sla-aurora-acquiring", submit=-692, approve=-682)
    t.activate("sla-aurora-acquiring", day=-678, reason="Acquiring migration complete")
    t.link(
        "sla-aurora-acquiring",
        "uc-meridian",
        "card-authorisation",
        day=-676,
        reason="Authorisations route through the Meridian network",
    )

    start = s(-730)
    sla(
        "sla-aurora-cheques",
        day=-742,
        title="Cheque imaging and clearing: Aurora Retail Group",
        customer="aurora-retail",
        services=["cheque-imaging"],
        summary="Cheques imaged and presented for clearing by the next business day.",
        start=start,
        end=s(-60),
        hours="business-hours-eu",
        review=ReviewCycle.ANNUAL,
        fee="1500.00",
        reason="Store cheque deposits for Aurora's stores",
        notes="Not renewed: cheque volumes fell 80 %; the service is being wound down.",
    )
    t.review("sla-aurora-cheques", submit=-738, approve=-734)
    t.activate("sla-aurora-cheques", day=-730, reason="Terms in force")
    t.link(
        "sla-aurora-cheques",
        "uc-ironvault",
        "cheque-imaging",
        day=-728,
        reason="Images are archived at IronVault",
    )
    t.expiry_job(-59, expect=[("sla-aurora-cheques", 1), ("uc-ironvault", 1)])

    start = s(-545)
    sla(
        "sla-aurora-cards",
        day=-560,
        title="Card management portal: Aurora Retail Group",
        customer="aurora-retail",
        services=["card-management"],
        summary="Portal availability 99.5 % in business hours; card blocks applied within "
        "1 minute around the clock.",
        start=start,
        end=years(start, 1),
        hours="business-hours-eu",
        fee="3200.00",
        reason="Aurora manages its staff cards in the portal",
    )
    t.review("sla-aurora-cards", submit=-554, approve=-550)
    t.activate("sla-aurora-cards", day=-545, reason="Portal access granted")
    t.expiry_job(-179, expect=[("sla-aurora-cards", 1)])
    renewed = s(-146)
    v2 = t.revise(
        "sla-aurora-cards",
        day=-170,
        terms={
            "term_start": renewed,
            "term_end": years(renewed, 2),
            "internal_notes": "The term lapsed while the renewal sat with Aurora's procurement; "
            "renewed for two years.",
        },
        reason="Renewal after the term lapsed",
    )
    t.review("sla-aurora-cards", v2, submit=-160, approve=-150)
    t.activate("sla-aurora-cards", v2, day=-146, reason="Renewed term in force")

    # --- Coastal Credit Union: white-label digital banking; IVR retired.
    sla(
        "sla-coastal-digital",
        day=-610,
        title="White-label mobile and online banking: Coastal Credit Union",
        customer="coastal-credit-union",
        services=["mobile-banking", "online-banking-web"],
        summary="Mobile and web banking 99.95 % per month; P1 restored within 2 hours.",
        start=s(-588),
        fee="42000.00",
        tags=("GDPR", "DORA", "PCI-DSS"),
        responsibilities=["Provide branded assets and app store accounts 30 days before release"],
        reason="Coastal replaces its in-house digital banking",
    )
    t.review("sla-coastal-digital", submit=-602, approve=-592)
    t.activate("sla-coastal-digital", day=-588, reason="Coastal members migrated")
    for service in ("online-banking-web", "mobile-banking"):
        t.link(
            "sla-coastal-digital",
            "uc-fastedge",
            service,
            day=-585,
            reason="Traffic is served through the FastEdge CDN and WAF",
        )
    # The platform team's OLAs underpin what both apps rely on (mobile and web banking depend
    # on identity and the core ledger in the dependency graph).
    t.link(
        "sla-coastal-digital",
        "ola-identity-retail",
        "identity-platform",
        day=-584,
        reason="Member sign-in runs on the platform identity service",
    )
    t.link(
        "sla-coastal-digital",
        "ola-core-retail",
        "core-ledger",
        day=-584,
        reason="Balances and postings come from the core ledger",
    )
    v2 = t.revise(
        "sla-coastal-digital",
        day=-20,
        terms={
            "term_start": s(60),
            "summary": "Mobile and web banking 99.95 % per month; open-banking consent "
            "dashboard included; P1 restored within 1 hour.",
        },
        reason="Renegotiation opened: consent dashboard and faster P1 restoration",
    )
    t.edit(
        "sla-coastal-digital",
        v2,
        day=-14,
        terms={
            "fee_amount": Decimal("46500.00"),
            "internal_notes": "Draft fee after the first negotiation round; credits "
            "still under discussion.",
        },
        reason="First negotiation round with Coastal",
    )

    start = s(-763)
    sla(
        "sla-coastal-ivr",
        day=-775,
        title="Telephone banking (IVR): Coastal Credit Union",
        customer="coastal-credit-union",
        services=["legacy-ivr-banking"],
        summary="IVR available 99.5 % per month outside the nightly batch window.",
        start=start,
        review=ReviewCycle.ANNUAL,
        fee="2100.00",
        reason="Existing service, agreement formalised",
    )
    t.review("sla-coastal-ivr", submit=-771, approve=-767)
    t.activate("sla-coastal-ivr", day=-763, reason="Terms in force")
    t.sunset(
        "sla-coastal-ivr",
        day=-210,
        reason="IVR replaced by in-app voice banking; Coastal notified 90 days ahead",
    )

    # --- Greenleaf Insurance: in review and in drafting.
    sla(
        "sla-greenleaf-premiums",
        day=-45,
        title="Premium collection by instant payment: Greenleaf Insurance",
        customer="greenleaf-insurance",
        services=["retail-payments"],
        summary="Premium collections executed within 10 seconds for 99.9 % of payments; "
        "daily reconciliation file by 06:00 CET.",
        start=s(45),
        end=years(s(45), 3),
        fee="7800.00",
        tags=("GDPR",),
        reason="Greenleaf tender won by the payments team",
    )
    t.review("sla-greenleaf-premiums", submit=-30, missing=["legal"])

    sla(
        "sla-greenleaf-marketplace",
        day=-8,
        title="Savings marketplace listing: Greenleaf Insurance",
        customer="greenleaf-insurance",
        services=["savings-marketplace"],
        summary="Product listings available 99 % in business hours; rate changes published "
        "within 1 business day.",
        start=s(30),
        hours="business-hours-eu",
        review=ReviewCycle.ANNUAL,
        reason="Greenleaf lists its savings products in the app",
    )
