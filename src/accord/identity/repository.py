"""Every query of the identity domain."""

from __future__ import annotations

from sqlalchemy import select

from accord.db.repository import MAX_ID, Repository
from accord.identity.models import ApiToken, BusinessUnit, Principal, RoleGrant


class BusinessUnitRepository(Repository[BusinessUnit]):
    model = BusinessUnit

    def by_code(self, code: str) -> BusinessUnit | None:
        return self.find_by(code=code)

    def code_taken(self, code: str) -> bool:
        """Codes stay reserved after a soft delete: audit events and reports name them."""
        return (
            self.session.scalar(select(BusinessUnit.id).where(BusinessUnit.code == code))
            is not None
        )

    def all_live(self) -> list[BusinessUnit]:
        return list(self.session.scalars(self.live().order_by(BusinessUnit.code)))


class PrincipalRepository(Repository[Principal]):
    model = Principal

    def by_name(self, name: str) -> Principal | None:
        return self.find_by(name=name)

    def name_taken(self, name: str) -> bool:
        return self.session.scalar(select(Principal.id).where(Principal.name == name)) is not None

    def page(self, *, after: int | None, limit: int) -> list[Principal]:
        stmt = self.live().order_by(Principal.id).limit(limit)
        if after is not None:
            stmt = stmt.where(Principal.id > after)
        return list(self.session.scalars(stmt))

    def grants_of(self, principal_ids: list[int]) -> list[RoleGrant]:
        if not principal_ids:
            return []
        return list(
            self.session.scalars(
                select(RoleGrant)
                .where(RoleGrant.principal_id.in_(principal_ids))
                .order_by(RoleGrant.id)
            )
        )

    def find_grant(self, principal_id: int, role: str, unit_id: int | None) -> RoleGrant | None:
        stmt = select(RoleGrant).where(
            RoleGrant.principal_id == principal_id,
            RoleGrant.role == role,
            RoleGrant.business_unit_id.is_(None)
            if unit_id is None
            else RoleGrant.business_unit_id == unit_id,
        )
        return self.session.scalars(stmt).first()

    def grant(self, grant_id: int) -> RoleGrant | None:
        return self.session.get(RoleGrant, grant_id) if 0 < grant_id <= MAX_ID else None

    def add_grant(self, grant: RoleGrant) -> RoleGrant:
        self.session.add(grant)
        self.session.flush()
        return grant

    def delete_grant(self, grant: RoleGrant) -> None:
        self.session.delete(grant)
        self.session.flush()


class TokenRepository(Repository[ApiToken]):
    model = ApiToken

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return self.session.scalars(
            select(ApiToken).where(ApiToken.token_hash == token_hash)
        ).first()

    def of_principal(self, principal_id: int, *, include_revoked: bool) -> list[ApiToken]:
        stmt = select(ApiToken).where(ApiToken.principal_id == principal_id)
        if not include_revoked:
            stmt = stmt.where(ApiToken.revoked_at.is_(None))
        return list(self.session.scalars(stmt.order_by(ApiToken.id)))
