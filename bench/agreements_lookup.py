"""Agreement lookups at scale: list by service, by customer and by status.

The issue's goal: with 100,000 agreements and 300,000 versions in PostgreSQL, p99 of a lookup
under 20 ms through the service layer. This benchmark

1. creates a fresh database ``accord_bench_<random>`` and builds the schema with the migrations;
2. bulk-loads a realistic, seeded portfolio with COPY (units, regions, customers, vendors,
   services, agreements, versions, covered services), then VACUUM ANALYZE. The load is *not*
   what is measured;
3. measures, interleaved in random order within every iteration,
   - the service layer: ``agreements_service.list_agreements`` (and ``get_agreement`` for the
     baseline), each in its own read unit of work, as a global admin and as a viewer of 2 units;
   - HTTP: ``GET /api/v1/agreements?service=…`` etc. against the real app (``accord serve`` in a
     subprocess) over one kept-alive connection, with bearer tokens of the same two principals;
4. prints p50/p99/max per lookup and its RATIO to the primary-key lookup of one agreement
   through the same layer as the same actor (the baseline, measured in the same run), writes
   everything to ``bench/results/agreements_lookup-<timestamp>.json`` and EXPLAIN ANALYZEs the
   key of every list lookup that spent the most time in SQL.

No timing is asserted anywhere: the machine is shared and noisy; read the ratios first.

    python bench/agreements_lookup.py                      # 100k agreements, 500 iterations
    python bench/agreements_lookup.py --agreements 2000    # smoke run (50 iterations), ~30 s
    python bench/agreements_lookup.py --ddl "CREATE INDEX …" --explain   # try an index
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import math
import os
import platform
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import psycopg
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from accord.agreements import service as agreements_service
from accord.agreements.enums import AgreementKind, Structure, VersionStatus
from accord.agreements.schemas import (
    AgreementFilter,
)
from accord.config import DatabaseSettings, TokenSettings
from accord.db import migrate
from accord.db.session import Database, create_database_engine
from accord.identity import service as identity_service
from accord.identity.enums import Role
from accord.identity.models import Principal
from accord.identity.rules import Actor, system_actor
from accord.identity.schemas import GrantCreate, PrincipalCreate, TokenCreate

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
GOAL_P99_MS = 20.0
SMOKE_BELOW = 10_000
"""Below this many agreements a run is a smoke run: fewer iterations by default."""
PAGE_LIMIT = 50
VERSIONS_PER_AGREEMENT = 3
SCOPED_UNITS = 2
"""The scoped actor is a viewer in the first two business units."""

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
"""The generated history ends here (fixed, so that a seed always yields the same data)."""
HISTORY_START = datetime(2019, 1, 1, tzinfo=UTC)
LOADER = "bench-loader"

LOOKUPS = ("pk", "service", "customer", "status")
"""``pk``: one agreement by key (the baseline); the others: the first page of the filtered list."""
LAYERS = ("service", "http")
ACTORS = ("admin", "scoped")

S = VersionStatus
VERSION_PATTERNS: tuple[tuple[float, tuple[VersionStatus, ...]], ...] = (
    (0.60, (S.SUPERSEDED, S.ACTIVE, S.DRAFT)),
    (0.15, (S.SUPERSEDED, S.SUPERSEDED, S.ACTIVE)),
    (0.10, (S.SUPERSEDED, S.ACTIVE, S.IN_REVIEW)),
    (0.05, (S.SUPERSEDED, S.ACTIVE, S.APPROVED)),
    (0.05, (S.SUPERSEDED, S.SUPERSEDED, S.EXPIRED)),
    (0.05, (S.SUPERSEDED, S.SUPERSEDED, S.SUNSET)),
)
"""Statuses of versions 1-3 of an agreement, with how often each history occurs."""
ENDED = frozenset({S.SUPERSEDED, S.EXPIRED, S.SUNSET})
APPROVED_OR_LATER = frozenset({S.APPROVED, S.ACTIVE}) | ENDED
EFFECTIVE = frozenset({S.ACTIVE}) | ENDED


# ============================================================================ the data's shape


@dataclass(frozen=True)
class Shape:
    """How much of everything: catalogue sizes scale with the number of agreements (100k
    agreements: 10 units, 1,000 customers, 2,000 services, 200 vendors)."""

    agreements: int
    units: int = 10
    regions: int = 6

    @property
    def customers(self) -> int:
        return max(20, self.agreements // 100)

    @property
    def services(self) -> int:
        return max(40, self.agreements // 50)

    @property
    def vendors(self) -> int:
        return max(5, self.agreements // 500)

    @property
    def versions(self) -> int:
        return self.agreements * VERSIONS_PER_AGREEMENT


@dataclass(frozen=True)
class CatalogueRow:
    id: int
    code: str
    unit: int


@dataclass(slots=True)
class AgreementPlan:
    """What the version and version_service loads need to know about one agreement."""

    id: int
    unit: int
    structure: Structure
    created: datetime
    statuses: tuple[VersionStatus, ...]
    services: tuple[int, ...]
    deleted: bool


@dataclass
class Dataset:
    """What was loaded, as far as choosing lookup keys needs it."""

    unit_codes: dict[int, str]
    customers: list[CatalogueRow]
    services: list[CatalogueRow]
    live_agreements: list[CatalogueRow]
    """Key and unit of every agreement that is not soft-deleted."""
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class Zipf:
    """Draws from a list with weights 1/rank**s: a few popular items, a long tail."""

    def __init__(self, items: Sequence[Any], s: float = 0.7) -> None:
        self.items = list(items)
        total, self.cum = 0.0, []
        for rank in range(1, len(self.items) + 1):
            total += rank**-s
            self.cum.append(total)

    def draw(self, rng: random.Random) -> Any:
        return rng.choices(self.items, cum_weights=self.cum)[0]

    def distinct(self, rng: random.Random, k: int) -> list[Any]:
        k = min(k, len(self.items))
        chosen: list[Any] = []
        while len(chosen) < k:
            item = self.draw(rng)
            if item not in chosen:
                chosen.append(item)
        return chosen


# ======================================================================================= load


def load(conninfo: str, shape: Shape, seed: int) -> Dataset:
    """Generate the portfolio and COPY it in, table by table, in one transaction."""
    rng = random.Random(seed)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        data = Dataset(unit_codes={}, customers=[], services=[], live_agreements=[])

        def timed_copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
            started = time.perf_counter()
            data.rows[table] = copy_rows(cur, table, columns, rows)
            data.seconds[table] = time.perf_counter() - started

        units = list(range(1, shape.units + 1))
        data.unit_codes = {u: f"bu-{u:02d}" for u in units}
        timed_copy(
            "business_unit",
            ("id", "code", "name", "description", "created_at", "updated_at"),
            (
                (u, code, f"Business unit {u:02d}", "", HISTORY_START, HISTORY_START)
                for u, code in data.unit_codes.items()
            ),
        )
        jurisdictions = ("DE", "FR", "GB", "US", "NL", "SG")
        timed_copy(
            "region",
            ("id", "code", "name", "jurisdiction", "data_residency", "created_at", "updated_at"),
            (
                (
                    r,
                    f"region-{r}",
                    f"Region {r}",
                    jurisdictions[(r - 1) % len(jurisdictions)],
                    r % 3 == 0,
                    HISTORY_START,
                    HISTORY_START,
                )
                for r in range(1, shape.regions + 1)
            ),
        )
        customer_region: dict[int, int | None] = {}
        for c in range(1, shape.customers + 1):
            data.customers.append(CatalogueRow(c, f"cust-{c:05d}", (c - 1) % shape.units + 1))
            customer_region[c] = None if rng.random() < 0.1 else rng.randint(1, shape.regions)
        timed_copy(
            "customer",
            (
                "id",
                "code",
                "name",
                "business_unit_id",
                "region_id",
                "contact_email",
                "created_at",
                "updated_at",
            ),
            (
                (
                    c.id,
                    c.code,
                    f"Customer {c.id:05d} Ltd",
                    c.unit,
                    customer_region[c.id],
                    f"{c.code}@example.com",
                    HISTORY_START,
                    HISTORY_START,
                )
                for c in data.customers
            ),
        )
        timed_copy(
            "vendor",
            ("id", "code", "name", "contact_email", "created_at", "updated_at"),
            (
                (v, f"vendor-{v:04d}", f"Vendor {v:04d} GmbH", None, HISTORY_START, HISTORY_START)
                for v in range(1, shape.vendors + 1)
            ),
        )
        criticalities = ("low", "medium", "high", "critical")
        data.services = [
            CatalogueRow(s, f"svc-{s:05d}", (s - 1) % shape.units + 1)
            for s in range(1, shape.services + 1)
        ]
        timed_copy(
            "service",
            (
                "id",
                "slug",
                "name",
                "description",
                "business_unit_id",
                "tier_level",
                "criticality",
                "lifecycle",
                "cmdb_ci_id",
                "created_at",
                "updated_at",
            ),
            (
                (
                    s.id,
                    s.code,
                    f"Service {s.id:05d}",
                    "Generated by the benchmark.",
                    s.unit,
                    rng.randint(1, 4),
                    rng.choice(criticalities),
                    "active",
                    f"CI{s.id:07d}",
                    HISTORY_START,
                    HISTORY_START,
                )
                for s in data.services
            ),
        )

        plans, agreement_rows = plan_agreements(rng, shape, data, customer_region)
        data.live_agreements = [
            CatalogueRow(p.id, row[1], p.unit)
            for p, row in zip(plans, agreement_rows, strict=True)
            if not p.deleted
        ]
        timed_copy("agreement", AGREEMENT_COLUMNS, agreement_rows)
        timed_copy("agreement_version", VERSION_COLUMNS, version_rows(rng, plans))
        # The version_service trigger refuses services on a non-draft version: right for the
        # application, but a bulk load writes history. Disabled for this COPY only, inside the
        # transaction (foreign keys stay checked).
        cur.execute("ALTER TABLE version_service DISABLE TRIGGER version_service_frozen")
        timed_copy(
            "version_service",
            ("version_id", "agreement_id", "service_id"),
            version_service_rows(plans),
        )
        cur.execute("ALTER TABLE version_service ENABLE TRIGGER version_service_frozen")

        last_numbers = dict.fromkeys(AgreementKind, 0)
        for row in agreement_rows:
            kind, number = row[1].split("-")
            last_numbers[AgreementKind(kind.lower())] = int(number)
        for kind, number in last_numbers.items():
            cur.execute(
                "UPDATE agreement_key_counter SET last_number = %s WHERE kind = %s",
                (number, kind.value),
            )
        for table in ("business_unit", "region", "customer", "vendor", "service", "agreement"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('agreement_version', 'id'), max(id)) "
            "FROM agreement_version"
        )
    return data


def copy_rows(
    cur: psycopg.Cursor[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY ``rows`` (tuples in ``columns`` order) into ``table``. The schema may have moved on
    since this benchmark was written: generated columns the table no longer has are left out;
    a new NOT NULL column without a default stops the load, naming the column to add here."""
    cur.execute(
        "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s",
        (table,),
    )
    required = dict(cur.fetchall())
    unknown = sorted(c for c, needed in required.items() if needed and c not in columns)
    if unknown:
        raise RuntimeError(
            f"{table} has required columns this benchmark does not generate: {', '.join(unknown)}"
            " (add them to its generator in bench/agreements_lookup.py)"
        )
    kept = [i for i, c in enumerate(columns) if c in required]
    if len(kept) < len(columns):
        gone = [c for c in columns if c not in required]
        print(f"  note: {table} has no column {', '.join(gone)} any more: not loaded")
        rows = (tuple(row[i] for i in kept) for row in rows)
        columns = [columns[i] for i in kept]
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


