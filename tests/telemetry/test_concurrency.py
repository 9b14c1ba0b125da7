"""Two loads of the same objective at once leave rollups equal to their buckets.

Without serialisation the second load would recompute an hour from the buckets it can see (its
own and committed ones), wait for the first load's lock on the hourly row, and then overwrite it
with a sum that misses the first load's buckets. Runs on its own freshly migrated databases, with
real connections that really commit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.telemetry import rules
from accord.telemetry import service as telemetry_service
from tests.conftest import FreshDatabases
from tests.factories.objectives import make_objective
from tests.telemetry.conftest import E0, assert_rollups_match, columns, stored_buckets

pytestmark = [pytest.mark.db, pytest.mark.slow]

B = rules.BUCKET_SECONDS
N = 2 * rules.BUCKETS_PER_DAY


@pytest.fixture
def own_database(backend: str, fresh_databases: FreshDatabases) -> Iterator[Database]:
    settings = DatabaseSettings()
    engine = create_database_engine(fresh_databases.url(backend), settings)
    yield Database(engine, settings)
    engine.dispose()


@pytest.mark.parametrize("shared", [False, True], ids=["disjoint-buckets", "shared-buckets"])
def test_overlapping_loads_of_one_objective_keep_rollups_consistent(
    own_database: Database, shared: bool
) -> None:
    database = own_database
    with database.unit_of_work() as session:
        objective = make_objective(session).id
        other = make_objective(session).id

    # Same hours and days, different buckets (even and odd); with ``shared``, also a few of the
    # same buckets with other values (whichever commits last wins; the rollups must follow it).
    first = columns([(objective, E0 + i * B, 1, 2) for i in range(0, N, 2)])
    second = columns(
        [(objective, E0 + i * B, 3, 5) for i in range(1, N, 2)]
        + [(objective, E0 + i * B, 7, 7) for i in range(0, 24, 2) if shared]
        + [(other, E0 + i * B, 1, 1) for i in range(N)]
    )
    first_stored = threading.Event()
    may_commit = threading.Event()
    errors: list[BaseException] = []

    def load(batch: object, *, hold: bool) -> None:
        try:
            with database.unit_of_work() as session:
                telemetry_service.store_buckets(session, batch)  # type: ignore[arg-type]
                if hold:
                    first_stored.set()
                    assert may_commit.wait(timeout=60)
        except BaseException as exc:
            errors.append(exc)
        finally:
            first_stored.set()

    one = threading.Thread(target=load, args=(first,), kwargs={"hold": True})
    two = threading.Thread(target=load, args=(second,), kwargs={"hold": False})
    one.start()
    assert first_stored.wait(timeout=60)
    two.start()
    time.sleep(1.0)  # let the second load get as far as it can while the first is uncommitted
    may_commit.set()
    one.join(timeout=120)
    two.join(timeout=120)
    assert not one.is_alive()
    assert not two.is_alive()
    assert errors == []

    with database.unit_of_work(write=False) as session:
        buckets = stored_buckets(session)
        assert len(buckets) == 2 * N
        # The second load committed last: its values hold where the loads overlap.
        assert buckets[(objective, E0)] == ((7, 7) if shared else (1, 2))
        assert buckets[(objective, E0 + 24 * B)] == (1, 2)
        assert_rollups_match(session)
