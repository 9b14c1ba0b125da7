"""Every query of pulling."""

from __future__ import annotations

from accord.db.repository import Repository
from accord.telemetry.pulls.models import PullState


class PullStateRepository(Repository[PullState]):
    model = PullState

    def of_mapping(self, mapping_id: int) -> PullState | None:
        return self.session.get(PullState, mapping_id)
