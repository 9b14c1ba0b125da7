"""OpenSLO v1 documents: typed parsing, validation, serialisation and conversion to drafts.

The models mirror the OpenSLO v1 specification (``OpenSLO/OpenSLO`` README) and the rules of its
reference implementation (``OpenSLO/go-sdk``, ``pkg/openslo/v1``); docs/integrations/openslo.md
lists every rule and every place where the two differ and which one is followed here.

- :func:`parse_openslo` reads a YAML file (one document, several ``---`` documents, or a list of
  documents) into typed documents; every problem raises :class:`OpenSloError` naming the file,
  the document and the field.
- :func:`dump_openslo` writes documents back as YAML: exactly the fields that were read, nothing
  added, nothing lost.
- :func:`to_drafts` turns SLOs (with the SLIs, services and alert policies they refer to) into
  :class:`ObjectiveDraft` values, the neutral shape of an Accord objective, and lists everything
  Accord cannot express as :class:`Unsupported`; :func:`from_drafts` writes drafts as OpenSLO.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, TypeAlias, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

API_VERSION = "openslo/v1"

# ---------------------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class DocumentRef:
    """Where a document comes from: the file (``source``), its position among the file's
    documents (``index``, from 0), its kind and name when known and the line it starts on."""

    source: str
    index: int | None = None
    kind: str | None = None
    name: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        text = self.source
        if self.index is not None:
            text += f"[{self.index}]"
        if self.kind:
            text += f" {self.kind}"
        if self.name:
            text += f" {self.name!r}"
        if self.line is not None:
            text += f" (line {self.line})"
        return text


class OpenSloError(ValueError):
    """An OpenSLO file that cannot be read: invalid YAML, an unknown or missing field, a value
    or a combination of fields the specification does not allow, or a reference that does not
    resolve. ``field`` is a path such as ``spec.objectives[0].target`` (None for a problem with
    the file as a whole, such as invalid YAML)."""

    def __init__(self, document: DocumentRef, field: str | None, reason: str) -> None:
        self.document = document
        self.field = field
        self.reason = reason
        super().__init__(f"{document}: {field}: {reason}" if field else f"{document}: {reason}")


def _rule(field: str, message: str) -> PydanticCustomError:
    """A broken cross-field rule; ``field`` is relative to the model that checks it, so the error
    names the exact field rather than the object holding it (see ``_error_path``)."""
    return PydanticCustomError(
        "openslo_rule", "{field}: {message}", {"field": field, "message": message}
    )


# ---------------------------------------------------------------------------- scalar field types

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
# Label keys and the name part of annotation keys (spec: General Schema notes).
_KEY_NAME = re.compile(r"[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?")
_DNS_SUBDOMAIN = re.compile(
    r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*"
)
_DURATION = re.compile(r"([0-9]+)([mhdwMQY])")
_START_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_START_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_UNIT_SECONDS = {"m": 60, "h": 3_600, "d": 86_400, "w": 7 * 86_400}
"""Units with a fixed length; months, quarters and years (M, Q, Y) have none."""


def _dns_label(value: object) -> str:
    if not isinstance(value, str) or not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            "must be a DNS-1123 label: at most 63 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit"
        )
    return value


def _number(value: object) -> object:
    """YAML numbers arrive as ``int`` or ``Decimal`` (see ``_Loader``); floats only from Python
    callers. Booleans and strings are not numbers, whatever lax parsing would make of them."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value) if isinstance(value, int) else value


def _duration(value: object) -> str:
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match is not None and int(match[1]) > 0:
            return value
    raise ValueError(
        "must be a duration shorthand: a positive whole number and one of the units "
        "m, h, d, w, M, Q, Y (e.g. 5m, 28d, 1M)"
    )


def _time_slice_window(value: object) -> int | str:
    # The spec allows a bare number of minutes as well as a duration shorthand.
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("must be a positive number of minutes or a duration shorthand")
        return value
    return _duration(value)


