from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.catalogue.models import Service
from accord.identity.models import BusinessUnit
from accord.kit.time import utc_now
from accord.objectives.enums import (
    BudgetingMethod,
    MissingData,
    MonitoringMode,
    SliKind,
    SourceKind,
    WindowKind,
)
from accord.objectives.models import Objective
from tests.factories.catalogue import make_service
from tests.factories.identity import make_unit


def make_objective(
    session: Session,
    *,
    service: str = "checkout",
    unit: str = "retail",
    name: str | None = None,
    **fields: Any,
) -> Objective:
    """An objective row on ``service``; the service (in ``unit``) and the unit are created
    through their services when missing.

    Written directly, not through the objectives service: it serves tests of lower-level code
    (telemetry storage) that only need a valid parent row. Defaults: a 99.9 % availability SLO
    over a rolling 30 days in UTC, occurrences, pushed buckets; ``fields`` override any column.
    """
    found = _service(session, service)
    if found is None:
        if session.scalar(select(BusinessUnit.id).where(BusinessUnit.code == unit)) is None:
            make_unit(session, unit)
        make_service(session, service, unit)
        found = _service(session, service)
        assert found is not None
    service_id, unit_id = found
    number = (session.scalar(select(func.count()).select_from(Objective)) or 0) + 1
    now = utc_now()
    values: dict[str, Any] = {
        "service_id": service_id,
        "business_unit_id": unit_id,
        "name": name or f"objective-{number}",
        "display_name": (name or f"objective-{number}").replace("-", " ").title(),
        "sli_kind": SliKind.AVAILABILITY,
        "target": Decimal("0.999"),
        "budgeting_method": BudgetingMethod.OCCURRENCES,
        "missing_data": MissingData.IGNORE,
        "window_kind": WindowKind.ROLLING,
        "window_days": 30,
        "time_zone": "UTC",
        "monitoring_mode": MonitoringMode.ACTIVE,
        "evaluation_interval_seconds": 300,
        "source": SourceKind.PUSH,
        "queries": {},
        "labels": {},
        "alerting": {},
        "created_by": "test",
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    objective = Objective(**values)
    session.add(objective)
    session.flush()
    return objective


def _service(session: Session, slug: str) -> tuple[int, int] | None:
    row = session.execute(
        select(Service.id, Service.business_unit_id).where(Service.slug == slug)
    ).first()
    return None if row is None else (row[0], row[1])
