"""What the audit trail needs from the outside world."""

from __future__ import annotations

from typing import Protocol


class AuditActor(Protocol):
    """Whoever causes an event. `accord.identity.rules.Actor` satisfies this structurally, so the
    audit core needs nothing from identity."""

    @property
    def principal_id(self) -> int | None: ...

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...
