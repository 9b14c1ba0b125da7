"""Pure catalogue rules: lifecycle transitions and the cycle message."""

from __future__ import annotations

import itertools

import pytest

from accord.catalogue.enums import Lifecycle
from accord.catalogue.rules import LIFECYCLE_TRANSITIONS, check_lifecycle_change, describe_cycle
from accord.kit.errors import InvalidTransition

ALLOWED = {
    (Lifecycle.ACTIVE, Lifecycle.SUNSET),
    (Lifecycle.ACTIVE, Lifecycle.DECOMMISSIONED),
    (Lifecycle.SUNSET, Lifecycle.ACTIVE),
    (Lifecycle.SUNSET, Lifecycle.DECOMMISSIONED),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(Lifecycle, Lifecycle)))
def test_lifecycle_transition_matrix(current: Lifecycle, new: Lifecycle) -> None:
    if current == new or (current, new) in ALLOWED:
        check_lifecycle_change(current, new)
    else:
        with pytest.raises(InvalidTransition) as raised:
            check_lifecycle_change(current, new)
        assert raised.value.rule == "service-lifecycle"
        assert raised.value.status == 409
        assert current.value in raised.value.detail
        assert new.value in raised.value.detail


def test_decommissioning_is_final() -> None:
    assert LIFECYCLE_TRANSITIONS[Lifecycle.DECOMMISSIONED] == frozenset()
    for new in (Lifecycle.ACTIVE, Lifecycle.SUNSET):
        with pytest.raises(InvalidTransition, match="decommissioning is final"):
            check_lifecycle_change(Lifecycle.DECOMMISSIONED, new)


def test_every_lifecycle_has_a_row() -> None:
    assert set(LIFECYCLE_TRANSITIONS) == set(Lifecycle)


def test_describe_cycle() -> None:
    assert describe_cycle(["a", "b", "c", "a"]) == "dependency would create a cycle: a → b → c → a"
    assert describe_cycle(["a", "a"]) == "dependency would create a cycle: a → a"
