"""Sloth specs in as objectives (`import_sloth`).

Each SLO of each document becomes one objective of the catalogue service the spec names (or of
the one the caller chooses), with its queries, labels and alerting kept as read and its origin
(spec kind, Sloth service name, Kubernetes object) recorded, so that `accord export
prometheus-rules` writes back the rules ``sloth generate`` writes for it. All or nothing.

Budgeting: Sloth judges an SLO by its period rule, ``slo:sli_error:ratio_rate<period>``, the
mean of the 5-minute error ratios over the period (docs/integrations/prometheus-rules.md). The
imported objective gets the same method, ratio timeslices of 5 minutes, so Accord's figures
agree with what Sloth's rules and dashboards showed; `SLOTH_BUDGETING` says so in one sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from accord.identity.rules import Actor
from accord.integrations.interop import (
    Planned,
    Services,
    create_objectives,
    nothing_imported,
    plan,
    require_import,
)
from accord.integrations.prometheus.rules import (
    GOOGLE_30D,
    Alerting,
    AlertSpec,
    EventsSli,
    PrometheusSlo,
    format_duration,
)
from accord.integrations.sloth.specs import (
    KUBERNETES_SPEC,
    OPENSLO_SPEC,
    SlothDocument,
    SpecError,
    parse_sloth,
    to_prometheus_slos,
)
from accord.kit.errors import FieldProblem, InvalidInput
from accord.objectives.enums import BudgetingMethod, SliKind, SourceKind
from accord.objectives.schemas import KubernetesObject, ObjectiveOrigin, ObjectiveRead

DEFAULT_PERIOD = timedelta(days=30)
"""Sloth's default SLO period (``--default-slo-period``)."""
SLICE = GOOGLE_30D.page_quick.short
"""The window whose ratios Sloth's period rule averages: the shortest alert window, 5 minutes."""
SLOTH_BUDGETING = (
    f"budgeting: ratio timeslices of {format_duration(SLICE)}, the mean of the "
    f"{format_duration(SLICE)} error ratios over the period, as Sloth's period rules compute "
    "it (Accord's default, occurrences, would weigh requests instead of time)"
)


@dataclass(frozen=True)
class SlothImport:
    created: list[tuple[Planned, ObjectiveRead]]
    """Each objective with where it was read, in the order of the files."""
    ignored: list[str]
    """Fields Sloth does not know and ignores (so Accord does too), as ``<document>: <path>``."""


def read_specs(files: Iterable[tuple[str, str]]) -> list[SlothDocument]:
    """Every document of the files ((name, text) pairs); SLO ids unique across all of them."""
    try:
        documents = [d for name, text in files for d in parse_sloth(text, source=name)]
        to_prometheus_slos(documents)
    except SpecError as error:
        field = f"{error.document}: {error.field}" if error.field else error.document
        problem = FieldProblem(field, error.problem)
        raise InvalidInput(f"{error} (nothing imported)", problems=[problem]) from error
    return documents