AGREEMENT_COLUMNS = (
    "id",
    "key",
    "kind",
    "structure",
    "master_id",
    "title",
    "business_unit_id",
    "customer_id",
    "consumer_business_unit_id",
    "vendor_id",
    "region_id",
    "created_by",
    "created_at",
    "updated_at",
    "deleted_at",
)


def plan_agreements(
    rng: random.Random,
    shape: Shape,
    data: Dataset,
    customer_region: dict[int, int | None],
) -> tuple[list[AgreementPlan], list[tuple[Any, ...]]]:
    """Agreements in creation order: 60% SLA, 25% OLA, 15% UC; 3% are masters, each followed by
    two schedules between the same parties; customers, vendors and services are Zipf-skewed."""
    customers = Zipf(data.customers)
    vendors = Zipf(range(1, shape.vendors + 1))
    services_of = {
        u: Zipf([s.id for s in data.services if s.unit == u]) for u in range(1, shape.units + 1)
    }
    pattern_weights = [w for w, _ in VERSION_PATTERNS]
    numbers = dict.fromkeys(AgreementKind, 0)
    span = (AS_OF - timedelta(days=60) - HISTORY_START).total_seconds()
    plans: list[AgreementPlan] = []
    rows: list[tuple[Any, ...]] = []
    master: tuple[Any, ...] | None = None
    schedules_left = 0
    for i in range(1, shape.agreements + 1):
        created = HISTORY_START + timedelta(seconds=span * (i - 1) / shape.agreements)
        if schedules_left:
            assert master is not None
            kind, unit, customer, consumer, vendor, region = master[1:7]
            structure, master_id = Structure.SCHEDULE, master[0]
            schedules_left -= 1
        else:
            kind = rng.choices(tuple(AgreementKind), weights=(60, 25, 15))[0]
            customer = consumer = vendor = None
            if kind is AgreementKind.SLA:
                chosen: CatalogueRow = customers.draw(rng)
                customer, unit, region = chosen.id, chosen.unit, customer_region[chosen.id]
            else:
                unit = rng.randint(1, shape.units)
                region = rng.randint(1, shape.regions) if rng.random() < 0.5 else None
                if kind is AgreementKind.OLA:
                    consumer = rng.choice([u for u in range(1, shape.units + 1) if u != unit])
                else:
                    vendor = vendors.draw(rng)
            master_id = None
            structure = Structure.MONOLITHIC
            if rng.random() < 0.03 and i + 2 <= shape.agreements:
                structure, schedules_left = Structure.MASTER, 2
                master = (i, kind, unit, customer, consumer, vendor, region)
        statuses = rng.choices([p for _, p in VERSION_PATTERNS], weights=pattern_weights)[0]
        # Only agreements without an active version can have been deleted (1% overall).
        deleted = S.ACTIVE not in statuses and structure is not Structure.MASTER
        deleted = deleted and rng.random() < 0.1
        covered = (
            ()
            if structure is Structure.MASTER
            else tuple(services_of[unit].distinct(rng, rng.choice((1, 1, 2, 2, 3))))
        )
        plans.append(AgreementPlan(i, unit, structure, created, statuses, covered, deleted))
        numbers[kind] += 1
        key = f"{kind.value.upper()}-{numbers[kind]:04d}"
        party = (
            f"customer {customer:05d}"
            if customer
            else f"unit {consumer:02d}"
            if consumer
            else f"vendor {vendor:04d}"
        )
        title = f"{structure.value.title()} {kind.value.upper()} with {party} ({key})"
        changed = created + timedelta(days=rng.randint(0, 30))
        rows.append(
            (
                i,
                key,
                kind.value,
                structure.value,
                master_id,
                title,
                unit,
                customer,
                consumer,
                vendor,
                region,
                LOADER,
                created,
                changed,
                changed if deleted else None,
            )
        )
    return plans, rows


