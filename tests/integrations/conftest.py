"""Fixtures of the interop commands' tests (`accord import …`, `accord export …`): a fresh,
committed database of each backend per test (the commands commit for real, so they do not share
the per-test rolled-back database), with the services the shared fixtures name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.catalogue import service as catalogue_service
from accord.catalogue.schemas import TierUpdate
from accord.config import DatabaseSettings
from accord.db.session import Database, create_database_engine
from accord.kit.time import utc_now
from tests.conftest import FreshDatabases
from tests.factories.catalogue import make_service
from tests.factories.identity import SYSTEM, make_unit

UNIT = "retail"
SERVICES = {"svc01": 4, "svc02": 4, "web": 4, "checkout": 4, "payments": 1}
"""Catalogue services by tier: Sloth's fixtures name svc01 and svc02, OpenSLO's web."""
TIER4_MINIMUM = "0.9"
"""Tier 4's minimum target, lowered from 99 % so Sloth's 95 % fixture SLOs fit; tier 1's
minimum (99.95 %) is left as shipped, for the tests of a refusal."""


@pytest.fixture
def interop_database(
    backend: str, fresh_databases: FreshDatabases, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    url = fresh_databases.url(backend)
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    for name in ("ACCORD_AUDIT__SIGNING_KEY_FILE", "ACCORD_AUDIT__CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # keep Rich from wrapping the lines under test
    database = Database(create_database_engine(url, DatabaseSettings()), DatabaseSettings())
    with database.unit_of_work() as session:
        tier = catalogue_service.get_tier(session, actor=SYSTEM, level=4)
        catalogue_service.replace_tier(
            session,
            actor=SYSTEM,
            level=4,
            data=TierUpdate.model_validate(
                tier.model_dump(exclude={"level"}) | {"min_target": TIER4_MINIMUM}
            ),
            now=utc_now(),
        )
        make_unit(session, UNIT)
        for slug, level in SERVICES.items():
            make_service(session, slug, UNIT, tier=level)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def _wide_consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """The consoles measured their width at import, maybe on a narrow or absent terminal: the
    lines under test must not be cut."""
    from accord import cli as accord_cli
    from accord.integrations.openslo import cli as openslo_cli
    from accord.integrations.prometheus import cli as prometheus_cli
    from accord.integrations.sloth import cli as sloth_cli

    for console in (
        accord_cli.err,
        openslo_cli.console,
        openslo_cli.err,
        prometheus_cli.err,
        sloth_cli.console,
        sloth_cli.err,
    ):
        monkeypatch.setattr(console, "width", 250)
