"""Every query about support links."""

from __future__ import annotations

from accord.agreements.models import SupportLink
from accord.db.repository import Repository


class SupportLinkRepository(Repository[SupportLink]):
    model = SupportLink

    def supported_by(self, agreement_id: int) -> list[SupportLink]:
        return list(
            self.session.scalars(
                self.live().where(SupportLink.supported_id == agreement_id).order_by(SupportLink.id)
            )
        )

    def supporting(self, agreement_id: int) -> list[SupportLink]:
        return list(
            self.session.scalars(
                self.live()
                .where(SupportLink.supporting_id == agreement_id)
                .order_by(SupportLink.id)
            )
        )

    def find_live(
        self, supported_id: int, supporting_id: int, service_id: int
    ) -> SupportLink | None:
        return self.session.scalars(
            self.live().where(
                SupportLink.supported_id == supported_id,
                SupportLink.supporting_id == supporting_id,
                SupportLink.service_id == service_id,
            )
        ).first()