VERSION_COLUMNS = (
    "id",
    "agreement_id",
    "number",
    "status",
    "revision",
    "summary",
    "scope_inclusions",
    "scope_exclusions",
    "supported_hours",
    "customer_responsibilities",
    "jurisdiction",
    "review_cycle",
    "term_start",
    "term_end",
    "fee_amount",
    "fee_currency",
    "fee_period",
    "legal_reference",
    "procurement_reference",
    "regulatory_tags",
    "requested_sign_offs",
    "required_sign_offs",
    "internal_notes",
    "created_by",
    "submitted_at",
    "approved_at",
    "approved_by",
    "effective_from",
    "ended_at",
    "terms_hash",
    "created_at",
    "updated_at",
)


def version_id(agreement_id: int, number: int) -> int:
    return (agreement_id - 1) * VERSIONS_PER_AGREEMENT + number


def version_rows(rng: random.Random, plans: Iterable[AgreementPlan]) -> Iterator[tuple[Any, ...]]:
    """Each agreement's versions laid out in time: version n is drafted in slot n of the span
    from the agreement's creation to AS_OF, submitted, approved and made effective within it,
    and ended when the next version took effect."""
    people = ("alice", "bob", "carol", "dave", "erin", "frank")
    scopes = ("incident response", "change management", "backups", "monitoring", "reporting")
    for plan in plans:
        slot = (AS_OF - plan.created) / (VERSIONS_PER_AGREEMENT + 1)
        effective_of = {
            n: plan.created + slot * (n - 1) + slot * 0.3
            for n in range(1, VERSIONS_PER_AGREEMENT + 1)
        }
        for number, status in enumerate(plan.statuses, start=1):
            drafted = plan.created + slot * (number - 1)
            submitted = drafted + slot * 0.1 if status is not S.DRAFT else None
            approved = drafted + slot * 0.2 if status in APPROVED_OR_LATER else None
            effective = effective_of[number] if status in EFFECTIVE else None
            ended = None
            if status is S.SUPERSEDED:
                ended = effective_of[number + 1]
            elif status in (S.EXPIRED, S.SUNSET):
                ended = drafted + slot * 0.9
            term_start = (effective or drafted + slot * 0.3).date()
            term_end: date | None = None
            if status is S.EXPIRED and ended is not None:
                term_end = ended.date()
            elif rng.random() < 0.6:
                term_end = term_start + timedelta(days=365 * rng.randint(1, 3))
            fee = rng.random() < 0.7
            tags = ["gdpr"] if rng.random() < 0.3 else []
            requested = ["legal"] if tags else []
            sign_offs = ["provider_owner", "customer_owner", *requested]
            yield (
                version_id(plan.id, number),
                plan.id,
                number,
                status.value,
                rng.randint(1, 3) if status is S.DRAFT else rng.randint(3, 6),
                f"Terms of version {number}: {', '.join(rng.sample(scopes, 2))}. " * 3,
                json.dumps(rng.sample(scopes, 3)),
                json.dumps(rng.sample(scopes, 1)),
                rng.choice(("24x7", "business-hours", "8x5")),
                json.dumps(["report incidents through the service desk"]),
                rng.choice(("DE", "GB", "US", None)),
                rng.choice(("annual", "semiannual", "quarterly")),
                term_start,
                term_end,
                Decimal(rng.randint(500, 250_000)) if fee else None,
                rng.choice(("EUR", "USD", "GBP")) if fee else None,
                rng.choice(("monthly", "annual")) if fee else None,
                f"LEGAL-{plan.id}-{number}" if rng.random() < 0.5 else None,
                f"PO-{plan.id}-{number}" if rng.random() < 0.3 else None,
                json.dumps(tags),
                json.dumps(requested),
                json.dumps(sign_offs),
                "",
                rng.choice(people),
                submitted,
                approved,
                rng.choice(people) if approved else None,
                effective,
                ended,
                hashlib.sha256(f"{plan.id}/{number}".encode()).hexdigest() if approved else None,
                drafted,
                ended or effective or approved or submitted or drafted,
            )


