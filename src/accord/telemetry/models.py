"""SLI buckets and their rollups.

A bucket is (objective, bucket_start, good, total) at a fixed grain (``rules.BUCKET_SECONDS``),
written idempotently: a re-sent bucket replaces the stored one, never adds to it. Hourly and daily
rollups hold the sums of the buckets beneath them and are maintained in the same transaction as
the buckets, so a 30-day window reads ~30 daily rows plus the edges, never 8,640 buckets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Double, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId
from accord.db.types import Identifier


class _Counts:
    good: Mapped[float] = mapped_column(Double)
    total: Mapped[float] = mapped_column(Double)


class _Rollup(_Counts):
    buckets: Mapped[int] = mapped_column(Integer)
    """Buckets with data (total > 0) beneath this row: the coverage of the period."""
    ratio_sum: Mapped[float] = mapped_column(Double)
    """Sum of the good/total ratios of those buckets, so ratio-timeslices (the mean of bucket
    ratios, Sloth's period SLI) is ratio_sum / buckets over any span of rows."""


class SliBucket(_Counts, Base):
    """No foreign key to the objective, on purpose: this is the hottest insert of the system
    (a backfill writes millions of rows), the check cost a lookup per row, and every write
    goes through `telemetry.service`, which refuses unknown or deleted objectives in the same
    transaction (objectives are never hard-deleted)."""

    __tablename__ = "sli_bucket"
    __table_args__ = (CheckConstraint("good >= 0 AND total >= good", name="counts_valid"),)

    objective_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(Identifier, default=None)
    """Provenance: the registered source whose value is stored (the objective's secondary when
    it filled a gap of the primary); None for loads without a source (CLI, demo). No foreign
    key on purpose: it would cost a lookup per bucket on the hottest insert of the system."""
    received_at: Mapped[datetime | None] = mapped_column(default=None)
    """When Accord received (or fetched) the stored value."""


class SliHourly(_Rollup, Base):
    """No foreign key to the objective, on purpose: a rollup row is derived from buckets that
    have one, and the check would cost a lookup per row recomputed on every write."""

    __tablename__ = "sli_hourly"

    objective_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    hour_start: Mapped[datetime] = mapped_column(primary_key=True)


class SliDaily(_Rollup, Base):
    """UTC days. Windows whose edges are not UTC midnights take the edges from hourly rows.
    No foreign key, as for hours."""

    __tablename__ = "sli_daily"

    objective_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    day_start: Mapped[datetime] = mapped_column(primary_key=True)


class SliWrite(HasId, Base):
    """One committed write of buckets: when, and the span of bucket starts it touched.

    Evaluators that keep counts warm between passes read this journal to notice writes to
    buckets they have already counted (a backfill, a late sender, a correction) and count
    again. ``written_at`` is the database's clock on purpose, unlike business timestamps: what
    matters is when the database saw the write, and a reader compares it with the same clock.
    """

    __tablename__ = "sli_write"

    written_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    first_bucket: Mapped[datetime]
    last_bucket: Mapped[datetime]
    buckets: Mapped[int] = mapped_column(Integer)
    objectives: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[int | None] = mapped_column(Identifier, default=None)


class SecondaryBucket(_Counts, Base):
    """What an objective's secondary source reported for a bucket, kept beside the stored
    (primary) value so the two can be reconciled. Where the primary has no bucket, the
    secondary's value is also stored in `SliBucket`, with the secondary as its provenance."""

    __tablename__ = "secondary_bucket"
    __table_args__ = (CheckConstraint("good >= 0 AND total >= good", name="counts_valid"),)

    objective_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    """No foreign key, as for `SliBucket`: the same volume, the same service checks."""
    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(Identifier)
    received_at: Mapped[datetime]
