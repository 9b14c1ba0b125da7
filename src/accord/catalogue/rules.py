"""Pure rules of the catalogue."""

from __future__ import annotations

from accord.catalogue.enums import Lifecycle
from accord.kit.errors import InvalidTransition

LIFECYCLE_TRANSITIONS: dict[Lifecycle, frozenset[Lifecycle]] = {
    Lifecycle.ACTIVE: frozenset({Lifecycle.SUNSET, Lifecycle.DECOMMISSIONED}),
    Lifecycle.SUNSET: frozenset({Lifecycle.ACTIVE, Lifecycle.DECOMMISSIONED}),
    Lifecycle.DECOMMISSIONED: frozenset(),
}
"""A sunset can be called off; decommissioning is final."""


def check_lifecycle_change(current: Lifecycle, new: Lifecycle) -> None:
    if new != current and new not in LIFECYCLE_TRANSITIONS[current]:
        raise InvalidTransition(
            "service-lifecycle",
            f"a {current.value} service cannot become {new.value}"
            + (" (decommissioning is final)" if current is Lifecycle.DECOMMISSIONED else ""),
        )


def describe_cycle(slugs: list[str]) -> str:
    return "dependency would create a cycle: " + " → ".join(slugs)