def version_service_rows(plans: Iterable[AgreementPlan]) -> Iterator[tuple[int, int, int]]:
    """Later versions cover the agreement's services; the first one often covered fewer."""
    for plan in plans:
        for number in range(1, VERSIONS_PER_AGREEMENT + 1):
            covered = (
                plan.services[: max(1, len(plan.services) - 1)] if number == 1 else plan.services
            )
            for service_id in covered:
                yield version_id(plan.id, number), plan.id, service_id


# ============================================================================= principals


@dataclass(frozen=True)
class Caller:
    label: str
    actor: Actor
    token: str
    units: frozenset[int] | None
    """Units it may read agreements of; None: all."""


def create_callers(database: Database, data: Dataset) -> dict[str, Caller]:
    """A global admin and a viewer of two units, each with an API token, created through the
    identity service (audited like any other principal)."""
    operator = system_actor("bench")
    now = datetime.now(UTC)
    scoped_units = sorted(data.unit_codes)[:SCOPED_UNITS]
    specs: dict[str, list[tuple[Role, str | None]]] = {
        "admin": [(Role.ADMIN, None)],
        "scoped": [(Role.VIEWER, data.unit_codes[u]) for u in scoped_units],
    }
    callers = {}
    with database.unit_of_work() as session:
        for label, grants in specs.items():
            name = f"bench-{label}"
            identity_service.create_principal(
                session,
                actor=operator,
                data=PrincipalCreate(name=name, display_name=f"Benchmark {label}"),
                now=now,
            )
            for role, unit in grants:
                identity_service.grant_role(
                    session,
                    actor=operator,
                    name=name,
                    data=GrantCreate(role=role, business_unit=unit),
                    now=now,
                )
            token = identity_service.create_token(
                session,
                actor=operator,
                data=TokenCreate(name="benchmark", principal=name),
                settings=TokenSettings(),
                now=now,
            ).token
            principal = identity_service.find_principal(session, name)
            assert isinstance(principal, Principal)
            callers[label] = Caller(
                label=label,
                actor=identity_service.actor_for(session, principal),
                token=token,
                units=None if label == "admin" else frozenset(scoped_units),
            )
    return callers


