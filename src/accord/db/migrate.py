"""Alembic, driven from code: the schema is created and changed only through migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

from accord.kit.errors import ServiceUnavailable

SCRIPT_LOCATION = "accord.db:migrations"


def alembic_config(
    connection: Connection | None = None, *, target_metadata: MetaData | None = None
) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option(
        "file_template",
        "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s",
    )
    config.attributes["connection"] = connection
    config.attributes["target_metadata"] = target_metadata
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(bind: Engine | Connection) -> str | None:
    with _connection(bind) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    with _connection(bind, commit=True) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(bind: Engine | Connection, revision: str) -> None:
    with _connection(bind, commit=True) as connection:
        command.downgrade(alembic_config(connection), revision)


def revision(bind: Engine | Connection, message: str, target_metadata: MetaData) -> None:
    """Autogenerate a migration script from the difference between models and database."""
    with _connection(bind) as connection:
        command.revision(
            alembic_config(connection, target_metadata=target_metadata),
            message=message,
            autogenerate=True,
        )


def require_migrated(bind: Engine | Connection) -> None:
    """Refuse to serve a database whose schema is not at the head revision."""
    current, head = current_revision(bind), head_revision()
    if current != head:
        state = "empty (no schema)" if current is None else f"at revision {current}"
        raise ServiceUnavailable(
            f"the database is {state} but this version of Accord needs revision {head}: "
            "run `accord db upgrade` first"
        )


@contextmanager
def _connection(bind: Engine | Connection, *, commit: bool = False) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as connection:
        yield connection
        if commit:
            connection.commit()
