"""OpenSLO v1 in and out: `import_openslo` (drafts → objectives) and `export_openslo`.

Import is all or nothing. Three kinds of findings:

- problems: an SLO Accord cannot hold as written (a composite SLO, a threshold SLI, 1-minute
  time slices, a week that starts on a Saturday, an unknown catalogue service, ...). Any problem
  and nothing is written; every problem is reported at once.
- not imported: what Accord does not keep of an SLO it does import (annotations, multi-valued
  labels, ``counter``, alert policies, data sources, documents no SLO uses); each is reported by
  name, the import goes on.
- the objectives, created through the objectives service (one audit event each).

docs/integrations/openslo.md has the mapping both ways.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy.orm import Session

from accord.identity.rules import Actor
from accord.integrations.interop import (
    Planned,
    Services,
    chosen_objectives,
    create_objectives,
    nothing_exported,
    nothing_imported,
    plan,
    require_import,
    source_problem,
)
from accord.integrations.openslo.documents import (
    SLO,
    CalendarWindow,
    DataSource,
    DocumentRef,
    MetricQuery,
    ObjectiveDraft,
    OpenSloDocument,
    OpenSloError,
    RatioSli,
    RollingWindow,
    ThresholdSli,
    dump_openslo,
    from_drafts,
    parse_openslo,
    to_drafts,
)
from accord.kit.errors import FieldProblem, InvalidInput
from accord.objectives import schemas
from accord.objectives.enums import SliKind, SourceKind
from accord.objectives.rules import LABEL_NAME_PATTERN
from accord.objectives.schemas import ObjectiveOrigin, ObjectiveRead

SPEC = "openslo/v1"
SOURCE_TYPES: Mapping[SourceKind, str] = {
    SourceKind.PROMETHEUS: "Prometheus",
    SourceKind.DATADOG: "Datadog",
}
"""The OpenSLO metric source types Accord reads telemetry from (read case-insensitively)."""
QUERY_KEYS: Mapping[str, str] = {
    "good": "good_query",
    "bad": "error_query",
    "total": "total_query",
    "raw": "error_ratio_query",
}
"""Where each query of a ratio metric goes in an objective's ``queries``."""
CALENDAR_ANCHOR = datetime(2024, 1, 1)  # noqa: DTZ001  # OpenSLO's startTime is zone-less
"""The ``startTime`` exports write: a Monday, 1 January, so it starts a week, a month and a
quarter, as Accord's calendar periods do (the zone is the objective's)."""
_LABEL_NAME = re.compile(LABEL_NAME_PATTERN)


@dataclass(frozen=True)
class OpenSloImport:
    created: list[tuple[Planned, ObjectiveRead]]
    not_imported: list[str]
    """What was read and is not kept, each as ``<document>: <field>: <reason>``."""


@dataclass(frozen=True)
class OpenSloExport:
    text: str
    """A YAML stream: one Service document per service, then one SLO per objective."""
    left_out: list[str]
    """Keys of the objectives not exported because OpenSLO needs a query (pushed telemetry)."""


# ---------------------------------------------------------------------------------- import


def read_documents(files: Sequence[tuple[str, str]]) -> list[OpenSloDocument]:
    """Every document of the files ((name, text) pairs), in order."""
    try:
        return [d for name, text in files for d in parse_openslo(text, source=name)]
    except OpenSloError as error:
        raise _invalid(error) from error


def import_openslo(
    session: Session, *, actor: Actor, files: Sequence[tuple[str, str]], now: datetime
) -> OpenSloImport:
    """Create one objective per OpenSLO SLO of ``files`` ((name, text) pairs; references may
    cross files). Raises InvalidInput listing every problem, or `ImportFailed` when the
    objectives service refuses one; either way nothing is written."""
    require_import(actor)
    documents = read_documents(files)
    try:
        drafts, unsupported = to_drafts(documents)
    except OpenSloError as error:
        raise _invalid(error) from error
    slos = {d.origin: d for d in documents if isinstance(d, SLO) and d.origin is not None}
    rejected = set(slos) - {draft.origin for draft in drafts}
    problems = [
        FieldProblem(_at(u.document, u.field), u.reason)
        for u in unsupported
        if u.document in rejected
    ]
    notes = [str(u) for u in unsupported if u.document not in rejected]
    if not slos:
        problems.append(FieldProblem(", ".join(name for name, _ in files), "no SLO to import"))

    sources = {d.metadata.name: d.spec.type for d in documents if isinstance(d, DataSource)}
    services = Services(session, actor)
    planned: list[Planned] = []
    for draft in drafts:
        assert draft.origin is not None  # drafts of parsed documents know where they were read
        conversion = _Conversion(draft, slos[draft.origin], sources)
        data = conversion.objective()
        if not services.exists(draft.service):
            conversion.problem("spec.service", f"no catalogue service {draft.service!r}")
        problems += conversion.problems
        notes += conversion.notes
        # Validated even when the conversion found problems, so all are reported at once.
        item = plan(
            str(draft.origin),
            "spec",
            data,
            ObjectiveOrigin(spec=SPEC, service=draft.service),
            fields=_FIELDS,
            problems=problems,
        )
        if item is not None and not conversion.problems:
            planned.append(item)
    if problems:
        raise nothing_imported(problems)
    created = create_objectives(session, actor=actor, planned=planned, now=now)
    return OpenSloImport(created, notes)