# ==================================================================================== server


@contextlib.contextmanager
def serve(database_url: str, log_path: Path) -> Iterator[str]:
    """``accord serve`` in a subprocess (its own interpreter, so client and server do not share
    a GIL) on a free loopback port; yields its base URL and stops it afterwards. Its output
    (warnings and tracebacks only) goes to ``log_path``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "accord", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w+b") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(base_url, server, log)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_until_ready(base_url: str, server: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + 60
    with httpx2.Client(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"the server exited:\n{log.read().decode(errors='replace')}")
            with contextlib.suppress(httpx2.TransportError):
                if client.get("/readyz").status_code == 200:
                    return
            time.sleep(0.2)
    raise RuntimeError("the server did not become ready within 60 s")


# =============================================================================== measurement


@dataclass
class Case:
    layer: str
    caller: Caller
    lookup: str
    keys: list[str]
    run: Callable[[str], Any]
    """Does one lookup; this is what is timed."""
    count: Callable[[Any], int]
    """Items the lookup returned (untimed; a sanity figure)."""
    samples_ns: list[int] = field(default_factory=list)
    error: str | None = None
    """Why the lookup failed (it is then not run again): reported instead of figures."""
    items: int = 0
    statements: int = 0
    sql_ns: list[int] = field(default_factory=list)
    slowest: tuple[int, str] = (0, "")
    """Longest call and its key."""
    slowest_sql: tuple[int, str] = (0, "")
    """Longest time in SQL within one call (service layer) and its key: what EXPLAIN looks at,
    as the slowest call overall is more often a noisy neighbour than a slow query."""

    @property
    def name(self) -> str:
        return f"{self.layer}/{self.caller.label}/{self.lookup}"


class SqlMeter:
    """Counts the SQL statements the service layer sends and the time spent in them (from
    sending to having the result; row conversion excluded): listeners on the bench's engine."""

    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        self.ns = 0
        self._started = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self.statements += 1
        self._started = time.perf_counter_ns()

    def _after(self, *_args: Any) -> None:
        self.ns += time.perf_counter_ns() - self._started


