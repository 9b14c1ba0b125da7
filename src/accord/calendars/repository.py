"""Every query of business calendars."""

from __future__ import annotations

from sqlalchemy import select

from accord.calendars.models import BusinessCalendarDefinition
from accord.db.repository import Repository


class CalendarRepository(Repository[BusinessCalendarDefinition]):
    model = BusinessCalendarDefinition

    def by_code(self, code: str) -> BusinessCalendarDefinition | None:
        """The live calendar with this code."""
        return self.find_by(code=code)

    def by_code_even_deleted(self, code: str) -> BusinessCalendarDefinition | None:
        """The calendar with this code, deleted or not (an agreement may still name it)."""
        stmt = select(BusinessCalendarDefinition).where(BusinessCalendarDefinition.code == code)
        return self.session.scalars(stmt).first()

    def locked_by_code(self, code: str) -> BusinessCalendarDefinition | None:
        """The live calendar, locked against concurrent changes until the end of the transaction
        (PostgreSQL ``FOR UPDATE``; SQLite write transactions already hold the write lock)."""
        stmt = (
            self.live()
            .where(BusinessCalendarDefinition.code == code)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(stmt).first()

    def code_taken(self, code: str) -> bool:
        """Deleted calendars keep their code: agreements may still name it."""
        stmt = select(BusinessCalendarDefinition.id).where(BusinessCalendarDefinition.code == code)
        return self.session.scalar(stmt) is not None

    def all_live(self) -> list[BusinessCalendarDefinition]:
        return list(self.session.scalars(self.live().order_by(BusinessCalendarDefinition.code)))

    def live_codes(self) -> set[str]:
        stmt = select(BusinessCalendarDefinition.code).where(
            BusinessCalendarDefinition.deleted_at.is_(None)
        )
        return set(self.session.scalars(stmt))