_FIELDS = {
    "name": "metadata.name",
    "display_name": "metadata.displayName",
    "description": "spec.description",
    "target": "spec.objectives[0].target",
    "timeslice_seconds": "spec.objectives[0].timeSliceWindow",
    "timeslice_threshold": "spec.objectives[0].timeSliceTarget",
    "window": "spec.timeWindow[0]",
    "queries": "spec.indicator",
    "labels": "metadata.labels",
}
"""Where each objective field comes from in the SLO document."""


class _Conversion:
    """One draft to `ObjectiveCreate`'s fields, with what can't be held (problems) and what is
    not kept (notes), each naming the SLO document and the field."""

    def __init__(self, draft: ObjectiveDraft, slo: SLO, sources: Mapping[str, str]) -> None:
        self.draft = draft
        self.ref = draft.origin or DocumentRef("<drafts>")
        self.sources = sources
        ref = slo.spec.indicator_ref
        self.sli_path = "spec.indicator.spec" if ref is None else f"spec.indicatorRef ({ref})"
        self.problems: list[FieldProblem] = []
        self.notes: list[str] = []

    def problem(self, field: str, reason: str) -> None:
        self.problems.append(FieldProblem(_at(self.ref, field), reason))

    def note(self, field: str, reason: str) -> None:
        self.notes.append(f"{_at(self.ref, field)}: {reason}")

    def objective(self) -> dict[str, Any]:
        """`ObjectiveCreate`'s fields; where the SLI or the window can't be held (a problem),
        neutral stand-ins, so the other fields are still checked."""
        draft = self.draft
        source, queries = self.queries() or (SourceKind.PUSH, {})
        window = self.window() or {"kind": "rolling"}
        for name, values in draft.labels.items():
            if len(values) != 1:
                self.note(f"metadata.labels.{name}", "an objective's label holds one value")
            elif not _LABEL_NAME.fullmatch(name):
                self.note(f"metadata.labels.{name}", "not a Prometheus label name")
        if draft.alert_policies:
            self.note(
                "spec.alertPolicies",
                "OpenSLO alert policies are not imported: Accord alerts by its own multi-window "
                "burn-rate policy",
            )
        return {
            "service": draft.service,
            "name": draft.name,
            "display_name": draft.display_name,
            "description": draft.description or "",
            "sli_kind": SliKind.RATIO,
            "target": draft.target,
            "budgeting_method": draft.budgeting_method,
            "timeslice_seconds": draft.timeslice_seconds,
            "timeslice_threshold": draft.timeslice_target,
            "window": window,
            "source": source,
            "queries": queries,
            "labels": {
                name: values[0]
                for name, values in draft.labels.items()
                if len(values) == 1 and _LABEL_NAME.fullmatch(name)
            },
        }

    def queries(self) -> tuple[SourceKind, dict[str, str]] | None:
        sli = self.draft.sli
        if isinstance(sli, ThresholdSli):
            self.problem(
                f"{self.sli_path}.thresholdMetric",
                f"a threshold on each value ({sli.op} {sli.value}) is not an Accord SLI: "
                "Accord's SLIs are ratios of good to total events",
            )
            return None
        path = f"{self.sli_path}.ratioMetric"
        if sli.raw is not None and sli.raw_type == "success":
            self.problem(
                f"{path}.rawType", "a ratio of successes: Accord keeps error ratios (failure)"
            )
            return None
        kinds: set[SourceKind] = set()
        queries: dict[str, str] = {}
        for part, key in QUERY_KEYS.items():
            query: MetricQuery | None = getattr(sli, part)
            if query is None:
                continue
            at = f"{path}.{part}.metricSource"
            kind = self.source(query, at)
            if kind is None:
                continue
            kinds.add(kind)
            text = query.spec.get("query")
            if set(query.spec) != {"query"} or not isinstance(text, str) or not text:
                self.problem(f"{at}.spec", "Accord keeps one query text per metric (query)")
                continue
            queries[key] = text
        if len(kinds) > 1:
            self.problem(path, "its queries read different sources")
        if sli.counter is not None:
            self.note(
                f"{path}.counter",
                "Accord keeps the queries as written, not whether they return counters",
            )
        if self.problems:
            return None
        return kinds.pop(), queries

    def source(self, query: MetricQuery, at: str) -> SourceKind | None:
        declared = query.source_type
        if query.source_ref is not None:
            self.note(
                f"{at}.metricSourceRef",
                "DataSources are not imported: the query is kept with its source type",
            )
            declared = declared or self.sources.get(query.source_ref)
        kinds = {name.lower(): kind for kind, name in SOURCE_TYPES.items()}
        kind = kinds.get((declared or "").lower())
        if kind is None:
            reason = (
                f"{declared!r} is not a source Accord reads"
                if declared
                else f"no type, and no DataSource named {query.source_ref!r} says it"
            )
            self.problem(f"{at}.type", f"{reason} (Prometheus or Datadog)")
        return kind

    def window(self) -> dict[str, Any] | None:
        window = self.draft.window
        if isinstance(window, RollingWindow):
            return {"kind": "rolling", "days": window.days}
        start = window.start
        boundary = (
            start.time() == time(0)
            and {
                "week": start.weekday() == 0,
                "month": start.day == 1,
                "quarter": start.day == 1 and start.month in (1, 4, 7, 10),
            }[window.unit]
        )
        if not boundary:
            self.problem(
                "spec.timeWindow[0].calendar.startTime",
                f"a {window.unit} from {start:%A %Y-%m-%d %H:%M:%S} counts other periods than "
                "Accord's calendar, whose weeks start on Monday, months on the 1st and quarters "
                "on 1 January, April, July and October, at midnight",
            )
            return None
        return {"kind": "calendar", "unit": window.unit, "time_zone": window.time_zone}