def choose_keys(
    rng: random.Random, data: Dataset, caller: Caller, lookup: str, n: int
) -> list[str]:
    """Seeded random keys the caller can see: services and customers uniformly (so both popular
    and long-tail ones), statuses uniformly over all seven."""

    def visible(rows: list[CatalogueRow]) -> list[str]:
        return [r.code for r in rows if caller.units is None or r.unit in caller.units]

    if lookup == "pk":
        pool = visible(data.live_agreements)
    elif lookup == "service":
        pool = visible(data.services)
    elif lookup == "customer":
        pool = visible(data.customers)
    else:
        pool = [s.value for s in VersionStatus]
    return [rng.choice(pool) for _ in range(n)]


def service_layer_case(database: Database, caller: Caller, lookup: str, keys: list[str]) -> Case:
    actor = caller.actor

    def get_one(key: str) -> Any:
        with database.unit_of_work(write=False) as session:
            return [agreements_service.get_agreement(session, actor=actor, key=key)]

    def list_page(key: str) -> Any:
        filters = AgreementFilter.model_validate({lookup: key})
        with database.unit_of_work(write=False) as session:
            items, _ = agreements_service.list_agreements(
                session, actor=actor, filters=filters, after=None, limit=PAGE_LIMIT
            )
        return items

    run = get_one if lookup == "pk" else list_page
    return Case("service", caller, lookup, keys, run, len)


def http_case(client: httpx2.Client, caller: Caller, lookup: str, keys: list[str]) -> Case:
    headers = {"Authorization": f"Bearer {caller.token}"}

    def checked(response: Any) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response

    def get_one(key: str) -> Any:
        return checked(client.get(f"/api/v1/agreements/{key}", headers=headers))

    def list_page(key: str) -> Any:
        params: dict[str, str | int] = {lookup: key, "limit": PAGE_LIMIT}
        return checked(client.get("/api/v1/agreements", params=params, headers=headers))

    def count(response: Any) -> int:
        body = response.json()
        return len(body["items"]) if "items" in body else 1

    return Case("http", caller, lookup, keys, get_one if lookup == "pk" else list_page, count)