def _label_value(value: object) -> str | list[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise ValueError("a label value must be a string or a list of strings")


DnsLabel = Annotated[str, PlainValidator(_dns_label)]
Number = Annotated[Decimal, BeforeValidator(_number)]
Duration = Annotated[str, PlainValidator(_duration)]
TimeSliceWindow = Annotated[int | str, PlainValidator(_time_slice_window)]
LabelValue = Annotated[str | list[str], PlainValidator(_label_value)]
Description = Annotated[str, Field(max_length=1050)]
DisplayName = Annotated[str, Field(max_length=63)]
Required = Annotated[str, Field(min_length=1)]
Operator = Literal["lt", "lte", "gt", "gte"]
BudgetingMethodName = Literal["Occurrences", "Timeslices", "RatioTimeslices"]


# -------------------------------------------------------------------------------------- models


class _Model(BaseModel):
    """camelCase on the wire, unknown fields refused by name, no lax coercion (a quoted
    ``"0.99"`` is not a number, ``"true"`` is not a boolean), immutable once read."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        hide_input_in_errors=True,
    )


class Metadata(_Model):
    name: DnsLabel
    display_name: DisplayName | None = None
    labels: dict[str, LabelValue] | None = None
    annotations: dict[str, str] | None = None

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, labels: dict[str, Any] | None) -> dict[str, Any] | None:
        for key in labels or {}:
            if not _KEY_NAME.fullmatch(key):
                raise ValueError(
                    f"label key {key!r} must have at most 63 letters, digits, '-', '_' or '.', "
                    "starting and ending with a letter or digit"
                )
        return labels

    @field_validator("annotations")
    @classmethod
    def _annotation_keys(cls, annotations: dict[str, str] | None) -> dict[str, str] | None:
        for key in annotations or {}:
            prefix, _, name = key.rpartition("/")
            if not _KEY_NAME.fullmatch(name) or (
                prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix))
            ):
                raise ValueError(
                    f"annotation key {key!r} must be an optional DNS subdomain prefix and '/', "
                    "then a name of at most 63 letters, digits, '-', '_' or '.'"
                )
        return annotations


class MetricSource(_Model):
    metric_source_ref: DnsLabel | None = None
    type: Required | None = None
    spec: Annotated[dict[str, Any], Field(min_length=1)]

    @model_validator(mode="after")
    def _source(self) -> MetricSource:
        # Without a DataSource to infer it from, the type must be given (spec: SLI notes).
        if self.metric_source_ref is None and self.type is None:
            raise _rule("type", "type or metricSourceRef is required")
        return self


class MetricSpec(_Model):
    metric_source: MetricSource


class RatioMetric(_Model):
    counter: bool | None = None
    good: MetricSpec | None = None
    bad: MetricSpec | None = None
    total: MetricSpec | None = None
    raw_type: Literal["success", "failure"] | None = None
    raw: MetricSpec | None = None

    @model_validator(mode="after")
    def _shape(self) -> RatioMetric:
        if self.total is not None and self.raw is not None:
            raise _rule("raw", "cannot be used with total")
        if self.raw is not None:
            for name in ("good", "bad"):
                if getattr(self, name) is not None:
                    raise _rule(name, "cannot be used with raw")
            if self.raw_type is None:
                raise _rule("rawType", "is required with raw")
        elif self.total is not None:
            if self.good is not None and self.bad is not None:
                raise _rule("bad", "cannot be used with good")
            if self.good is None and self.bad is None:
                raise _rule("good", "good or bad is required with total")
            if self.raw_type is not None:
                raise _rule("rawType", "is only used with raw")
        else:
            raise _rule("total", "total (with good or bad) or raw (with rawType) is required")
        return self


class SliSpec(_Model):
    description: Description | None = None
    threshold_metric: MetricSpec | None = None
    ratio_metric: RatioMetric | None = None

    @model_validator(mode="after")
    def _one_metric(self) -> SliSpec:
        if self.threshold_metric is not None and self.ratio_metric is not None:
            raise _rule("ratioMetric", "cannot be used with thresholdMetric")
        if self.threshold_metric is None and self.ratio_metric is None:
            raise _rule("ratioMetric", "thresholdMetric or ratioMetric is required")
        return self


class InlineIndicator(_Model):
    """An SLI written inside an SLO (or inside one of a composite SLO's objectives)."""

    metadata: Metadata
    spec: SliSpec


class Objective(_Model):
    display_name: str | None = None
    op: Operator | None = None
    value: Number | None = None
    target: Annotated[Number, Field(ge=0, lt=1)] | None = None
    target_percent: Annotated[Number, Field(ge=0, lt=100)] | None = None
    time_slice_target: Annotated[Number, Field(gt=0, le=1)] | None = None
    time_slice_window: TimeSliceWindow | None = None
    indicator: InlineIndicator | None = None
    indicator_ref: DnsLabel | None = None
    composite_weight: Annotated[Number, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _target(self) -> Objective:
        if self.target is not None and self.target_percent is not None:
            raise _rule("targetPercent", "cannot be used with target")
        if self.target is None and self.target_percent is None:
            raise _rule("target", "target or targetPercent is required")
        if self.indicator is not None and self.indicator_ref is not None:
            raise _rule("indicatorRef", "cannot be used with indicator")
        return self


class Calendar(_Model):
    start_time: str
    time_zone: str

    @field_validator("start_time")
    @classmethod
    def _start_time(cls, value: str) -> str:
        try:
            if not _START_TIME.fullmatch(value):
                raise ValueError
            datetime.strptime(value, _START_TIME_FORMAT)  # noqa: DTZ007  # a local time, by spec
        except ValueError:
            raise ValueError(
                "must be a date and time without zone, 'YYYY-MM-DD HH:MM:SS'"
            ) from None
        return value

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone name") from None
        return value


class TimeWindow(_Model):
    duration: Duration
    is_rolling: bool | None = None
    calendar: Calendar | None = None

    @model_validator(mode="after")
    def _kind(self) -> TimeWindow:
        if self.is_rolling and self.calendar is not None:
            raise _rule("calendar", "cannot be set when isRolling is true")
        if not self.is_rolling and self.calendar is None:
            raise _rule("calendar", "is required when isRolling is false or absent")
        return self


class AlertConditionType(_Model):
    kind: Literal["burnrate"] | None = None
    """The spec's only kind, and its default."""
    op: Operator | None = None
    threshold: Number
    lookback_window: Duration
    alert_after: Duration | None = None


class AlertConditionSpec(_Model):
    description: Description | None = None
    severity: Required
    condition: AlertConditionType


class AlertNotificationTargetSpec(_Model):
    description: Description | None = None
    target: Required


def _inline_or_ref(item: BaseModel, ref: str, kind: str) -> None:
    """Items of ``conditions``, ``notificationTargets`` and ``alertPolicies`` either name another
    document (``ref``) or carry one inline: kind, metadata and spec, all three."""
    values = item.__dict__
    inline = [name for name in ("kind", "metadata", "spec") if values[name] is not None]
    ref_alias = to_camel(ref)
    if values[ref] is not None:
        if inline:
            raise _rule(inline[0], f"cannot be used with {ref_alias}")
        return
    if not inline:
        raise _rule(
            ref_alias, f"{ref_alias} or an inline {kind} (kind, metadata, spec) is required"
        )
    for name in ("kind", "metadata", "spec"):
        if values[name] is None:
            raise _rule(name, f"is required in an inline {kind}")


class PolicyCondition(_Model):
    condition_ref: DnsLabel | None = None
    kind: Literal["AlertCondition"] | None = None
    metadata: Metadata | None = None
    spec: AlertConditionSpec | None = None

    @model_validator(mode="after")
    def _inline_or_ref(self) -> PolicyCondition:
        _inline_or_ref(self, "condition_ref", "AlertCondition")
        return self


class PolicyNotificationTarget(_Model):
    target_ref: DnsLabel | None = None
    kind: Literal["AlertNotificationTarget"] | None = None
    metadata: Metadata | None = None
    spec: AlertNotificationTargetSpec | None = None

    @model_validator(mode="after")
    def _inline_or_ref(self) -> PolicyNotificationTarget:
        _inline_or_ref(self, "target_ref", "AlertNotificationTarget")
        return self


class AlertPolicySpec(_Model):
    description: Description | None = None
    alert_when_no_data: bool | None = None
    alert_when_resolved: bool | None = None
    alert_when_breaching: bool | None = None
    # A list "for future-proofing" that holds exactly one condition (spec: AlertPolicy notes).
    conditions: Annotated[list[PolicyCondition], Field(min_length=1, max_length=1)]
    notification_targets: Annotated[list[PolicyNotificationTarget], Field(min_length=1)]


class SloAlertPolicy(_Model):
    alert_policy_ref: DnsLabel | None = None
    kind: Literal["AlertPolicy"] | None = None
    metadata: Metadata | None = None
    spec: AlertPolicySpec | None = None

    @model_validator(mode="after")
    def _inline_or_ref(self) -> SloAlertPolicy:
        _inline_or_ref(self, "alert_policy_ref", "AlertPolicy")
        return self


def _objectives_problem(
    objectives: Sequence[Objective], sli: SliSpec, first: int = 0
) -> tuple[str, str] | None:
    """The rules tying objectives to the kind of their SLI, as ``(field, message)`` with the
    field relative to the SLO's spec (``first`` is the index of ``objectives[0]`` there).
    Checked when the SLO is read for an inline SLI, and by :func:`to_drafts` once an
    ``indicatorRef`` is resolved.

    A thresholdMetric needs op and value and allows one objective (spec: SLO notes). A
    ratioMetric refuses value: it would compare nothing. It tolerates op, which earlier go-sdk
    versions wrote there (their own SLO example, our reference fixture, carries ``op: gt``);
    :func:`to_drafts` reports it unsupported rather than dropping it silently."""
    if sli.threshold_metric is not None:
        if len(objectives) > 1:
            return "objectives", "a thresholdMetric SLI allows only one objective"
        for name in ("op", "value"):
            if getattr(objectives[0], name) is None:
                return f"objectives[{first}].{name}", "is required with a thresholdMetric SLI"
    else:
        for i, objective in enumerate(objectives, start=first):
            if objective.value is not None:
                return f"objectives[{i}].value", "is only used with a thresholdMetric SLI"
    return None


class SloSpec(_Model):
    description: Description | None = None
    service: Required
    indicator: InlineIndicator | None = None
    indicator_ref: DnsLabel | None = None
    budgeting_method: BudgetingMethodName
    # The spec writes a list but allows exactly one window.
    time_window: Annotated[list[TimeWindow], Field(min_length=1, max_length=1)]
    objectives: Annotated[list[Objective], Field(min_length=1)]
    alert_policies: list[SloAlertPolicy] | None = None

    @property
    def is_composite(self) -> bool:
        """Each objective brings its own SLI (and weight) instead of the SLO having one."""
        return any(o.indicator is not None or o.indicator_ref is not None for o in self.objectives)

    @model_validator(mode="after")
    def _rules(self) -> SloSpec:
        if self.indicator is not None and self.indicator_ref is not None:
            raise _rule("indicatorRef", "cannot be used with indicator")
        has_indicator = self.indicator is not None or self.indicator_ref is not None
        if self.is_composite and has_indicator:
            raise _rule(
                "indicator",
                "cannot be used when objectives carry their own indicator (a composite SLO)",
            )
        if not self.is_composite and not has_indicator:
            raise _rule("indicator", "indicator or indicatorRef is required")
        for i, objective in enumerate(self.objectives):
            if self.budgeting_method == "Timeslices" and objective.time_slice_target is None:
                raise _rule(f"objectives[{i}].timeSliceTarget", "is required with Timeslices")
            if self.budgeting_method != "Occurrences" and objective.time_slice_window is None:
                raise _rule(
                    f"objectives[{i}].timeSliceWindow", f"is required with {self.budgeting_method}"
                )
            if objective.indicator is not None:
                problem = _objectives_problem([objective], objective.indicator.spec, first=i)
                if problem:
                    raise _rule(*problem)
        if self.indicator is not None:
            problem = _objectives_problem(self.objectives, self.indicator.spec)
            if problem:
                raise _rule(*problem)
        return self


class ServiceSpec(_Model):
    description: Description | None = None


class DataSourceSpec(_Model):
    description: Description | None = None
    type: Required
    connection_details: Any
    """Anything YAML can hold (spec: DataSource); only its presence is checked."""

    @field_validator("connection_details")
    @classmethod
    def _present(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("is required")
        return value


class _Document(_Model):
    api_version: Literal["openslo/v1"]
    kind: str  # narrowed to its Literal by each kind; declared here to keep the spec's key order
    metadata: Metadata
    # Where the document was read from: reported by to_drafts, never part of its value.
    _origin: DocumentRef | None = PrivateAttr(default=None)

    @property
    def origin(self) -> DocumentRef | None:
        """The file, position and line the document was read from (``<drafts>`` when written
        by :func:`from_drafts`; None when built in code)."""
        return self._origin

    def __eq__(self, other: object) -> bool:
        # Two equal documents read from different files are still equal.
        return type(self) is type(other) and self.__dict__ == other.__dict__


class Service(_Document):
    kind: Literal["Service"]
    spec: ServiceSpec = ServiceSpec()


class SLI(_Document):
    kind: Literal["SLI"]
    spec: SliSpec


class SLO(_Document):
    kind: Literal["SLO"]
    spec: SloSpec


class DataSource(_Document):
    kind: Literal["DataSource"]
    spec: DataSourceSpec


class AlertPolicy(_Document):
    kind: Literal["AlertPolicy"]
    spec: AlertPolicySpec


class AlertCondition(_Document):
    kind: Literal["AlertCondition"]
    spec: AlertConditionSpec


class AlertNotificationTarget(_Document):
    kind: Literal["AlertNotificationTarget"]
    spec: AlertNotificationTargetSpec


OpenSloDocument: TypeAlias = (
    Service | SLI | SLO | DataSource | AlertPolicy | AlertCondition | AlertNotificationTarget
)
KINDS: dict[str, type[OpenSloDocument]] = {
    get_args(cls.model_fields["kind"].annotation)[0]: cls
    for cls in (Service, SLI, SLO, DataSource, AlertPolicy, AlertCondition, AlertNotificationTarget)
}


# ----------------------------------------------------------------------------------------- YAML

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
# YAML 1.1 numbers as the go-sdk's YAML library (go-yaml v2 via sigs.k8s.io/yaml) reads them:
# no base-60 ("1:30" stays a string), and exponents without a dot or sign are numbers too.
_INT_PATTERN = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
)
_FLOAT_PATTERN = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class _Loader(yaml.SafeLoader):
    """YAML as the spec's reference implementation reads it, with two differences that keep
    values exact: fractional numbers become ``Decimal`` (targets are contractual, DESIGN.md),
    and timestamps stay strings (``calendar.startTime`` is a zone-less string by spec).
    Duplicate keys are an error instead of the last one silently winning."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable):  # PyYAML itself refuses the others
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_decimal(self, node: yaml.ScalarNode) -> Decimal:
        text = str(self.construct_scalar(node)).replace("_", "").lower()
        if text.lstrip("+-") == ".inf":
            return Decimal("-Infinity" if text.startswith("-") else "Infinity")
        return Decimal("NaN") if text == ".nan" else Decimal(text)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_TIMESTAMP, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT, _INT_PATTERN, list("-+0123456789"))
_Loader.add_implicit_resolver(_FLOAT, _FLOAT_PATTERN, list("-+0123456789."))
_Loader.add_constructor(_FLOAT, _Loader.construct_decimal)


class _Dumper(yaml.SafeDumper):
    """Writes what ``_Loader`` reads back to the same values: any string that either PyYAML's or
    our own resolvers would take for another type is quoted."""


for _tag, _pattern, _first in (
    (_INT, _INT_PATTERN, "-+0123456789"),
    (_FLOAT, _FLOAT_PATTERN, "-+0123456789."),
):
    _Dumper.add_implicit_resolver(_tag, _pattern, list(_first))


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    if value.is_nan():
        return dumper.represent_scalar(_FLOAT, ".nan")
    if value.is_infinite():
        return dumper.represent_scalar(_FLOAT, "-.inf" if value < 0 else ".inf")
    text = str(value)
    if "E" not in text and "." not in text:
        return dumper.represent_scalar(_INT, text)  # came from an integer: stays one
    mantissa, _, exponent = text.partition("E")
    if exponent and "." not in mantissa:
        mantissa += ".0"  # YAML 1.1 reads an exponent only after a dot
    return dumper.represent_scalar(_FLOAT, f"{mantissa}e{exponent}" if exponent else mantissa)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line queries stay readable as literal blocks (the emitter quotes when it must).
    return dumper.represent_scalar(_STR, value, style="|" if "\n" in value else None)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(str, _represent_str)


def _yaml_error(source: str, error: yaml.YAMLError) -> OpenSloError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    reason = f"invalid YAML: {context + ': ' if context else ''}{problem}"
    if mark is None:
        return OpenSloError(DocumentRef(source), None, reason)
    return OpenSloError(
        DocumentRef(source, line=mark.line + 1), None, f"{reason} (column {mark.column + 1})"
    )


def _load_nodes(text: str, source: str) -> list[tuple[int, Any]]:
    """(line, data) of every document: documents of a ``---`` stream and items of a top-level
    list alike; empty documents are skipped."""
    loader = _Loader(text)
    found: list[tuple[int, Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            data = loader.construct_document(node)
            if isinstance(node, yaml.SequenceNode):
                found += [
                    (item.start_mark.line + 1, d) for item, d in zip(node.value, data, strict=True)
                ]
            elif data is not None:
                found.append((node.start_mark.line + 1, data))
    except yaml.YAMLError as error:
        raise _yaml_error(source, error) from None
    finally:
        loader.dispose()
    return found


def load_yaml(text: str, *, source: str) -> list[Any]:
    """The documents of an OpenSLO file as plain data, read exactly as :func:`parse_openslo`
    reads them (one list whatever the file's layout), without checking them."""
    return [data for _, data in _load_nodes(text, source)]


# ------------------------------------------------------------------------------ parse and dump


def _error_path(error: Any) -> str:
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error["type"] == "openslo_rule" and error["ctx"]["field"]:
        relative = error["ctx"]["field"]
        path += relative if relative.startswith("[") or not path else f".{relative}"
    return path


def _error_reason(error: Any) -> str:
    kind = error["type"]
    if kind == "openslo_rule":
        return str(error["ctx"]["message"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"unknown field {error['loc'][-1]!r}"
    return str(error["msg"]).removeprefix("Value error, ")


def _validate(data: Any, ref: DocumentRef) -> OpenSloDocument:
    """One document from its data, or an OpenSloError naming the document and the field."""
    if not isinstance(data, dict):
        raise OpenSloError(ref, None, "a document must be a mapping (apiVersion, kind, ...)")
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    kind = data.get("kind")
    ref = DocumentRef(
        ref.source,
        ref.index,
        kind if isinstance(kind, str) else None,
        name if isinstance(name, str) else None,
        ref.line,
    )
    if data.get("apiVersion") != API_VERSION:
        found = data.get("apiVersion")
        reason = "is required" if found is None else f"{found!r} is not read: only {API_VERSION}"
        raise OpenSloError(ref, "apiVersion", reason)
    if not isinstance(kind, str) or kind not in KINDS:
        reason = "is required" if kind is None else f"{kind!r} is not an OpenSLO v1 kind"
        raise OpenSloError(ref, "kind", f"{reason} (one of {', '.join(KINDS)})")
    try:
        document = KINDS[kind].model_validate(data)
    except ValidationError as error:
        errors = error.errors()
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise OpenSloError(ref, _error_path(errors[0]), _error_reason(errors[0]) + more) from None
    document._origin = ref
    return document


def parse_openslo(text: str, *, source: str) -> list[OpenSloDocument]:
    """Read the OpenSLO v1 documents of a YAML file.

    The file may hold one document, several documents separated by ``---``, a list of
    documents, or any mix of these. ``source`` names the file in errors. Raises
    :class:`OpenSloError` for invalid YAML (naming the line), a document of another version or
    kind, an unknown field (named), a missing one, or a rule of the specification broken.
    """
    return [
        _validate(data, DocumentRef(source, index, line=line))
        for index, (line, data) in enumerate(_load_nodes(text, source))
    ]


def _data(document: OpenSloDocument) -> dict[str, Any]:
    # exclude_unset: exactly the fields that were read (or given), so nothing is added.
    return document.model_dump(mode="python", by_alias=True, exclude_unset=True)


def dump_openslo(documents: Iterable[OpenSloDocument]) -> str:
    """Write documents as a YAML stream (``---`` before each), keys in the spec's order.

    Exactly the fields that were read are written, with their values: a label given as a
    string stays a string, ``targetPercent`` stays ``targetPercent``; numbers keep their
    decimal digits. Reading the output with :func:`parse_openslo` gives equal documents.
    """
    return yaml.dump_all(
        [_data(document) for document in documents],
        Dumper=_Dumper,
        explicit_start=True,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,  # never fold a long query over lines
    )


# -------------------------------------------------------------------------------------- drafts

BudgetingMethod = Literal["occurrences", "timeslices", "ratio_timeslices"]
CalendarUnit = Literal["week", "month", "quarter"]
_BUDGETING: dict[str, BudgetingMethod] = {
    "Occurrences": "occurrences",
    "Timeslices": "timeslices",
    "RatioTimeslices": "ratio_timeslices",
}
_CALENDAR_UNITS: dict[str, CalendarUnit] = {"1w": "week", "1M": "month", "1Q": "quarter"}


@dataclass(frozen=True)
class MetricQuery:
    """One query of an SLI: the source's own ``spec`` (e.g. ``{"query": "sum(...)"}``), the
    source type (``Prometheus``, ``Datadog``, ...) and/or the name of a DataSource."""

    spec: dict[str, Any]
    source_type: str | None = None
    source_ref: str | None = None


@dataclass(frozen=True)
class RatioSli:
    """good/total, bad/total, or a stored ratio (``raw``) of successes or failures."""

    total: MetricQuery | None = None
    good: MetricQuery | None = None
    bad: MetricQuery | None = None
    raw: MetricQuery | None = None
    raw_type: Literal["success", "failure"] | None = None
    counter: bool | None = None
    """The queries return monotonic counters (True) or gauges (False); None when not said."""

    kind: ClassVar[Literal["ratio"]] = "ratio"

    def __post_init__(self) -> None:
        fraction = self.total is not None and (self.good is None) != (self.bad is None)
        stored = self.raw is not None and self.raw_type is not None
        mixed = self.raw is not None and any(
            q is not None for q in (self.total, self.good, self.bad)
        )
        if not (fraction or stored) or mixed or (fraction and self.raw_type is not None):
            raise ValueError("a ratio SLI is good/total, bad/total, or raw with raw_type")


@dataclass(frozen=True)
class ThresholdSli:
    """Each value the query returns is good when ``value op threshold`` holds (e.g. latency
    lt 0.2). Not Accord's latency SLI, which is the share of *requests* under a threshold."""

    metric: MetricQuery
    op: Operator
    value: Decimal

    kind: ClassVar[Literal["threshold"]] = "threshold"


@dataclass(frozen=True)
class RollingWindow:
    days: int

    @property
    def seconds(self) -> int:
        return self.days * 86_400


@dataclass(frozen=True)
class CalendarWindow:
    """Calendar-aligned periods of one ``unit``, counted from ``start`` (a local time in
    ``time_zone``, as the spec writes it)."""

    unit: CalendarUnit
    time_zone: str
    start: datetime


@dataclass(frozen=True)
class ObjectiveDraft:
    """What an Accord objective holds, read from (or written to) OpenSLO: one SLO with one
    objective. ``origin`` tells where it was read from and takes no part in equality."""

    service: str
    name: str
    sli: RatioSli | ThresholdSli
    target: Decimal
    """The ratio, 0 < target < 1 (``targetPercent`` 99.9 is 0.999)."""
    budgeting_method: BudgetingMethod
    window: RollingWindow | CalendarWindow
    display_name: str | None = None
    description: str | None = None
    labels: dict[str, list[str]] = field(default_factory=dict)
    timeslice_target: Decimal | None = None
    """Timeslices only: the share of a slice's events that makes the slice good."""
    timeslice_seconds: int | None = None
    """Timeslices and ratio timeslices: the length of a slice."""
    alert_policies: tuple[str, ...] = ()
    """Names of the OpenSLO alert policies the SLO refers to."""
    origin: DocumentRef | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not Decimal(0) < self.target < Decimal(1):
            raise ValueError("target must lie between 0 and 1 (exclusive)")
        slices = self.budgeting_method != "occurrences"
        if slices != (self.timeslice_seconds is not None) or (
            self.timeslice_seconds is not None and self.timeslice_seconds <= 0
        ):
            raise ValueError("timeslice_seconds is positive with timeslices, absent otherwise")
        if (self.budgeting_method == "timeslices") != (self.timeslice_target is not None):
            raise ValueError("timeslice_target is set exactly with the timeslices method")
        if self.timeslice_target is not None and not 0 < self.timeslice_target <= 1:
            raise ValueError("timeslice_target must lie in (0, 1]")


@dataclass(frozen=True)
class Unsupported:
    """A construct read from OpenSLO that Accord cannot express, and why. ``field`` is a path in
    the document; an empty ``field`` means the whole document."""

    document: DocumentRef
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.document}: {self.field + ': ' if self.field else ''}{self.reason}"


_NO_SLI_IDENTITY = "an Accord objective has no separate SLI identity: the SLO names it"
_ONE_DESCRIPTION = "Accord keeps one description: the SLO's"
_POLICIES = (
    "OpenSLO alert policies are not imported: Accord alerts by its own multi-window burn-rate "
    "policy"
)
# Why a field read from OpenSLO has no place in Accord: (kinds, or None for any; path; reason).
_FIELD_REASONS: list[tuple[set[str] | None, re.Pattern[str], str]] = [
    (
        None,
        re.compile(r"metadata\.annotations"),
        "annotations are implementation metadata; Accord keeps none",
    ),
    (
        {"Service"},
        re.compile(r"metadata\..*|spec(\..*)?"),
        "Accord's catalogue owns services: only the name is used",
    ),
    ({"AlertPolicy"}, re.compile(r"metadata\..*|spec(\..*)?"), _POLICIES),
    ({"SLI"}, re.compile(r"metadata\..*"), _NO_SLI_IDENTITY),
    ({"SLI"}, re.compile(r"spec\.description"), _ONE_DESCRIPTION),
    (
        {"SLO"},
        re.compile(r"spec\.indicator\.metadata(\..*)?"),
        f"{_NO_SLI_IDENTITY} (export names the inline SLI after the SLO)",
    ),
    ({"SLO"}, re.compile(r"spec\.indicator\.spec\.description"), _ONE_DESCRIPTION),
    (
        {"SLO"},
        re.compile(r"spec\.objectives\[\d+\]\.displayName"),
        "Accord keeps one display name: the SLO's",
    ),
    (
        {"SLO"},
        re.compile(r"spec\.objectives\[\d+\]\.op"),
        "op compares a thresholdMetric's values; with a ratioMetric it compares nothing",
    ),
    (
        {"SLO"},
        re.compile(r"spec\.objectives\[\d+\]\.timeSliceTarget"),
        "only the Timeslices budgeting method uses timeSliceTarget",
    ),
    (
        {"SLO"},
        re.compile(r"spec\.objectives\[\d+\]\.timeSliceWindow"),
        "the Occurrences budgeting method has no time slices",
    ),
    (
        {"SLO"},
        re.compile(r"spec\.objectives\[\d+\]\.compositeWeight"),
        "only composite SLOs weigh objectives",
    ),
    ({"SLO"}, re.compile(r"spec\.alertPolicies\[\d+\]\..*"), _POLICIES),
]
# Why a whole document has no place in Accord, by kind.
_DOCUMENT_REASONS = {
    "DataSource": (
        "Accord has no data-source registry: DataSources are not imported (SLI queries keep "
        "their source type)"
    ),
    "AlertNotificationTarget": (
        "Accord sends alerts through its own notification settings; OpenSLO notification "
        "targets are not imported"
    ),
    "AlertCondition": (
        "Accord derives burn-rate alerts from its multi-window policy; OpenSLO alert conditions "
        "are not imported"
    ),
    "AlertPolicy": "no imported SLO refers to this alert policy; " + _POLICIES,
    "Service": "no imported SLO belongs to this service; Accord's catalogue owns services",
    "SLI": "no imported SLO uses this SLI; Accord has no stand-alone SLIs",
}
_GENERIC_REASON = "Accord's objective model has no place for this field"


def _reason(kind: str, path: str) -> str:
    for kinds, pattern, reason in _FIELD_REASONS:
        if (kinds is None or kind in kinds) and pattern.fullmatch(path):
            return reason
    return _GENERIC_REASON


def _leftovers(data: Any, path: str, consumed: set[str]) -> Iterator[str]:
    """Paths under ``path`` (``""``: the whole document) that no consumed path covers, as high
    up the tree as possible: a whole ``metadata.annotations`` rather than each annotation."""
    if path in consumed or data is None or data == {} or data == []:
        return  # an empty value carries nothing to lose
    inside = [c for c in consumed if not path or c.startswith((f"{path}.", f"{path}["))]
    if not inside or not isinstance(data, dict | list):
        yield path
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _leftovers(value, f"{path}.{key}" if path else key, consumed)
    else:
        for i, value in enumerate(data):
            yield from _leftovers(value, f"{path}[{i}]", consumed)


def _shorthand_seconds(duration: str) -> int | None:
    """Seconds of a duration shorthand; None for months, quarters and years, which the spec
    leaves to implementations and Accord does not guess (a rolling "1M" is not 30 days)."""
    match = _DURATION.fullmatch(duration)
    assert match is not None  # validated when read
    size = _UNIT_SECONDS.get(match[2])
    return None if size is None else int(match[1]) * size


def _query(spec: MetricSpec | None) -> MetricQuery | None:
    if spec is None:
        return None
    source = spec.metric_source
    return MetricQuery(dict(source.spec), source.type, source.metric_source_ref)


class _Conversion:
    """State of one :func:`to_drafts` call: the documents, what each draft consumed of them
    and what has been reported."""

    def __init__(self, documents: Sequence[OpenSloDocument]) -> None:
        self.documents = documents
        self.refs = [
            d.origin or DocumentRef("<documents>", i, d.kind, d.metadata.name)
            for i, d in enumerate(documents)
        ]
        self.consumed: list[set[str]] = [set() for _ in documents]
        self.rejected: set[int] = set()
        self.wanted: set[int] = set()  # documents referred to by an SLO, imported or not
        self.unsupported: list[Unsupported] = []

    def named(self, kind: str, name: str) -> list[int]:
        return [
            i for i, d in enumerate(self.documents) if d.kind == kind and d.metadata.name == name
        ]

    def slo(self, index: int, slo: SLO) -> ObjectiveDraft | None:
        ref, spec = self.refs[index], slo.spec
        used: set[tuple[int, str]] = set()  # (document, path) the draft carries, once it exists
        blocking: list[tuple[str, str]] = []

        def take(path: str, of: int = index) -> None:
            used.add((of, path))

        def take_identity(of: int) -> None:
            for path in ("apiVersion", "kind", "metadata.name"):
                take(path, of)

        take_identity(index)

        if spec.is_composite:
            reason = (
                "a composite SLO (objectives with their own indicator) has no Accord equivalent"
            )
            blocking.append(("spec.objectives", reason))
        elif len(spec.objectives) > 1:
            reason = f"{len(spec.objectives)} objectives: an Accord objective has one target"
            blocking.append(("spec.objectives", f"{reason}; write one SLO per objective"))
        if blocking:
            return self.reject(index, blocking)

        sli, sli_at, sli_path = self.indicator(index, slo)
        objective = spec.objectives[0]
        take(sli_path + (".thresholdMetric" if sli.threshold_metric else ".ratioMetric"), sli_at)
        if sli_at != index:
            # Inline SLIs were checked against the objectives when read; a reference only now.
            problem = _objectives_problem(spec.objectives, sli)
            if problem:
                reason = f"{problem[1]} (SLI {spec.indicator_ref!r})"
                raise OpenSloError(ref, f"spec.{problem[0]}", reason)
            take("spec.indicatorRef")
            take_identity(sli_at)

        target: Decimal
        if objective.target is not None:
            target = objective.target
            take("spec.objectives[0].target")
        else:
            assert objective.target_percent is not None  # one of the two, validated when read
            target = objective.target_percent / 100  # equivalent by spec: 99.95 % is 0.9995
            take("spec.objectives[0].targetPercent")
        if target == 0:
            reason = "a target of 0 promises nothing; Accord targets lie above 0"
            blocking.append(("spec.objectives[0].target", reason))

        method = _BUDGETING[spec.budgeting_method]
        take("spec.budgetingMethod")
        timeslice_target = timeslice_seconds = None
        if method == "timeslices":
            timeslice_target = objective.time_slice_target
            take("spec.objectives[0].timeSliceTarget")
        if method != "occurrences":
            window = objective.time_slice_window
            assert window is not None  # required with time slices, validated when read
            timeslice_seconds = (
                window * 60 if isinstance(window, int) else _shorthand_seconds(window)
            )
            take("spec.objectives[0].timeSliceWindow")
            if timeslice_seconds is None:
                reason = "months, quarters and years have no fixed length to slice time by"
                blocking.append(("spec.objectives[0].timeSliceWindow", reason))

        period = self.window(spec.time_window[0], blocking)
        take("spec.timeWindow")

        threshold = sli.threshold_metric
        if threshold is not None:
            assert objective.op is not None  # both checked above
            assert objective.value is not None
            metric = _query(threshold)
            assert metric is not None
            indicator: RatioSli | ThresholdSli = ThresholdSli(metric, objective.op, objective.value)
            take("spec.objectives[0].op")
            take("spec.objectives[0].value")
        else:
            ratio = sli.ratio_metric
            assert ratio is not None  # one of the two, validated when read
            indicator = RatioSli(
                total=_query(ratio.total),
                good=_query(ratio.good),
                bad=_query(ratio.bad),
                raw=_query(ratio.raw),
                raw_type=ratio.raw_type,
                counter=ratio.counter,
            )

        policies = []
        for i, policy in enumerate(spec.alert_policies or []):
            if policy.alert_policy_ref is not None:
                policies.append(policy.alert_policy_ref)
                take(f"spec.alertPolicies[{i}].alertPolicyRef")
                for at in self.named("AlertPolicy", policy.alert_policy_ref):
                    self.wanted.add(at)
                    take_identity(at)
            else:
                assert policy.metadata is not None  # inline: validated when read
                policies.append(policy.metadata.name)
                take(f"spec.alertPolicies[{i}].kind")
                take(f"spec.alertPolicies[{i}].metadata.name")

        for at in self.named("Service", spec.service):
            self.wanted.add(at)
            take_identity(at)
        for path in ("spec.service", "spec.description", "metadata.displayName", "metadata.labels"):
            take(path)

        if period is None or blocking:
            return self.reject(index, blocking)
        for at, path in used:
            self.consumed[at].add(path)
        labels = slo.metadata.labels or {}
        return ObjectiveDraft(
            service=spec.service,
            name=slo.metadata.name,
            sli=indicator,
            target=target,
            budgeting_method=method,
            window=period,
            display_name=slo.metadata.display_name,
            description=spec.description,
            labels={k: [v] if isinstance(v, str) else list(v) for k, v in labels.items()},
            timeslice_target=timeslice_target,
            timeslice_seconds=timeslice_seconds,
            alert_policies=tuple(policies),
            origin=ref,
        )

    def indicator(self, index: int, slo: SLO) -> tuple[SliSpec, int, str]:
        """The SLO's SLI spec, the document holding it and its path there."""
        spec = slo.spec
        if spec.indicator is not None:
            return spec.indicator.spec, index, "spec.indicator.spec"
        assert spec.indicator_ref is not None  # one of the two, validated when read
        found = self.named("SLI", spec.indicator_ref)
        if len(found) != 1:
            reason = "no SLI" if not found else f"{len(found)} SLIs"
            raise OpenSloError(
                self.refs[index],
                "spec.indicatorRef",
                f"{reason} named {spec.indicator_ref!r} among the documents",
            )
        self.wanted.add(found[0])
        sli = self.documents[found[0]]
        assert isinstance(sli, SLI)
        return sli.spec, found[0], "spec"

    @staticmethod
    def window(
        window: TimeWindow, blocking: list[tuple[str, str]]
    ) -> RollingWindow | CalendarWindow | None:
        if window.calendar is not None:
            unit = _CALENDAR_UNITS.get(window.duration)
            if unit is None:
                reason = "Accord calendar windows are one week (1w), month (1M) or quarter (1Q)"
                blocking.append(("spec.timeWindow[0].duration", reason))
                return None
            start = datetime.strptime(window.calendar.start_time, _START_TIME_FORMAT)  # noqa: DTZ007
            return CalendarWindow(unit, window.calendar.time_zone, start)
        seconds = _shorthand_seconds(window.duration)
        if seconds is None or seconds % 86_400:
            reason = (
                "Accord rolling windows are a whole number of days (e.g. 28d, 4w); a rolling "
                "month, quarter or year has no fixed length"
            )
            blocking.append(("spec.timeWindow[0].duration", reason))
            return None
        return RollingWindow(seconds // 86_400)

    def reject(self, index: int, blocking: list[tuple[str, str]]) -> ObjectiveDraft | None:
        self.rejected.add(index)
        self.unsupported += [
            Unsupported(self.refs[index], path, f"{reason}; the SLO is not imported")
            for path, reason in blocking
        ]
        return None

    def leftovers(self) -> None:
        """Report everything read that no draft took, so nothing is dropped silently."""
        for i, document in enumerate(self.documents):
            if i in self.rejected:
                continue  # already reported, with the reason it was not imported
            for path in _leftovers(_data(document), "", self.consumed[i]):
                if path:
                    reason = _reason(document.kind, path)
                elif i in self.wanted:
                    reason = "only SLOs that are not imported refer to it"
                else:
                    reason = _DOCUMENT_REASONS.get(document.kind, _GENERIC_REASON)
                self.unsupported.append(Unsupported(self.refs[i], path, reason))


def to_drafts(
    documents: Iterable[OpenSloDocument],
) -> tuple[list[ObjectiveDraft], list[Unsupported]]:
    """Drafts of Accord objectives from OpenSLO documents, and what Accord cannot express.

    Each SLO with one objective becomes one draft; its ``indicatorRef`` is resolved among
    ``documents`` (an unknown or ambiguous name raises :class:`OpenSloError`), and the SLIs,
    services and alert policies it names are used for what Accord keeps of them. Every field
    of every document that no draft carries is listed in the second result with the reason,
    including whole documents (data sources, notification targets, SLOs Accord cannot hold
    such as composite ones); nothing is dropped silently. docs/integrations/openslo.md has the
    mapping.
    """
    conversion = _Conversion(list(documents))
    drafts = [
        draft
        for i, document in enumerate(conversion.documents)
        if isinstance(document, SLO) and (draft := conversion.slo(i, document)) is not None
    ]
    conversion.leftovers()
    return drafts, conversion.unsupported


def _shorthand(seconds: int) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise ValueError(f"{seconds} seconds is not a whole number of minutes")


def _source(query: MetricQuery) -> dict[str, Any]:
    source: dict[str, Any] = {}
    if query.source_ref is not None:
        source["metricSourceRef"] = query.source_ref
    if query.source_type is not None:
        source["type"] = query.source_type
    source["spec"] = dict(query.spec)
    return {"metricSource": source}


def _slo_data(draft: ObjectiveDraft) -> dict[str, Any]:
    objective: dict[str, Any] = {"target": draft.target}
    if isinstance(draft.sli, ThresholdSli):
        sli: dict[str, Any] = {"thresholdMetric": _source(draft.sli.metric)}
        objective |= {"op": draft.sli.op, "value": draft.sli.value}
    else:
        ratio: dict[str, Any] = {} if draft.sli.counter is None else {"counter": draft.sli.counter}
        for name in ("good", "bad", "total", "raw"):
            query = getattr(draft.sli, name)
            if query is not None:
                ratio[name] = _source(query)
        if draft.sli.raw_type is not None:
            ratio["rawType"] = draft.sli.raw_type
        sli = {"ratioMetric": ratio}
    if draft.timeslice_target is not None:
        objective["timeSliceTarget"] = draft.timeslice_target
    if draft.timeslice_seconds is not None:
        objective["timeSliceWindow"] = _shorthand(draft.timeslice_seconds)

    window: dict[str, Any]
    if isinstance(draft.window, RollingWindow):
        window = {"duration": f"{draft.window.days}d", "isRolling": True}
    else:
        duration = {unit: text for text, unit in _CALENDAR_UNITS.items()}[draft.window.unit]
        window = {
            "duration": duration,
            "isRolling": False,
            "calendar": {
                "startTime": draft.window.start.strftime(_START_TIME_FORMAT),
                "timeZone": draft.window.time_zone,
            },
        }

    metadata: dict[str, Any] = {"name": draft.name}
    if draft.display_name is not None:
        metadata["displayName"] = draft.display_name
    if draft.labels:
        metadata["labels"] = {key: list(values) for key, values in draft.labels.items()}
    spec: dict[str, Any] = {} if draft.description is None else {"description": draft.description}
    spec |= {
        "service": draft.service,
        # The inline SLI is named after the SLO: Accord keeps no SLI identity of its own.
        "indicator": {"metadata": {"name": draft.name}, "spec": sli},
        "timeWindow": [window],
        "budgetingMethod": {v: k for k, v in _BUDGETING.items()}[draft.budgeting_method],
        "objectives": [objective],
    }
    if draft.alert_policies:
        spec["alertPolicies"] = [{"alertPolicyRef": name} for name in draft.alert_policies]
    return {"apiVersion": API_VERSION, "kind": "SLO", "metadata": metadata, "spec": spec}


def from_drafts(drafts: Iterable[ObjectiveDraft]) -> list[OpenSloDocument]:
    """OpenSLO documents for drafts: one Service per distinct service (first), then one SLO per
    draft with its SLI inline (so each SLO stands alone) and its alert policies as references.

    The documents pass the same validation as parsed ones; a draft OpenSLO cannot hold (a
    name that is not a DNS label, a time slice that is not whole minutes) raises
    :class:`OpenSloError` naming the draft.
    """
    drafts = list(drafts)
    services = [
        _validate(
            {"apiVersion": API_VERSION, "kind": "Service", "metadata": {"name": name}, "spec": {}},
            DocumentRef("<drafts>"),
        )
        for name in dict.fromkeys(draft.service for draft in drafts)
    ]
    slos = []
    for i, draft in enumerate(drafts):
        ref = DocumentRef("<drafts>", i)
        try:
            data = _slo_data(draft)
        except ValueError as error:
            raise OpenSloError(ref, "timeslice_seconds", str(error)) from None
        slos.append(_validate(data, ref))
    return services + slos
