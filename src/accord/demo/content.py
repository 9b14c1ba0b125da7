"""The demo portfolio: Lakeside Bank, two years of service agreements.

Three business units (retail banking, corporate banking, platform engineering) in two regions
(eu-west under Irish law with data residency, us-east without). Platform engineering runs the
shared services everything else depends on and commits to the other units in OLAs; it buys cloud,
core-banking support and a managed SOC from vendors (UCs). Retail and corporate banking serve
business customers under SLAs, some monolithic, some as schedules under a master agreement, and
buy their own vendor services (card network, CDN, SMS, SWIFT bureau).

The script runs from about 26 months ago to yesterday: set-up, catalogue, first agreements 24-18
months ago, renegotiations, renewals, expiries and sunsets since, and a pipeline of drafts and
reviews today. Day numbers are offsets from today.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from accord.agreements.enums import AgreementKind, FeePeriod, ReviewCycle, SignOffRole, Structure
from accord.catalogue.enums import Criticality, DependencyKind, Lifecycle
from accord.catalogue.schemas import CustomerCreate, RegionCreate, VendorCreate
from accord.demo.timeline import ADMIN, LOADER, Person, Timeline, UnitStaff
from accord.identity.enums import PrincipalKind, Role

RETAIL = "retail-banking"
CORPORATE = "corporate-banking"
PLATFORM = "platform-engineering"
EU = "eu-west"
US = "us-east"
_MAIL = "lakeside-bank.example"

SLA, OLA, UC = AgreementKind.SLA, AgreementKind.OLA, AgreementKind.UC
C, H, M, L = Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM, Criticality.LOW


def _staff_member(name: str, display: str, *grants: tuple[Role, str | None]) -> Person:
    return Person(name, display, f"{name.replace('-', '.')}@{_MAIL}", tuple(grants))


PEOPLE: tuple[Person, ...] = (
    _staff_member("eleanor-price", "Eleanor Price, Group Legal Counsel", (Role.APPROVER, None)),
    _staff_member("oliver-grant", "Oliver Grant, Head of Procurement", (Role.APPROVER, None)),
    _staff_member("yusuf-demir", "Yusuf Demir, Group CISO", (Role.APPROVER, None)),
    _staff_member("isabel-santos", "Isabel Santos, Internal Audit", (Role.AUDITOR, None)),
    _staff_member(
        "chen-wei",
        "Chen Wei, Service Level Manager (Platform)",
        (Role.EDITOR, PLATFORM),
    ),
    _staff_member(
        "grace-murphy", "Grace Murphy, Head of Platform Engineering", (Role.APPROVER, PLATFORM)
    ),
    _staff_member("ahmed-hassan", "Ahmed Hassan, SRE Lead", (Role.APPROVER, PLATFORM)),
    _staff_member("kofi-mensah", "Kofi Mensah, Payments Platform Owner", (Role.VIEWER, PLATFORM)),
    _staff_member(
        "rachel-kim",
        "Rachel Kim, Service Level Manager (Retail)",
        (Role.EDITOR, RETAIL),
        (Role.VIEWER, PLATFORM),
    ),
    _staff_member(
        "tom-walsh", "Tom Walsh, Head of Retail Digital Channels", (Role.APPROVER, RETAIL)
    ),
    _staff_member("priya-nair", "Priya Nair, Retail Operations Director", (Role.APPROVER, RETAIL)),
    _staff_member("ana-ferreira", "Ana Ferreira, Retail Product Owner", (Role.VIEWER, RETAIL)),
    _staff_member(
        "marco-rossi",
        "Marco Rossi, Service Level Manager (Corporate)",
        (Role.EDITOR, CORPORATE),
        (Role.VIEWER, PLATFORM),
    ),
    _staff_member(
        "sofia-lindqvist", "Sofia Lindqvist, Head of Corporate Channels", (Role.APPROVER, CORPORATE)
    ),
    _staff_member(
        "david-okafor", "David Okafor, Client Service Director", (Role.APPROVER, CORPORATE)
    ),
    _staff_member(
        "james-oconnor", "James O'Connor, Corporate Product Owner", (Role.VIEWER, CORPORATE)
    ),
)
INGEST_SOURCE = Person(
    "prometheus-eu",
    "Prometheus (eu-west production)",
    None,
    ((Role.INGEST, PLATFORM),),
    kind=PrincipalKind.SOURCE,
)
EXTERNAL_CONTACT = Person(
    "nadia-kowalski",
    "Nadia Kowalski, Head of Operations, BrightPay",
    "nadia.kowalski@brightpay.example",
    ((Role.EXTERNAL, RETAIL),),
)

# slug, name, tier, criticality, owner, description
_SERVICES: dict[str, tuple[tuple[str, str, int, Criticality, str, str], ...]] = {
    PLATFORM: (
        ("kubernetes-platform", "Kubernetes platform", 1, C, "ahmed-hassan",
         "Managed Kubernetes clusters hosting every containerised workload."),
        ("object-storage", "Object storage", 2, H, "ahmed-hassan",
         "S3-compatible storage for documents, backups and logs."),
        ("postgres-dbaas", "PostgreSQL database service", 1, C, "ahmed-hassan",
         "Managed PostgreSQL with point-in-time recovery (RPO 5 min, RTO 1 h)."),
        ("secrets-vault", "Secrets vault", 1, C, "grace-murphy",
         "HSM-backed secrets and key management."),
        ("messaging-bus", "Messaging bus", 1, C, "ahmed-hassan",
         "Kafka event streaming between channels and the core."),
        ("identity-platform", "Identity and SSO", 1, C, "grace-murphy",
         "Customer and staff authentication, SSO and strong customer authentication."),
        ("core-ledger", "Core ledger", 1, C, "kofi-mensah",
         "The bank's book of record for accounts and balances."),
        ("payments-core", "Payments core", 1, C, "kofi-mensah",
         "Payment orchestration: SEPA, SEPA Instant, SWIFT and card settlement."),
        ("api-gateway", "API gateway", 1, C, "grace-murphy",
         "External and partner API entry point with rate limiting and consent checks."),
        ("observability-stack", "Observability stack", 2, H, "ahmed-hassan",
         "Metrics, logs and traces for every production service."),
        ("security-monitoring", "Security monitoring (SIEM)", 2, H, "grace-murphy",
         "SIEM and 24x7 security operations, partly outsourced to a managed SOC."),
        ("ci-cd-pipeline", "CI/CD pipeline", 3, M, "ahmed-hassan",
         "Build, test and deployment pipelines."),
        ("legacy-mainframe-batch", "Mainframe batch", 2, H, "kofi-mensah",
         "Nightly mainframe batch for corporate liquidity; migrated to ledger streaming."),
    ),
    RETAIL: (
        ("sca-otp-delivery", "SCA one-time passcodes", 2, H, "tom-walsh",
         "Delivery of one-time passcodes for strong customer authentication (PSD2)."),
        ("customer-notifications", "Customer notifications", 3, M, "ana-ferreira",
         "SMS, e-mail and push notifications to retail customers."),
        ("mobile-banking", "Mobile banking app", 1, C, "ana-ferreira",
         "iOS and Android banking apps, including white-label builds for partners."),
        ("online-banking-web", "Online banking (web)", 1, C, "ana-ferreira",
         "Browser-based retail online banking."),
        ("card-authorisation", "Card authorisation", 1, C, "priya-nair",
         "Real-time authorisation of debit and credit card transactions."),
        ("card-management", "Card management portal", 2, H, "priya-nair",
         "Card issuing, limits, blocking and replacement for cardholders and partners."),
        ("retail-payments", "Instant payments (SEPA Inst)", 1, C, "tom-walsh",
         "Retail credit transfers, SEPA Instant and standing orders."),
        ("mortgage-origination", "Mortgage origination", 3, M, "priya-nair",
         "Mortgage application, underwriting workflow and offers."),
        ("personal-loans", "Personal loans", 3, M, "priya-nair",
         "Unsecured lending: application, decisioning and servicing."),
        ("branch-teller", "Branch teller system", 2, H, "priya-nair",
         "Teller and counter services in branches."),
        ("atm-network", "ATM network", 2, H, "priya-nair",
         "ATM fleet management and switching."),
        ("baas-accounts-api", "Banking-as-a-service accounts API", 2, H, "tom-walsh",
         "Accounts, balances and payments API for fintech partners."),
        ("contact-centre-crm", "Contact centre CRM", 3, M, "ana-ferreira",
         "Case management for the retail contact centre."),
        ("savings-marketplace", "Savings marketplace", 4, L, "ana-ferreira",
         "Third-party savings and insurance products offered in the app."),
        ("legacy-ivr-banking", "Telephone banking (IVR)", 3, M, "tom-walsh",
         "Touch-tone telephone banking; replaced by in-app voice."),
        ("cheque-imaging", "Cheque imaging and clearing", 3, M, "priya-nair",
         "Cheque capture and image clearing; being wound down with the cheque."),
    ),
    CORPORATE: (
        ("swift-gateway", "SWIFT gateway", 1, C, "sofia-lindqvist",
         "SWIFT connectivity through a service bureau (FIN and ISO 20022 MX)."),
        ("legacy-edi-gateway", "EDI gateway", 3, M, "james-oconnor",
         "EDIFACT payment files for corporates; replaced by ISO 20022 host-to-host."),
        ("cash-management-portal", "Cash management portal", 1, C, "james-oconnor",
         "Corporate online banking: balances, payments, liquidity and user administration."),
        ("host-to-host-payments", "Host-to-host payments", 1, C, "sofia-lindqvist",
         "ISO 20022 payment files and status reports exchanged with client ERPs."),
        ("fx-trading", "FX trading", 1, C, "david-okafor",
         "Spot and forward FX pricing and execution for corporate clients."),
        ("trade-finance", "Trade finance", 2, H, "david-okafor",
         "Letters of credit, guarantees and documentary collections."),
        ("corporate-api-banking", "Corporate API banking", 2, H, "james-oconnor",
         "Real-time balances and payment initiation APIs for corporate treasuries."),
        ("liquidity-reporting", "Liquidity reporting", 3, M, "david-okafor",
         "Intraday and end-of-day liquidity positions for treasurers."),
        ("treasury-analytics", "Treasury analytics", 4, L, "james-oconnor",
         "Dashboards and cash-flow forecasting for corporate treasurers (hosted in the US)."),
        ("legacy-fax-instructions", "Fax payment instructions", 3, M, "sofia-lindqvist",
         "Payment instructions received by fax with call-back verification; being retired."),
    ),
}  # fmt: skip
_CMDB_PREFIX = {PLATFORM: "PLT", RETAIL: "RTL", CORPORATE: "CIB"}

# service → (hard dependencies, soft dependencies)
_DEPENDENCIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("postgres-dbaas", ("kubernetes-platform",), ("object-storage",)),
    ("secrets-vault", ("kubernetes-platform",), ()),
    ("messaging-bus", ("kubernetes-platform",), ()),
    ("identity-platform", ("postgres-dbaas", "kubernetes-platform", "secrets-vault"), ()),
    ("core-ledger", ("postgres-dbaas", "messaging-bus"), ()),
    (
        "payments-core",
        ("core-ledger", "messaging-bus", "kubernetes-platform", "postgres-dbaas", "secrets-vault"),
        (),
    ),
    ("api-gateway", ("kubernetes-platform", "identity-platform"), ()),
    ("observability-stack", ("kubernetes-platform", "object-storage"), ()),
    ("security-monitoring", (), ("observability-stack",)),
    ("ci-cd-pipeline", ("kubernetes-platform",), ("object-storage",)),
    ("sca-otp-delivery", ("messaging-bus", "secrets-vault"), ()),
    ("customer-notifications", ("messaging-bus",), ()),
    (
        "mobile-banking",
        ("identity-platform", "api-gateway", "payments-core", "core-ledger", "sca-otp-delivery"),
        ("customer-notifications",),
    ),
    (
        "online-banking-web",
        ("identity-platform", "api-gateway", "core-ledger", "sca-otp-delivery"),
        (),
    ),
    (
        "card-authorisation",
        ("payments-core", "core-ledger", "messaging-bus", "kubernetes-platform"),
        (),
    ),
    ("card-management", ("postgres-dbaas", "identity-platform"), ("card-authorisation",)),
    ("retail-payments", ("payments-core", "core-ledger", "messaging-bus"), ()),
    ("mortgage-origination", ("core-ledger", "postgres-dbaas", "identity-platform"), ()),
    ("personal-loans", ("core-ledger", "postgres-dbaas"), ()),
    ("branch-teller", ("core-ledger", "identity-platform"), ()),
    ("atm-network", ("card-authorisation", "core-ledger"), ()),
    (
        "baas-accounts-api",
        ("api-gateway", "core-ledger", "payments-core", "identity-platform"),
        (),
    ),
    ("contact-centre-crm", ("identity-platform", "postgres-dbaas"), ()),
    ("savings-marketplace", ("api-gateway", "core-ledger"), ()),
    ("legacy-ivr-banking", ("core-ledger",), ()),
    ("cheque-imaging", ("object-storage", "core-ledger"), ()),
    ("swift-gateway", ("messaging-bus", "secrets-vault"), ()),
    (
        "cash-management-portal",
        ("identity-platform", "api-gateway", "core-ledger", "payments-core"),
        (),
    ),
    (
        "host-to-host-payments",
        ("swift-gateway", "payments-core", "messaging-bus", "legacy-edi-gateway"),
        (),
    ),
    ("fx-trading", ("core-ledger", "messaging-bus", "kubernetes-platform"), ()),
    ("trade-finance", ("core-ledger", "postgres-dbaas", "swift-gateway"), ()),
    ("corporate-api-banking", ("api-gateway", "payments-core", "identity-platform"), ()),
    ("liquidity-reporting", ("core-ledger", "legacy-mainframe-batch"), ()),
    ("treasury-analytics", ("object-storage",), ("liquidity-reporting",)),
    ("legacy-fax-instructions", ("payments-core",), ()),
)

# ---------------------------------------------------------------------------------- terms

_INCLUSIONS = {
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
_EXCLUSIONS = {
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
_RESPONSIBILITIES = {
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


class _References:
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


def _terms(
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
        "scope_inclusions": [*_INCLUSIONS[kind], *include],
        "scope_exclusions": [*_EXCLUSIONS[kind], *exclude],
        "supported_hours": hours,
        "customer_responsibilities": [*_RESPONSIBILITIES[kind], *responsibilities],
        "jurisdiction": jurisdiction,
        "review_cycle": review,
        "term_start": start,
        "term_end": end,
        "legal_reference": legal,
        "procurement_reference": purchase,
        "regulatory_tags": list(tags),
        "required_sign_offs": list(sign),
        "internal_notes": notes,
    }
    if fee is not None:
        terms.update(fee_amount=Decimal(fee), fee_currency=currency, fee_period=period)
    return terms


def _years(start: date, years: int) -> date:
    """The last day of a term of whole years (365 days each: terms are counted in days)."""
    return start + timedelta(days=365 * years - 1)


# --------------------------------------------------------------------------------- script


def script(t: Timeline) -> None:
    """Schedule the whole history on ``t`` (`Timeline.run` replays it in time order)."""
    _organisation(t)
    _catalogue(t)
    refs = _References()
    _platform_contracts(t, refs)
    _retail_agreements(t, refs)
    _corporate_agreements(t, refs)


def _organisation(t: Timeline) -> None:
    t.person(
        -800,
        9,
        Person(ADMIN, "Accord Administrator", f"accord-admin@{_MAIL}", ((Role.ADMIN, None),)),
        by=LOADER,
    )
    t.unit(-800, 10, PLATFORM, "Platform Engineering", "Shared infrastructure and core banking.")
    t.unit(-800, 10, RETAIL, "Retail Banking", "Personal banking, cards and fintech partners.")
    t.unit(-800, 10, CORPORATE, "Corporate Banking", "Cash management, payments, FX and trade.")
    t.region(-799, 10, RegionCreate(code=EU, name="EU West (Dublin)", jurisdiction="IE",
                                    data_residency=True))  # fmt: skip
    t.region(-799, 10, RegionCreate(code=US, name="US East (New York)", jurisdiction="US-NY"))
    for day, person in zip(range(-798, -790), _pairs(PEOPLE), strict=False):
        for p in person:
            t.person(day, 10, p)
    t.staff(PLATFORM, UnitStaff("chen-wei", ("grace-murphy", "ahmed-hassan")))
    t.staff(RETAIL, UnitStaff("rachel-kim", ("tom-walsh", "priya-nair")))
    t.staff(CORPORATE, UnitStaff("marco-rossi", ("sofia-lindqvist", "david-okafor")))
    t.signers(
        {
            SignOffRole.LEGAL: "eleanor-price",
            SignOffRole.PROCUREMENT: "oliver-grant",
            SignOffRole.SECURITY: "yusuf-demir",
        }
    )
    t.person(-700, 11, INGEST_SOURCE)
    vendors = (
        ("nimbus-cloud", "Nimbus Cloud Europe Ltd", "enterprise-support@nimbus-cloud.example"),
        ("ledgerworks", "LedgerWorks Core Banking Software", "support@ledgerworks.example"),
        ("bulkmsg-sms", "BulkMsg SMS Gateway", "accounts@bulkmsg.example"),
        ("ironvault-archive", "IronVault Archiving", "service@ironvault.example"),
        ("meridian-card-network", "Meridian Card Network", "members@meridian-cards.example"),
        ("swiftlink-bureau", "SwiftLink Service Bureau", "ops@swiftlink.example"),
        ("sentinel-mssp", "Sentinel Managed Security", "soc@sentinel-mssp.example"),
        ("fastedge-cdn", "FastEdge CDN and WAF", "enterprise@fastedge.example"),
        ("textwave-sms", "Textwave Messaging", "carrier-relations@textwave.example"),
    )
    for offset, (code, name, email) in enumerate(vendors):
        t.vendor(-789 + offset // 3, 14, VendorCreate(code=code, name=name, contact_email=email))


def _pairs(people: Sequence[Person]) -> list[tuple[Person, ...]]:
    return [tuple(people[i : i + 2]) for i in range(0, len(people), 2)]


def _catalogue(t: Timeline) -> None:
    day_of_unit = {PLATFORM: -786, RETAIL: -784, CORPORATE: -783}
    for unit, services in _SERVICES.items():
        for number, (slug, name, tier, criticality, owner, description) in enumerate(services):
            t.service(
                day_of_unit[unit],
                9 + number // 4,
                slug=slug,
                name=name,
                unit=unit,
                tier=tier,
                criticality=criticality,
                owner=owner,
                cmdb_ci_id=f"CI-{_CMDB_PREFIX[unit]}-{1001 + number}",
                description=description,
            )
    for slug, hard, soft in _DEPENDENCIES:
        if hard:
            t.depends(-782, 10, slug, hard)
        if soft:
            t.depends(-782, 10, slug, soft, kind=DependencyKind.SOFT, description="degrades only")
    customers = (
        (RETAIL, "brightpay", "BrightPay Ltd", EU, "operations@brightpay.example"),
        (RETAIL, "aurora-retail", "Aurora Retail Group", EU, "payments@aurora-retail.example"),
        (RETAIL, "coastal-credit-union", "Coastal Credit Union", EU, "it@coastal-cu.example"),
        (RETAIL, "greenleaf-insurance", "Greenleaf Insurance", EU, "finance@greenleaf.example"),
        (CORPORATE, "globex-logistics", "Globex Logistics plc", EU, "treasury@globex.example"),
        (CORPORATE, "northwind-shipping", "Northwind Shipping Inc.", US,
         "treasury@northwind.example"),
        (CORPORATE, "atlas-pharma", "Atlas Pharma Corp.", US, "cash.ops@atlas-pharma.example"),
        (CORPORATE, "helios-energy", "Helios Energy DAC", EU, "treasury@helios-energy.example"),
        (CORPORATE, "orion-asset-management", "Orion Asset Management LLC", US,
         "middle.office@orion-am.example"),
    )  # fmt: skip
    for unit, code, name, region, email in customers:
        t.customer(
            -781,
            11,
            CustomerCreate(
                code=code, name=name, business_unit=unit, region=region, contact_email=email
            ),
        )
    # Later changes to the catalogue: migrations off legacy systems, wind-downs.
    t.drop_dependency(-410, 15, "host-to-host-payments", "legacy-edi-gateway")
    t.lifecycle(-400, 15, "legacy-edi-gateway", Lifecycle.DECOMMISSIONED)
    t.drop_dependency(-340, 15, "liquidity-reporting", "legacy-mainframe-batch")
    t.lifecycle(-320, 15, "legacy-mainframe-batch", Lifecycle.DECOMMISSIONED)
    t.lifecycle(-205, 15, "legacy-ivr-banking", Lifecycle.DECOMMISSIONED)
    t.lifecycle(-120, 15, "cheque-imaging", Lifecycle.SUNSET)
    t.lifecycle(-100, 15, "legacy-fax-instructions", Lifecycle.SUNSET)


# ------------------------------------------------------------------- platform: UCs and OLAs


def _platform_contracts(t: Timeline, refs: _References) -> None:
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
        terms=_terms(
            UC,
            summary="Managed Kubernetes 99.95 %, managed PostgreSQL 99.95 %, object storage "
            "99.9 % per month, in the Dublin region only.",
            services=["kubernetes-platform", "postgres-dbaas", "object-storage"],
            start=start,
            end=_years(start, 3),
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
            "term_end": _years(renewed, 3),
            "fee_amount": Decimal("52500.00"),
            "regulatory_tags": ["GDPR", "ISO-27001", "SOC2", "DORA"],
            "scope_inclusions": [
                *_INCLUSIONS[UC],
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
        terms=_terms(
            UC,
            summary="24x7 severity 1 support for the core ledger and payments engine, "
            "emergency patches within 24 hours.",
            services=["core-ledger", "payments-core"],
            start=start,
            end=_years(start, 3),
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
            "term_end": _years(s(30), 3),
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
        terms=_terms(
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
            terms=_terms(
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
        end=_years(start, 1),
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


# ------------------------------------------------------------------------ retail banking


def _retail_agreements(t: Timeline, refs: _References) -> None:
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
            terms=_terms(
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
            terms=_terms(
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
        end=_years(start, 2),
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
        end=_years(s(20), 2),
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
        end=_years(start, 3),
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
        end=_years(start, 1),
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
            "term_end": _years(renewed, 2),
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
        end=_years(s(45), 3),
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


# ---------------------------------------------------------------------- corporate banking


def _corporate_agreements(t: Timeline, refs: _References) -> None:
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
            terms=_terms(
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
        terms=_terms(
            UC,
            summary="SWIFT connectivity 99.95 % per month; message acknowledgement within "
            "60 seconds; CSP attestation yearly.",
            services=["swift-gateway"],
            start=start,
            end=_years(start, 3),
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
        end=_years(start, 3),
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
        end=_years(start, 3),
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
        end=_years(start, 3),
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
        end=_years(start, 3),
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
        summary="Portal 99.9 % per month; support 07:00-19:00 CET on business days.",
        start=start,
        end=_years(start, 2),
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
            "term_end": _years(renewed, 2),
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
        end=_years(s(30), 2),
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
        terms=_terms(
            UC,
            summary="Analytics cluster 99.9 % per month in us-east.",
            services=["treasury-analytics"],
            start=start,
            end=_years(start, 2),
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
        terms=_terms(
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
        terms=_terms(
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
        terms=_terms(
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
