"""Every table of every domain, gathered so that `metadata` is complete.

Used by migrations' autogenerate and the model-vs-migration drift check; a composition root,
because it imports all domains.
"""

from __future__ import annotations

from accord.agreements import models as agreements_models
from accord.audit import models as audit_models
from accord.calendars import models as calendars_models
from accord.catalogue import models as catalogue_models
from accord.compliance import models as compliance_models
from accord.db.base import Base
from accord.exclusions import models as exclusions_models
from accord.identity import models as identity_models
from accord.objectives import models as objectives_models
from accord.telemetry import models as telemetry_models
from accord.telemetry.ingestion import models as ingestion_models
from accord.telemetry.pulls import models as pulls_models
from accord.telemetry.reconciliation import models as reconciliation_models
from accord.telemetry.sources import models as sources_models
from accord.timers import models as timers_models

DOMAIN_MODELS = (
    identity_models,
    audit_models,
    catalogue_models,
    calendars_models,
    agreements_models,
    objectives_models,
    telemetry_models,
    sources_models,
    ingestion_models,
    pulls_models,
    reconciliation_models,
    exclusions_models,
    timers_models,
    compliance_models,
)
metadata = Base.metadata