# ---------------------------------------------------------------------------------- export


def export_openslo(session: Session, *, actor: Actor, keys: Sequence[str] = ()) -> OpenSloExport:
    """OpenSLO documents for the objectives ``keys`` name, or for every live objective that
    reads from a source (pushed telemetry has no query for OpenSLO). Raises InvalidInput naming
    every objective OpenSLO can't hold."""
    sources = frozenset(SOURCE_TYPES)
    objectives, others = chosen_objectives(session, actor=actor, keys=keys, sources=sources)
    problems = [source_problem(o, sources) for o in others] if keys else []
    drafts = []
    for objective in objectives:
        try:
            draft = objective_draft(objective)
            from_drafts([draft])  # checked alone, so a problem names its objective
        except OpenSloError as error:
            problems.append(FieldProblem(f"{objective.key}: {error.field}", error.reason))
        except ValueError as error:
            problems.append(FieldProblem(objective.key, str(error)))
        else:
            drafts.append(draft)
    if not objectives and not problems:
        problems.append(FieldProblem("objectives", "no live objective reads from a source"))
    if problems:
        raise nothing_exported(problems)
    return OpenSloExport(dump_openslo(from_drafts(drafts)), [o.key for o in others])


def objective_draft(objective: ObjectiveRead) -> ObjectiveDraft:
    """The OpenSLO view of an objective. Raises ValueError when its queries are not a ratio
    OpenSLO has (good/total, error/total, error ratio)."""
    window: RollingWindow | CalendarWindow
    if isinstance(objective.window, schemas.RollingWindow):
        window = RollingWindow(objective.window.days)
    else:
        window = CalendarWindow(
            objective.window.unit.value, objective.window.time_zone, CALENDAR_ANCHOR
        )
    return ObjectiveDraft(
        service=objective.service,
        name=objective.name,
        sli=_ratio(SOURCE_TYPES[objective.source], objective.queries),
        target=objective.target,
        budgeting_method=objective.budgeting_method.value,
        window=window,
        display_name=objective.display_name if objective.display_name != objective.name else None,
        description=objective.description or None,
        labels={name: [value] for name, value in objective.labels.items()},
        timeslice_target=objective.timeslice_threshold,
        timeslice_seconds=objective.timeslice_seconds,
    )


def _ratio(source_type: str, queries: Mapping[str, str]) -> RatioSli:
    shape = (
        f"queries {', '.join(sorted(queries))}: an OpenSLO ratio metric is good/total, "
        "bad/total or a raw error ratio"
    )
    if set(queries) - set(QUERY_KEYS.values()):
        raise ValueError(shape)
    metrics = {
        part: MetricQuery({"query": queries[key]}, source_type)
        for part, key in QUERY_KEYS.items()
        if key in queries
    }
    try:
        return RatioSli(
            total=metrics.get("total"),
            good=metrics.get("good"),
            bad=metrics.get("bad"),
            raw=metrics.get("raw"),
            raw_type="failure" if "raw" in metrics else None,
        )
    except ValueError:
        raise ValueError(shape) from None


def _at(document: DocumentRef, field: str) -> str:
    return f"{document}: {field}" if field else str(document)


def _invalid(error: OpenSloError) -> InvalidInput:
    problem = FieldProblem(_at(error.document, error.field or ""), error.reason)
    return InvalidInput(f"{error} (nothing imported)", problems=[problem])
