"""The schema comes only from migrations: they build an empty database to head on both backends,
match the models exactly (no autogenerate diff), and downgrade cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from accord.config import DatabaseSettings
from accord.db import migrate
from accord.db.session import create_database_engine
from accord.tables import metadata
from tests.conftest import FreshDatabases


def test_upgrade_from_empty_matches_models(backend: str, fresh_databases: FreshDatabases) -> None:
    engine = create_database_engine(
        fresh_databases.url(backend, migrated=False), DatabaseSettings()
    )
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        with engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), metadata
            )
        assert diff == []
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(backend: str, fresh_databases: FreshDatabases) -> None:
    engine = create_database_engine(fresh_databases.url(backend), DatabaseSettings())
    try:
        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        assert not set(metadata.tables) & set(inspect(engine).get_table_names())
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_single_head() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1
