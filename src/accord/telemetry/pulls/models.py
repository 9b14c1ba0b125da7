"""Where each pulled mapping stands: how far its buckets are complete, and its retry state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base
from accord.db.types import Identifier


class PullState(Base):
    __tablename__ = "pull_state"

    mapping_id: Mapped[int] = mapped_column(
        Identifier, ForeignKey("source_mapping.id"), primary_key=True
    )
    complete_until: Mapped[datetime | None] = mapped_column(default=None)
    """Buckets starting before this were fetched (or found missing at the source)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Consecutive failed pulls; 0 after a success."""
    retry_at: Mapped[datetime | None] = mapped_column(default=None)
    """No pull before this instant (backoff after failures)."""
    last_error: Mapped[str | None] = mapped_column(String(2_000), default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime]
