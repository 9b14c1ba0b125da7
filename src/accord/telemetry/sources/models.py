"""The source registry: where telemetry comes from, and which metric of a source feeds which
objective (a mapping)."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId, SoftDeleted, Timestamped
from accord.db.types import Identifier, enum_type
from accord.objectives.enums import SourceKind
from accord.telemetry.enums import MappingRole


class TelemetrySource(HasId, Timestamped, SoftDeleted, Base):
    """A monitoring system or sender. Its ingest tokens belong to its own machine principal
    (``principal_id``), which holds the ``ingest`` role in the source's business unit only."""

    __tablename__ = "telemetry_source"
    __table_args__ = (CheckConstraint("expected_interval_seconds > 0", name="interval_positive"),)

    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SourceKind] = mapped_column(enum_type(SourceKind, "kind"))
    business_unit_id: Mapped[int] = mapped_column(Identifier, ForeignKey("business_unit.id"))
    owner_id: Mapped[int | None] = mapped_column(Identifier, ForeignKey("principal.id"))
    """The person answerable for the source."""
    principal_id: Mapped[int] = mapped_column(Identifier, ForeignKey("principal.id"))
    """The source's machine identity: its ingest tokens are issued to it."""
    expected_interval_seconds: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    """For timestamps sent without an offset; None: such timestamps are refused."""
    latency_unit: Mapped[str | None] = mapped_column(String(8))
    """The unit of latency samples that do not name one."""
    base_url: Mapped[str | None] = mapped_column(String(2_000))
    """Pulled sources (Prometheus, Datadog): the API's address."""
    naming_pattern: Mapped[str | None] = mapped_column(String(500))
    """The organisation's naming convention for this source's metric names (a regex), checked
    on top of the source system's own rules."""
    created_by: Mapped[str] = mapped_column(String(200))


class SourceMapping(HasId, Timestamped, SoftDeleted, Base):
    """A source's metric feeding an objective's SLI, as its primary or secondary source."""

    __tablename__ = "source_mapping"
    __table_args__ = (
        Index(
            "uq_source_mapping_objective_id_role",
            "objective_id",
            "role",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "uq_source_mapping_source_id_metric",
            "source_id",
            "metric",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND metric IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND metric IS NOT NULL"),
        ),
        Index("ix_source_mapping_source_id", "source_id"),
    )

    source_id: Mapped[int] = mapped_column(Identifier, ForeignKey("telemetry_source.id"))
    objective_id: Mapped[int] = mapped_column(Identifier, ForeignKey("objective.id"))
    role: Mapped[MappingRole] = mapped_column(enum_type(MappingRole, "role"))
    metric: Mapped[str | None] = mapped_column(String(200))
    """Pushed sources: the metric name senders use for this objective."""
    good_query: Mapped[str | None] = mapped_column(Text)
    error_query: Mapped[str | None] = mapped_column(Text)
    total_query: Mapped[str | None] = mapped_column(Text)
    """Pulled sources: the good (or error) and total queries, counts or per-second rates."""
    per_second: Mapped[bool] = mapped_column(Boolean, default=False)
    """The queries return per-second rates (Sloth's convention), multiplied by the bucket length."""
    created_by: Mapped[str] = mapped_column(String(200))
