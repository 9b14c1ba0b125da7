"""Business calendar definitions: the working week, a holiday source and custom days."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, HasId, SoftDeleted, Timestamped
from accord.db.types import JSONDocument


class BusinessCalendarDefinition(HasId, Timestamped, SoftDeleted, Base):
    """A calendar's definition as entered; the arithmetic compiles it (`calendars.rules`).

    The code stays taken after a soft delete: agreements name calendars by code, so a code
    never comes to mean another calendar.
    """

    __tablename__ = "business_calendar"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    """IANA zone the working hours are read in (``Europe/Berlin``)."""
    week: Mapped[list[list[list[str]]]] = mapped_column(JSONDocument)
    """Seven days, Monday first, each a list of ``["HH:MM", "HH:MM"]`` segments."""
    holiday_country: Mapped[str | None] = mapped_column(String(2))
    """ISO 3166-1 alpha-2 country whose public holidays are days off (the `holidays` package)."""
    holiday_subdivision: Mapped[str | None] = mapped_column(String(64))
    days: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    """Custom days by date: ``{"date", "segments", "note"}``; they replace the week's segments
    and any national holiday of that date."""
