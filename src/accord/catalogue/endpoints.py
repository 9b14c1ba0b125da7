"""JSON API of the catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from accord.catalogue import service as catalogue_service
from accord.catalogue.schemas import (
    ContactCreate,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    DependencyCreate,
    RegionCreate,
    RegionRead,
    RegionUpdate,
    ServiceCreate,
    ServiceDependencies,
    ServiceFilter,
    ServiceRead,
    ServiceUpdate,
    TierRead,
    TierUpdate,
    VendorCreate,
    VendorRead,
    VendorUpdate,
)
from accord.http.deps import PageDep, SessionDep
from accord.http.problems import problem_responses
from accord.identity.deps import require
from accord.identity.rules import Actor, Permission
from accord.kit.pagination import Page, encode_cursor
from accord.kit.time import utc_now
from accord.kit.types import Code, Slug

router = APIRouter(tags=["catalogue"], responses=problem_responses(401, 403, 422, 503))

READ = Permission.CATALOGUE_READ
WRITE = Permission.CATALOGUE_WRITE
CodePath = Annotated[Code, Path()]
SlugPath = Annotated[Slug, Path()]
Level = Annotated[int, Path(ge=1, le=4)]


# ------------------------------------------------------------------------------------ regions


@router.get("/regions", response_model=list[RegionRead])
def list_regions(session: SessionDep, actor: Actor = require(READ)) -> list[RegionRead]:
    return catalogue_service.list_regions(session, actor=actor)


@router.post(
    "/regions",
    response_model=RegionRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def create_region(
    data: RegionCreate,
    session: SessionDep,
    response: Response,
    actor: Actor = require(WRITE, everywhere=True),
) -> RegionRead:
    region = catalogue_service.create_region(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/regions/{region.code}"
    return region


@router.get("/regions/{code}", response_model=RegionRead, responses=problem_responses(404))
def get_region(code: CodePath, session: SessionDep, actor: Actor = require(READ)) -> RegionRead:
    return catalogue_service.get_region(session, actor=actor, code=code)


@router.patch("/regions/{code}", response_model=RegionRead, responses=problem_responses(404))
def update_region(
    code: CodePath,
    data: RegionUpdate,
    session: SessionDep,
    actor: Actor = require(WRITE, everywhere=True),
) -> RegionRead:
    return catalogue_service.update_region(
        session, actor=actor, code=code, data=data, now=utc_now()
    )


# -------------------------------------------------------------------------------------- tiers


@router.get("/tiers", response_model=list[TierRead])
def list_tiers(session: SessionDep, actor: Actor = require(READ)) -> list[TierRead]:
    return catalogue_service.list_tiers(session, actor=actor)


@router.get("/tiers/{level}", response_model=TierRead, responses=problem_responses(404))
def get_tier(level: Level, session: SessionDep, actor: Actor = require(READ)) -> TierRead:
    return catalogue_service.get_tier(session, actor=actor, level=level)


@router.put("/tiers/{level}", response_model=TierRead, responses=problem_responses(404))
def replace_tier(
    level: Level,
    data: TierUpdate,
    session: SessionDep,
    actor: Actor = require(WRITE, everywhere=True),
) -> TierRead:
    return catalogue_service.replace_tier(
        session, actor=actor, level=level, data=data, now=utc_now()
    )


# ---------------------------------------------------------------------------------- customers


@router.get("/customers", response_model=Page[CustomerRead])
def list_customers(
    session: SessionDep,
    page: PageDep,
    business_unit: Code | None = None,
    actor: Actor = require(READ),
) -> Page[CustomerRead]:
    items, last = catalogue_service.list_customers(
        session, actor=actor, business_unit=business_unit, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/customers",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def create_customer(
    data: CustomerCreate, session: SessionDep, response: Response, actor: Actor = require(WRITE)
) -> CustomerRead:
    customer = catalogue_service.create_customer(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/customers/{customer.code}"
    return customer


@router.get("/customers/{code}", response_model=CustomerRead, responses=problem_responses(404))
def get_customer(code: CodePath, session: SessionDep, actor: Actor = require(READ)) -> CustomerRead:
    return catalogue_service.get_customer(session, actor=actor, code=code)


@router.patch("/customers/{code}", response_model=CustomerRead, responses=problem_responses(404))
def update_customer(
    code: CodePath, data: CustomerUpdate, session: SessionDep, actor: Actor = require(WRITE)
) -> CustomerRead:
    return catalogue_service.update_customer(
        session, actor=actor, code=code, data=data, now=utc_now()
    )


@router.post(
    "/customers/{code}/contacts",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
)
def add_customer_contact(
    code: CodePath, data: ContactCreate, session: SessionDep, actor: Actor = require(WRITE)
) -> CustomerRead:
    return catalogue_service.add_customer_contact(
        session, actor=actor, code=code, data=data, now=utc_now()
    )


@router.delete(
    "/customers/{code}/contacts/{principal}",
    response_model=CustomerRead,
    responses=problem_responses(404),
)
def remove_customer_contact(
    code: CodePath, principal: CodePath, session: SessionDep, actor: Actor = require(WRITE)
) -> CustomerRead:
    return catalogue_service.remove_customer_contact(
        session, actor=actor, code=code, principal=principal, now=utc_now()
    )


# ------------------------------------------------------------------------------------ vendors


@router.get("/vendors", response_model=Page[VendorRead])
def list_vendors(
    session: SessionDep, page: PageDep, actor: Actor = require(READ)
) -> Page[VendorRead]:
    items, last = catalogue_service.list_vendors(
        session, actor=actor, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/vendors",
    response_model=VendorRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def create_vendor(
    data: VendorCreate,
    session: SessionDep,
    response: Response,
    actor: Actor = require(WRITE, everywhere=True),
) -> VendorRead:
    vendor = catalogue_service.create_vendor(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/vendors/{vendor.code}"
    return vendor


@router.get("/vendors/{code}", response_model=VendorRead, responses=problem_responses(404))
def get_vendor(code: CodePath, session: SessionDep, actor: Actor = require(READ)) -> VendorRead:
    return catalogue_service.get_vendor(session, actor=actor, code=code)


@router.patch("/vendors/{code}", response_model=VendorRead, responses=problem_responses(404))
def update_vendor(
    code: CodePath,
    data: VendorUpdate,
    session: SessionDep,
    actor: Actor = require(WRITE, everywhere=True),
) -> VendorRead:
    return catalogue_service.update_vendor(
        session, actor=actor, code=code, data=data, now=utc_now()
    )


# ----------------------------------------------------------------------------------- services


@router.get("/services", response_model=Page[ServiceRead])
def list_services(
    session: SessionDep,
    page: PageDep,
    filters: Annotated[ServiceFilter, Depends()],
    actor: Actor = require(READ),
) -> Page[ServiceRead]:
    items, last = catalogue_service.list_services(
        session, actor=actor, filters=filters, after=page.after, limit=page.limit
    )
    return Page(items=items, next_cursor=encode_cursor(last) if last is not None else None)


@router.post(
    "/services",
    response_model=ServiceRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
)
def create_service(
    data: ServiceCreate, session: SessionDep, response: Response, actor: Actor = require(WRITE)
) -> ServiceRead:
    service = catalogue_service.create_service(session, actor=actor, data=data, now=utc_now())
    response.headers["Location"] = f"/api/v1/services/{service.slug}"
    return service


@router.get("/services/{slug}", response_model=ServiceRead, responses=problem_responses(404))
def get_service(slug: SlugPath, session: SessionDep, actor: Actor = require(READ)) -> ServiceRead:
    return catalogue_service.get_service(session, actor=actor, slug=slug)


@router.patch("/services/{slug}", response_model=ServiceRead, responses=problem_responses(404, 409))
def update_service(
    slug: SlugPath, data: ServiceUpdate, session: SessionDep, actor: Actor = require(WRITE)
) -> ServiceRead:
    return catalogue_service.update_service(
        session, actor=actor, slug=slug, data=data, now=utc_now()
    )


@router.get(
    "/services/{slug}/dependencies",
    response_model=ServiceDependencies,
    responses=problem_responses(404),
)
def get_dependencies(
    slug: SlugPath, session: SessionDep, actor: Actor = require(READ)
) -> ServiceDependencies:
    return catalogue_service.get_dependencies(session, actor=actor, slug=slug)


@router.post(
    "/services/{slug}/dependencies",
    response_model=ServiceDependencies,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
)
def add_dependency(
    slug: SlugPath, data: DependencyCreate, session: SessionDep, actor: Actor = require(WRITE)
) -> ServiceDependencies:
    return catalogue_service.add_dependency(
        session, actor=actor, slug=slug, data=data, now=utc_now()
    )


@router.delete(
    "/services/{slug}/dependencies/{depends_on}",
    response_model=ServiceDependencies,
    responses=problem_responses(404),
)
def remove_dependency(
    slug: SlugPath, depends_on: SlugPath, session: SessionDep, actor: Actor = require(WRITE)
) -> ServiceDependencies:
    return catalogue_service.remove_dependency(
        session, actor=actor, slug=slug, depends_on=depends_on, now=utc_now()
    )
