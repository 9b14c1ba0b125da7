"""Concurrent writers of the dependency graph cannot close a cycle between them.

Runs on its own freshly migrated database (of each backend), with real connections that really
commit, so it needs none of the per-test rollback of the shared fixtures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord.catalogue import service as catalogue_service
from accord.catalogue.models import Service, ServiceDependency
from accord.catalogue.schemas import DependencyCreate
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.engine.graph import topological_order
from accord.kit.errors import RuleViolation
from accord.kit.time import utc_now
from tests.conftest import FreshDatabases
from tests.factories.catalogue import make_service
from tests.factories.identity import SYSTEM, make_unit

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture
def own_database(backend: str, fresh_databases: FreshDatabases) -> Iterator[Database]:
    settings = DatabaseSettings()
    engine = create_database_engine(fresh_databases.url(backend), settings)
    yield Database(engine, settings)
    engine.dispose()


def test_two_opposite_edges_added_concurrently_do_not_make_a_cycle(
    own_database: Database,
) -> None:
    database = own_database
    with database.unit_of_work() as session:
        make_unit(session, "retail")
        make_service(session, "svc-a", "retail")
        make_service(session, "svc-b", "retail")

    first_added = threading.Event()
    may_commit = threading.Event()
    outcomes: dict[str, BaseException | None] = {}

    def add(name: str, slug: str, on: str, *, hold: bool) -> None:
        try:
            with database.unit_of_work() as session:
                catalogue_service.add_dependency(
                    session,
                    actor=SYSTEM,
                    slug=slug,
                    data=DependencyCreate(depends_on=on),
                    now=utc_now(),
                )
                if hold:
                    first_added.set()
                    assert may_commit.wait(timeout=30)
            outcomes[name] = None
        except BaseException as exc:
            outcomes[name] = exc
        finally:
            first_added.set()

    first = threading.Thread(target=add, args=("first", "svc-a", "svc-b"), kwargs={"hold": True})
    second = threading.Thread(target=add, args=("second", "svc-b", "svc-a"), kwargs={"hold": False})
    first.start()
    assert first_added.wait(timeout=30)
    second.start()
    time.sleep(1.0)  # let the second writer get as far as it can while the first is uncommitted
    may_commit.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert not first.is_alive()
    assert not second.is_alive()

    assert outcomes["first"] is None
    assert isinstance(outcomes["second"], RuleViolation), outcomes["second"]
    assert outcomes["second"].rule == "dependency-cycle"
    with database.unit_of_work(write=False) as session:
        slugs: dict[int, str] = dict(session.execute(select(Service.id, Service.slug)).all())
        edges: dict[str, list[str]] = {}
        for source, target in session.execute(
            select(ServiceDependency.service_id, ServiceDependency.depends_on_id)
        ):
            edges.setdefault(slugs[source], []).append(slugs[target])
    assert edges == {"svc-a": ["svc-b"]}
    assert topological_order(edges) is not None
