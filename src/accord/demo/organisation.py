"""Lakeside Bank's organisation and service catalogue: units, regions, people, vendors, services
with their dependency graph, customers, and the catalogue's later changes (migrations off legacy
systems, wind-downs)."""

from __future__ import annotations

from collections.abc import Sequence

from accord.agreements.enums import SignOffRole
from accord.calendars.schemas import CalendarCreate
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


def schedule(t: Timeline) -> None:
    _people_and_places(t)
    _catalogue(t)


def _people_and_places(t: Timeline) -> None:
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
    # Business hours of the European desks: two sessions a day, Irish public holidays.
    t.calendar(
        -799,
        11,
        CalendarCreate(
            code="business-hours-eu",
            name="Business hours, Dublin",
            time_zone="Europe/Dublin",
            week=[[("08:00", "12:30"), ("13:30", "18:00")]] * 5 + [[], []],
            holiday_country="IE",
        ),
    )
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
