"""Every table of every domain, gathered so that `metadata` is complete.

Used by migrations' autogenerate and the model-vs-migration drift check; a composition root,
because it imports all domains.
"""

from __future__ import annotations

from accord.agreements import models as agreements_models
from accord.audit import models as audit_models
from accord.catalogue import models as catalogue_models
from accord.db.base import Base
from accord.identity import models as identity_models

DOMAIN_MODELS = (identity_models, audit_models, catalogue_models, agreements_models)
metadata = Base.metadata
