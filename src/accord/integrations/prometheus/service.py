"""Prometheus rules for stored objectives (`export_rules`): what ``sloth generate`` writes for
the same SLOs, through `rules.render_rules`.

An objective is rendered as Sloth sees an SLO: its service (the name its spec gave it when it
was imported, else its catalogue slug) and name make the ``sloth_id``; its target, queries,
labels and alerting are used as stored; its rolling window is the SLO period. A plain rule file
is one YAML document, because Prometheus reads only the first document of a rule file (Sloth
writes one per spec); with ``kubernetes`` each Kubernetes object the objectives were imported
in becomes one ``PrometheusRule`` document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from accord.identity.rules import Actor
from accord.integrations.interop import chosen_objectives, nothing_exported, source_problem
from accord.integrations.prometheus.rules import (
    Alerting,
    AlertSpec,
    AlertWindows,
    EventsSli,
    Generator,
    KubernetesMeta,
    PrometheusSlo,
    RawSli,
    good_total_sli,
    query_problem,
    render_rules,
)
from accord.integrations.sloth.specs import PROMETHEUS_SPEC, SLOTH_CLI_MODES
from accord.kit.errors import FieldProblem, InvalidInput
from accord.objectives import schemas
from accord.objectives.enums import SourceKind
from accord.objectives.schemas import ObjectiveRead, RollingWindow


def export_rules(
    session: Session,
    *,
    actor: Actor,
    keys: Sequence[str] = (),
    period: timedelta | None = None,
    windows: Sequence[AlertWindows] | None = None,
    extra_labels: Mapping[str, str] | None = None,
    recordings: bool = True,
    alerts: bool = True,
    kubernetes: bool = False,
    sloth_version: str | None = None,
) -> str:
    """The rule file for the objectives ``keys`` name, or for every live Prometheus objective.

    ``period`` replaces every objective's window as the SLO period (Sloth's
    ``--default-slo-period``; objectives with a calendar window need one). ``windows``, the
    alert windows per period (default: the Google 30d and 28d sets), ``extra_labels``,
    ``recordings`` and ``alerts`` are `render_rules`'. ``sloth_version`` writes the
    ``sloth_slo_info`` labels ``sloth generate`` of that version would (its mode for each
    objective's spec) instead of Accord's, so a diff against Sloth's own output shows only the
    header. Raises InvalidInput naming every objective that can't be rendered.
    """
    sources = frozenset({SourceKind.PROMETHEUS})
    objectives, others = chosen_objectives(session, actor=actor, keys=keys, sources=sources)
    # Named objectives of another source are refused; unnamed ones are simply not Prometheus'.
    problems = [source_problem(o, sources) for o in others] if keys else []
    slos: list[tuple[ObjectiveRead, PrometheusSlo]] = []
    for objective in objectives:
        try:
            slos.append((objective, prometheus_slo(objective, period)))
        except ValueError as error:
            problems.append(FieldProblem(objective.key, str(error)))
    if not objectives and not problems:
        problems.append(FieldProblem("objectives", "no live objective reads from Prometheus"))

    # One document: every SLO; with kubernetes, one per object (by its JSON: models with
    # mappings can't be dictionary keys), in order of first appearance.
    groups: dict[str, tuple[schemas.KubernetesObject | None, list[PrometheusSlo]]] = {}
    for objective, slo in slos:
        meta = objective.origin.kubernetes if objective.origin is not None else None
        if not kubernetes:
            meta = None
        elif meta is None:
            problems.append(
                FieldProblem(
                    objective.key,
                    "it was not imported from a Kubernetes PrometheusServiceLevel, so there is "
                    "no PrometheusRule to put it in (export it without --kubernetes)",
                )
            )
        key = meta.model_dump_json() if meta is not None else ""
        groups.setdefault(key, (meta, []))[1].append(slo)
    if problems:
        raise nothing_exported(problems)

    specs = {slo.id: _spec(objective) for objective, slo in slos}

    def generator(slo: PrometheusSlo) -> Generator:
        spec = specs[slo.id]
        if sloth_version is None:
            return Generator(spec=spec or "accord")
        # As sloth generate would write it for the spec the SLO came in (prometheus/v1 for
        # objectives defined in Accord, or read from OpenSLO v1, which Sloth does not read).
        sloth_spec = spec if spec is not None and spec in SLOTH_CLI_MODES else PROMETHEUS_SPEC
        return Generator(sloth_version, SLOTH_CLI_MODES[sloth_spec], sloth_spec)

    try:
        return "".join(
            render_rules(
                group,
                windows=windows,
                extra_labels=extra_labels,
                recordings=recordings,
                alerts=alerts,
                generator=generator,
                kubernetes=_kubernetes(meta, sloth_version is not None),
            )
            for meta, group in groups.values()
        )
    except ValueError as error:
        raise InvalidInput.field("objectives", str(error)) from error


def prometheus_slo(objective: ObjectiveRead, period: timedelta | None = None) -> PrometheusSlo:
    """The SLO Sloth would read for ``objective``; ``period`` replaces its window. Raises
    ValueError when Sloth's rules can't express it (a calendar window without ``period``, a
    name or a query Sloth refuses)."""
    if period is None:
        if not isinstance(objective.window, RollingWindow):
            raise ValueError(
                f"a calendar {objective.window.unit.value} has no fixed length for rolling "
                "Prometheus rules: give the period to render it over (--period)"
            )
        period = timedelta(days=objective.window.days)
    origin = objective.origin
    return PrometheusSlo(
        service=origin.service if origin is not None else objective.service,
        name=objective.name,
        objective_percent=objective.target * 100,
        sli=_sli(objective.queries),
        description=objective.description,
        labels=objective.labels,
        alerting=_alerting(objective.alerting),
        period=period,
    )


def _sli(queries: Mapping[str, str]) -> EventsSli | RawSli:
    for key, query in queries.items():  # named as stored, before any is rewritten
        problem = query_problem(query)
        if problem:
            raise ValueError(f"{key}: {problem}")
    if "error_ratio_query" in queries:
        return RawSli(queries["error_ratio_query"])
    if "good_query" in queries:
        return good_total_sli(queries["good_query"], queries["total_query"])
    return EventsSli(queries["error_query"], queries["total_query"])


def _alerting(alerting: schemas.Alerting) -> Alerting:
    def spec(alert: schemas.AlertSpec) -> AlertSpec:
        return AlertSpec(alert.disable, alert.labels, alert.annotations)

    return Alerting(
        name=alerting.name,
        labels=alerting.labels,
        annotations=alerting.annotations,
        page=spec(alerting.page_alert),
        ticket=spec(alerting.ticket_alert),
    )


def _spec(objective: ObjectiveRead) -> str | None:
    return objective.origin.spec if objective.origin is not None else None


def _kubernetes(meta: schemas.KubernetesObject | None, as_sloth: bool) -> KubernetesMeta | None:
    if meta is None:
        return None
    return KubernetesMeta(
        name=meta.name,
        namespace=meta.namespace,
        labels=meta.labels,
        annotations=meta.annotations,
        managed_by="sloth" if as_sloth else "accord",
    )
