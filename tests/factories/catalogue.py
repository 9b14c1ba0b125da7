from __future__ import annotations

from sqlalchemy.orm import Session

from accord.catalogue import service as catalogue_service
from accord.catalogue.schemas import CustomerCreate, RegionCreate, ServiceCreate, VendorCreate
from accord.kit.time import utc_now
from tests.factories.identity import SYSTEM


def make_region(
    session: Session,
    code: str = "eu-west",
    *,
    jurisdiction: str = "IE",
    data_residency: bool = False,
) -> str:
    catalogue_service.create_region(
        session,
        actor=SYSTEM,
        data=RegionCreate(
            code=code, name=code.upper(), jurisdiction=jurisdiction, data_residency=data_residency
        ),
        now=utc_now(),
    )
    return code


def make_customer(session: Session, code: str, unit: str, *, region: str | None = None) -> str:
    catalogue_service.create_customer(
        session,
        actor=SYSTEM,
        data=CustomerCreate(code=code, name=code.title(), business_unit=unit, region=region),
        now=utc_now(),
    )
    return code


def make_vendor(session: Session, code: str) -> str:
    catalogue_service.create_vendor(
        session, actor=SYSTEM, data=VendorCreate(code=code, name=code.title()), now=utc_now()
    )
    return code


def make_service(session: Session, slug: str, unit: str, *, tier: int = 2) -> str:
    catalogue_service.create_service(
        session,
        actor=SYSTEM,
        data=ServiceCreate(slug=slug, name=slug.title(), business_unit=unit, tier=tier),
        now=utc_now(),
    )
    return slug