def import_sloth(
    session: Session,
    *,
    actor: Actor,
    files: Sequence[tuple[str, str]],
    service: str | None = None,
    period: timedelta = DEFAULT_PERIOD,
    now: datetime,
) -> SlothImport:
    """Create one objective per SLO of the Sloth specs in ``files`` ((name, text) pairs).

    The spec's ``service`` is a catalogue service slug, unless ``service`` names the catalogue
    service every SLO goes into (the rules keep the spec's name). ``period`` is the window of
    SLOs whose spec has none (all but OpenSLO ones), as Sloth's ``--default-slo-period``.
    Raises InvalidInput listing every problem found, or `ImportFailed` when the objectives
    service refuses one; either way nothing is written.
    """
    require_import(actor)
    if period % timedelta(days=1) or not timedelta(0) < period <= timedelta(days=366):
        raise InvalidInput.field(
            "period", f"{format_duration(period)}: Accord's windows are 1 to 366 whole days"
        )
    documents = read_specs(files)
    services = Services(session, actor)
    if service is not None and not services.exists(service):
        raise InvalidInput.field("service", f"no catalogue service {service!r}")
    problems: list[FieldProblem] = []
    planned: list[Planned] = []
    for document in documents:
        slug = service
        if slug is None:
            slug = document.slos[0].service  # one service per document
            if not services.exists(slug):
                problems.append(
                    FieldProblem(
                        f"{document.document}: {_fields(document, 0)['service']}",
                        f"no catalogue service {slug!r}: create it first, or import into an "
                        "existing service with --service",
                    )
                )
                continue
        for position, slo in enumerate(document.slos):
            fields = _fields(document, position)
            if slo.objective_percent == 100:
                problems.append(
                    FieldProblem(
                        f"{document.document}: {fields['target']}",
                        "an objective of 100 leaves no error budget: Accord's targets lie "
                        "below 100 %",
                    )
                )
                continue
            item = plan(
                document.document,
                fields["path"],
                _objective(slo, slug, slo.period or period),
                _origin(document, slo),
                fields=fields,
                problems=problems,
            )
            if item is not None:
                planned.append(item)
    if problems:
        raise nothing_imported(problems)
    created = create_objectives(session, actor=actor, planned=planned, now=now)
    ignored = [f"{d.document}: {path}" for d in documents for path in d.ignored]
    return SlothImport(created, ignored)


def _fields(document: SlothDocument, position: int) -> dict[str, str]:
    """Where each objective field was read in the document (``path``: the SLO itself)."""
    if document.spec == OPENSLO_SPEC:
        slo = f"spec.objectives[{position}]"
        return {
            "path": slo,
            "service": "spec.service",
            "name": "metadata.name",
            "description": "spec.description",
            "target": f"{slo}.target",
            "queries": f"{slo}.ratioMetrics",
            "window": "spec.timeWindows[0].count",
        }
    slo = f"{'spec.' if document.spec == KUBERNETES_SPEC else ''}slos[{position}]"
    return {
        "path": slo,
        "service": f"{'spec.' if document.spec == KUBERNETES_SPEC else ''}service",
        "name": f"{slo}.name",
        "description": f"{slo}.description",
        "target": f"{slo}.objective",
        "queries": f"{slo}.sli",
        "labels": f"{slo}.labels",
        "alerting": f"{slo}.alerting",
        "window": "period",
    }


def _objective(slo: PrometheusSlo, service: str, period: timedelta) -> dict[str, Any]:
    """`ObjectiveCreate`'s fields for a Sloth SLO."""
    if isinstance(slo.sli, EventsSli):
        queries = {"error_query": slo.sli.error_query, "total_query": slo.sli.total_query}
    else:
        queries = {"error_ratio_query": slo.sli.error_ratio_query}
    return {
        "service": service,
        "name": slo.name,
        "description": slo.description,
        "sli_kind": SliKind.RATIO,
        "target": slo.objective_percent / Decimal(100),
        "budgeting_method": BudgetingMethod.RATIO_TIMESLICES,
        "timeslice_seconds": int(SLICE.total_seconds()),
        "window": {"kind": "rolling", "days": period.days},
        "source": SourceKind.PROMETHEUS,
        "queries": queries,
        "labels": dict(slo.labels),
        "alerting": _alerting(slo.alerting),
    }


def _alerting(alerting: Alerting) -> dict[str, Any]:
    def spec(alert: AlertSpec) -> dict[str, Any]:
        return {
            "disable": alert.disable,
            "labels": dict(alert.labels),
            "annotations": dict(alert.annotations),
        }

    return {
        "name": alerting.name,
        "labels": dict(alerting.labels),
        "annotations": dict(alerting.annotations),
        "page_alert": spec(alerting.page),
        "ticket_alert": spec(alerting.ticket),
    }


def _origin(document: SlothDocument, slo: PrometheusSlo) -> ObjectiveOrigin:
    meta = document.kubernetes
    return ObjectiveOrigin(
        spec=document.spec,
        service=slo.service,
        kubernetes=KubernetesObject(
            name=meta.name,
            namespace=meta.namespace,
            labels=dict(meta.labels),
            annotations=dict(meta.annotations),
        )
        if meta is not None
        else None,
    )