def measure(
    cases: list[Case],
    *,
    iterations: int,
    warmup: int,
    seed: int,
    meter: SqlMeter,
) -> None:
    """Every iteration runs every case once, in a fresh random order: drift on the shared machine
    then hits baseline and lookups alike. The first ``warmup`` iterations are discarded."""
    order = random.Random(seed)
    total = warmup + iterations
    gc.collect()
    started = time.monotonic()
    for i in range(total):
        order.shuffle(cases)
        for case in cases:
            if case.error is not None:
                continue
            key = case.keys[i]
            statements, sql_ns = meter.statements, meter.ns
            begun = time.perf_counter_ns()
            try:
                result = case.run(key)
            except Exception as exc:  # a broken lookup is reported, the others still measured
                case.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                print(f"  {case.name} failed for {key!r}: {case.error}", file=sys.stderr)
                continue
            elapsed = time.perf_counter_ns() - begun
            if i < warmup:
                continue
            case.samples_ns.append(elapsed)
            case.items += case.count(result)
            case.statements += meter.statements - statements
            case.sql_ns.append(meter.ns - sql_ns)
            case.slowest_sql = max(case.slowest_sql, (meter.ns - sql_ns, key))
            case.slowest = max(case.slowest, (elapsed, key))
        if (i + 1) % max(1, total // 10) == 0:
            print(
                f"  {i + 1}/{total} iterations ({time.monotonic() - started:.0f} s)",
                file=sys.stderr,
            )


# ================================================================================= reporting


def percentile(sorted_values: Sequence[int], q: float) -> int:
    """Nearest-rank percentile (the smallest value with at least q of the samples at or below)."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def ms(ns: float) -> float:
    return round(ns / 1e6, 3)


def summarise(cases: list[Case]) -> list[dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    for case in cases:
        entry: dict[str, Any] = {
            "layer": case.layer,
            "actor": case.caller.label,
            "lookup": case.lookup,
            "error": case.error,
        }
        stats[case.name] = entry
        values = sorted(case.samples_ns)
        n = len(values)
        if case.error is not None or not n:
            continue
        entry.update(
            n=n,
            p50_ms=ms(percentile(values, 0.50)),
            p90_ms=ms(percentile(values, 0.90)),
            p99_ms=ms(percentile(values, 0.99)),
            max_ms=ms(values[-1]),
            mean_ms=ms(sum(values) / n),
            items_per_call=round(case.items / n, 1),
            statements_per_call=None,
            sql_p50_ms=None,
            sql_p99_ms=None,
            slowest_key=case.slowest[1],
            slowest_sql_key=case.slowest_sql[1] if case.layer == "service" else None,
        )
        if case.layer == "service":
            sql = sorted(case.sql_ns)
            entry.update(
                statements_per_call=round(case.statements / n, 1),
                sql_p50_ms=ms(percentile(sql, 0.50)),
                sql_p99_ms=ms(percentile(sql, 0.99)),
            )
    for entry in stats.values():
        if entry["error"] is not None:
            continue
        base = stats[f"{entry['layer']}/{entry['actor']}/pk"]
        if base["error"] is None:
            entry["p50_ratio"] = round(entry["p50_ms"] / base["p50_ms"], 2)
            entry["p99_ratio"] = round(entry["p99_ms"] / base["p99_ms"], 2)
        entry["meets_goal"] = (
            entry["p99_ms"] < GOAL_P99_MS
            if entry["layer"] == "service" and entry["lookup"] != "pk"
            else None
        )
    order = [(la, a, lo) for la in LAYERS for a in ACTORS for lo in LOOKUPS]
    return sorted(stats.values(), key=lambda e: order.index((e["layer"], e["actor"], e["lookup"])))


def case_order(case: Case) -> tuple[int, int, int]:
    return (
        LAYERS.index(case.layer),
        ACTORS.index(case.caller.label),
        LOOKUPS.index(case.lookup),
    )


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'layer':<8}{'actor':<8}{'lookup':<10}{'n':>5}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'p50/pk':>8}{'p99/pk':>8}{'items':>6}{'stmts':>6}{'sql p50':>8}{'sql p99':>8}"
        f"  p99<{GOAL_P99_MS:g}ms"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        name = f"{r['layer']:<8}{r['actor']:<8}{r['lookup']:<10}"
        if r["error"] is not None:
            print(f"{name}  FAILED: {r['error']}")
            continue
        goal = {None: "", True: "met", False: "MISSED"}[r["meets_goal"]]
        ratios = (
            f"{r['p50_ratio']:>8.2f}{r['p99_ratio']:>8.2f}" if "p50_ratio" in r else f"{'-':>8}" * 2
        )
        sql = (
            f"{r['statements_per_call']:>6g}{r['sql_p50_ms']:>8.2f}{r['sql_p99_ms']:>8.2f}"
            if r["statements_per_call"] is not None
            else " " * 22
        )
        print(
            f"{name}{r['n']:>5}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['max_ms']:>8.2f}"
            f"{ratios}{r['items_per_call']:>6g}{sql}  {goal}"
        )
    print(
        "\np50/pk, p99/pk: ratio to the lookup of one agreement by key (pk, the baseline)\n"
        "through the same layer as the same caller, measured interleaved in this run.\n"
        "stmts: SQL statements per call; sql p50/p99: time per call spent in them (from sending\n"
        "to having the result), service layer only."
    )


# =================================================================================== explain


def explain_pages(database: Database, engine: Engine, cases: list[Case]) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) the agreement-page query of the key with the most SQL time of each
    service-layer list lookup, captured verbatim from a call of the service layer."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "ORDER BY agreement.id" in statement and "LIMIT" in statement:
            captured.append((statement, parameters))

    plans = []
    for case in sorted(cases, key=case_order):
        if case.layer != "service" or case.lookup == "pk" or case.error is not None:
            continue
        key = case.slowest_sql[1]
        captured.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            case.run(key)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        if not captured:
            continue
        statement, parameters = captured[-1]
        with database.unit_of_work(write=False) as session:
            conn = session.connection()
            explain = f"EXPLAIN (ANALYZE, BUFFERS) {statement}"
            conn.exec_driver_sql(explain, parameters)  # warm the cache; keep the second run
            lines = [row[0] for row in conn.exec_driver_sql(explain, parameters)]
        execution = next(
            (float(line.split()[2]) for line in lines if line.startswith("Execution Time")), None
        )
        shape = next((line for line in lines if "->" in line), lines[0])
        plans.append(
            {
                "case": case.name,
                "shape": shape.split("->")[-1].split("  (")[0].strip(),
                "key": key,
                "sql_ms_in_call": ms(case.slowest_sql[0]),
                "execution_ms": execution,
                "sql": statement,
                "parameters": {k: str(v) for k, v in dict(parameters).items()},
                "plan": lines,
            }
        )
    return plans


# ====================================================================================== main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", type=int, default=100_000, help="default: 100000")
    parser.add_argument(
        "--iterations",
        type=int,
        help=f"measured calls per case (default: 500; 50 below {SMOKE_BELOW:,} agreements)",
    )
    parser.add_argument(
        "--warmup", type=int, help="discarded calls per case (default: a tenth of --iterations)"
    )
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="admin URL: the benchmark creates (and drops) its own database there",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--ddl",
        action="append",
        default=[],
        metavar="SQL",
        help="run this DDL after the load, before ANALYZE (e.g. a candidate index); repeatable",
    )
    parser.add_argument("--no-http", action="store_true", help="measure the service layer only")
    parser.add_argument("--explain", action="store_true", help="print the full EXPLAIN plans")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.iterations is None:
        args.iterations = 500 if args.agreements >= SMOKE_BELOW else 50
    if args.warmup is None:
        args.warmup = max(1, args.iterations // 10)
    return args


def git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    shape = Shape(args.agreements)
    admin_url = make_url(args.postgres_url)
    name = f"accord_bench_{uuid.uuid4().hex[:10]}"
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    conninfo = admin_url.set(drivername="postgresql", database=name).render_as_string(
        hide_password=False
    )
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    print(f"database {name}: {shape.agreements:,} agreements, {shape.versions:,} versions")
    engine = create_database_engine(url, DatabaseSettings())
    database = Database(engine, DatabaseSettings())
    try:
        return run(args, shape, name, url, conninfo, engine, database)
    finally:
        database.dispose()
        if args.keep:
            print(f"kept database {name} ({url})")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(
    args: argparse.Namespace,
    shape: Shape,
    name: str,
    url: str,
    conninfo: str,
    engine: Engine,
    database: Database,
) -> int:
    started = time.perf_counter()
    migrate.upgrade(engine)
    migrated = time.perf_counter()
    data = load(conninfo, shape, args.seed)
    loaded = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for ddl in args.ddl:
            print(f"extra DDL: {ddl}")
            conn.execute(ddl.encode())
        conn.execute("VACUUM (ANALYZE)")
        server_version = conn.execute("SHOW server_version").fetchone()
        settings = {
            setting: conn.execute(f"SHOW {setting}").fetchone()[0]  # type: ignore[index]
            for setting in ("shared_buffers", "work_mem", "random_page_cost", "jit")
        }
    analysed = time.perf_counter()
    load_report = {
        "migrate_s": round(migrated - started, 2),
        "copy_s": round(loaded - migrated, 2),
        "vacuum_analyze_s": round(analysed - loaded, 2),
        "rows": data.rows,
        "copy_s_per_table": {t: round(s, 2) for t, s in data.seconds.items()},
    }
    print(
        f"load (not measured): migrations {load_report['migrate_s']} s, COPY "
        f"{load_report['copy_s']} s, VACUUM ANALYZE {load_report['vacuum_analyze_s']} s; rows: "
        + ", ".join(f"{t} {n:,}" for t, n in data.rows.items())
    )
    callers = create_callers(database, data)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    server_log = args.results_dir / f"agreements_lookup-{stamp}-server.log"
    meter = SqlMeter(engine)
    load_before = [round(x, 2) for x in os.getloadavg()]
    total = args.warmup + args.iterations
    key_rng = random.Random(args.seed)
    keys = {
        (label, lookup): choose_keys(key_rng, data, caller, lookup, total)
        for label, caller in callers.items()
        for lookup in LOOKUPS
    }
    with contextlib.ExitStack() as stack:
        cases = [
            service_layer_case(database, caller, lookup, keys[label, lookup])
            for label, caller in callers.items()
            for lookup in LOOKUPS
        ]
        if not args.no_http:
            base_url = stack.enter_context(serve(url, server_log))
            client = stack.enter_context(httpx2.Client(base_url=base_url, timeout=30))
            cases += [
                http_case(client, caller, lookup, keys[label, lookup])
                for label, caller in callers.items()
                for lookup in LOOKUPS
            ]
        print(
            f"measuring {len(cases)} cases x {args.iterations} iterations "
            f"(+{args.warmup} warm-up), interleaved"
        )
        measure(cases, iterations=args.iterations, warmup=args.warmup, seed=args.seed, meter=meter)
    rows = summarise(cases)
    print(
        f"\nload average (1, 5, 15 min) before {load_before}, after "
        f"{[round(x, 2) for x in os.getloadavg()]} on {os.cpu_count()} CPUs: the higher, the "
        "noisier the absolute times"
    )
    print_table(rows)
    if server_log.exists():
        if server_log.stat().st_size:
            print(f"\nserver output: {server_log}")
        else:
            server_log.unlink()
    plans = explain_pages(database, engine, cases)
    print(
        "\nEXPLAIN ANALYZE of the agreement-page query, for the key whose call spent the most "
        "time in SQL:"
    )
    for plan in plans:
        print(
            f"  {plan['case']:<24} key {plan['key']!r:<13} SQL in that call "
            f"{plan['sql_ms_in_call']:>6.2f} ms; page query now {plan['execution_ms']} ms, "
            f"under the Limit: {plan['shape']}"
        )
        if args.explain:
            print("\n".join(f"      {line}" for line in plan["plan"]))
    report = {
        "benchmark": "agreements_lookup",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "database": name,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "shape": {
            "agreements": shape.agreements,
            "versions": shape.versions,
            "business_units": shape.units,
            "customers": shape.customers,
            "services": shape.services,
            "vendors": shape.vendors,
        },
        "environment": {
            "python": platform.python_version(),
            "postgres": server_version[0] if server_version else None,
            "postgres_settings": settings,
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "goal_p99_ms": GOAL_P99_MS,
        "load": load_report,
        "results": rows,
        "explain": plans,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"agreements_lookup-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
