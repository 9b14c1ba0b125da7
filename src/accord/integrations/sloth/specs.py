"""Sloth SLO specs in, `PrometheusSlo` values out (and rule files, via `prometheus.rules`).

Reads what ``sloth generate`` reads: ``prometheus/v1`` specs, Kubernetes
``sloth.slok.dev/v1`` ``PrometheusServiceLevel`` objects and OpenSLO ``openslo/v1alpha`` SLOs,
several per file (``---``), plus ``AlertWindows`` files (custom alert windows per SLO period).
Validation follows Sloth's rules (objective in (0, 100], names, label names and values,
exactly one SLI, the ``{{ .window }}`` template variable, an alert name while alerts are on,
no SLO id twice across documents and files); every problem raises one `SpecError` that names
the file, the document, the field and the rule.

Like Sloth, unknown fields are not errors (Sloth's own fixtures misspell ``page_alert`` as
``pageAlert`` in ``prometheus/v1`` specs), but they are not dropped silently either: each
document lists them in ``SlothDocument.ignored``. SLI and SLO plugins are Go code Sloth loads
at run time; Accord cannot run them and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Final, NoReturn

import yaml

from accord.integrations.prometheus.rules import (
    Alerting,
    AlertSpec,
    AlertWindow,
    AlertWindows,
    EventsSli,
    Generator,
    KubernetesMeta,
    PrometheusSlo,
    RawSli,
    annotation_name_problem,
    format_duration,
    good_total_sli,
    label_name_problem,
    label_value_problem,
    name_problem,
    parse_duration,
    query_problem,
    render_rules,
    window_catalogue,
)

__all__ = [
    "KUBERNETES_SPEC",
    "OPENSLO_SPEC",
    "PROMETHEUS_SPEC",
    "SLOTH_CLI_MODES",
    "SlothDocument",
    "SpecError",
    "parse_alert_windows",
    "parse_sloth",
    "render_sloth",
    "to_prometheus_slos",
]

PROMETHEUS_SPEC: Final = "prometheus/v1"
KUBERNETES_SPEC: Final = "sloth.slok.dev/v1"
OPENSLO_SPEC: Final = "openslo/v1alpha"

SLOTH_CLI_MODES: Final[Mapping[str, str]] = {
    PROMETHEUS_SPEC: "cli-gen-prom",
    KUBERNETES_SPEC: "cli-gen-k8s",
    OPENSLO_SPEC: "cli-gen-openslo",
}
"""The ``sloth_mode`` label ``sloth generate`` writes for each spec kind (for output that must
equal Sloth's; Accord's own default is ``accord``)."""


class SpecError(ValueError):
    """A spec that Sloth (and so Accord) rejects.

    ``document`` names the file and, for multi-document files, the document (1-based);
    ``field`` is the path of the offending field (``slos[1].objective``), empty for the whole
    document; ``problem`` says what is wrong; ``line`` is the 1-based line when known.
    """

    def __init__(
        self,
        source: str,
        index: int | None,
        field: str,
        problem: str,
        *,
        line: int | None = None,
    ) -> None:
        self.source = source
        self.index = index
        self.field = field
        self.problem = problem
        self.line = line
        self.document = source if index is None else f"{source} (document {index + 1})"
        where = self.document + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")


@dataclass(frozen=True)
class SlothDocument:
    """One spec document of a file and the SLOs it declares."""

    source: str
    index: int
    """0-based position among the file's non-empty documents."""
    spec: str
    """``prometheus/v1``, ``sloth.slok.dev/v1`` or ``openslo/v1alpha``."""
    slos: tuple[PrometheusSlo, ...]
    kubernetes: KubernetesMeta | None = None
    """The PrometheusRule metadata, for ``PrometheusServiceLevel`` documents."""
    ignored: tuple[str, ...] = field(default=())
    """Paths of fields Sloth does not know and ignores (``slos[0].alerting.pageAlert``)."""

    @property
    def document(self) -> str:
        """The file name and the document's 1-based number, as error messages say it."""
        return f"{self.source} (document {self.index + 1})"

    def slo_field(self, position: int) -> str:
        """The path of the field that names the ``position``-th SLO."""
        if self.spec == OPENSLO_SPEC:
            return f"spec.objectives[{position}]"
        prefix = "spec." if self.spec == KUBERNETES_SPEC else ""
        return f"{prefix}slos[{position}].name"


# ---------------------------------------------------------------- YAML node access

_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
# go-yaml v2 reads these plain scalars as booleans (YAML 1.1), which PyYAML partly does not.
_TRUE: Final = frozenset({"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FALSE: Final = frozenset(
    {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
)


class _Doc:
    """Reads one document's nodes, raising `SpecError` with paths and collecting unknown keys."""

    def __init__(self, source: str, index: int) -> None:
        self.source = source
        self.index = index
        self.ignored: list[str] = []
        self._constructor = yaml.SafeLoader("")

    def fail(self, path: str, problem: str, node: yaml.Node | None = None) -> NoReturn:
        line = node.start_mark.line + 1 if node is not None else None
        raise SpecError(self.source, self.index, path, problem, line=line)

    def mapping(
        self, node: yaml.Node | None, path: str, known: Iterable[str] | None
    ) -> dict[str, yaml.Node]:
        """A mapping's values by key; null is an empty mapping. Keys not in ``known`` are
        recorded as ignored (``known=None``: a free-form map, every key is data)."""
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.fail(path, "must be a mapping", node)
        expected = None if known is None else frozenset(known)
        values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(path, "keys must be plain strings", key_node)
            key = key_node.value
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(path, "YAML merge keys (<<) are not supported", key_node)
            if key in values:
                self.fail(_join(path, key), "is defined twice", key_node)
            values[key] = value_node
            if expected is not None and key not in expected:
                self.ignored.append(_join(path, key))
        return values

    def sequence(self, node: yaml.Node | None, path: str) -> list[yaml.Node]:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(path, "must be a list", node)
        return list(node.value)

    def string(self, node: yaml.Node | None, path: str) -> str:
        """A scalar's text as written (``tier: 2`` is "2", as go-yaml reads it into a string)."""
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
            return ""
        if not isinstance(node, yaml.ScalarNode):
            self.fail(path, "must be a string", node)
        return str(node.value)

    def number(self, node: yaml.Node | None, path: str) -> float:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_INT, _FLOAT):
            self.fail(path, "must be a number", node)
        value = self._constructor.construct_object(node)
        return float(value)

    def integer(self, node: yaml.Node | None, path: str) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            self.fail(path, "must be a whole number", node)
        return int(self._constructor.construct_object(node))

    def boolean(self, node: yaml.Node | None, path: str) -> bool:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
            return False
        if isinstance(node, yaml.ScalarNode) and node.style is None:
            if node.value in _TRUE:
                return True
            if node.value in _FALSE:
                return False
        self.fail(path, "must be true or false", node)

    def labels(
        self, node: yaml.Node | None, path: str, *, annotations: bool = False
    ) -> dict[str, str]:
        """A string map whose keys must be label names and values non-empty."""
        values = self.mapping(node, path, known=None)
        out: dict[str, str] = {}
        for key, value_node in values.items():
            value = self.string(value_node, _join(path, key))
            problem = (
                label_name_problem(key) if not annotations else annotation_name_problem(key)
            ) or label_value_problem(value)
            if problem:
                self.fail(_join(path, key), problem, value_node)
            out[key] = value
        return out


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# ---------------------------------------------------------------- Sloth specs (prometheus/v1, k8s)


@dataclass(frozen=True)
class _Spelling:
    """Field names of the two Sloth spec kinds: snake_case (prometheus/v1), camelCase (k8s)."""

    error_query: str
    total_query: str
    error_ratio_query: str
    page_alert: str
    ticket_alert: str
    slo_plugins: str


_SNAKE = _Spelling(
    "error_query", "total_query", "error_ratio_query", "page_alert", "ticket_alert", "slo_plugins"
)
_CAMEL = _Spelling(
    "errorQuery", "totalQuery", "errorRatioQuery", "pageAlert", "ticketAlert", "sloPlugins"
)


def _no_plugins(doc: _Doc, node: yaml.Node | None, path: str) -> None:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
        return
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.value:
        return
    doc.fail(
        path,
        "Sloth plugins are Go code Sloth loads at run time; Accord can't run them "
        "(declare the SLI as events or raw queries)",
        node,
    )


def _alert_spec(doc: _Doc, node: yaml.Node | None, path: str) -> AlertSpec:
    values = doc.mapping(node, path, ("disable", "labels", "annotations"))
    return AlertSpec(
        disable=doc.boolean(values.get("disable"), _join(path, "disable")),
        labels=doc.labels(values.get("labels"), _join(path, "labels")),
        annotations=doc.labels(
            values.get("annotations"), _join(path, "annotations"), annotations=True
        ),
    )


def _alerting(doc: _Doc, node: yaml.Node | None, path: str, names: _Spelling) -> Alerting:
    values = doc.mapping(
        node, path, ("name", "labels", "annotations", names.page_alert, names.ticket_alert)
    )
    name = doc.string(values.get("name"), _join(path, "name"))
    page = _alert_spec(doc, values.get(names.page_alert), _join(path, names.page_alert))
    ticket = _alert_spec(doc, values.get(names.ticket_alert), _join(path, names.ticket_alert))
    if not name and not (page.disable and ticket.disable):
        doc.fail(
            _join(path, "name"),
            "the alert name is required while the page or ticket alert is enabled",
            values.get("name") or node,
        )
    return Alerting(
        name=name,
        labels=doc.labels(values.get("labels"), _join(path, "labels")),
        annotations=doc.labels(
            values.get("annotations"), _join(path, "annotations"), annotations=True
        ),
        page=page,
        ticket=ticket,
    )


def _query(doc: _Doc, values: Mapping[str, yaml.Node], key: str, path: str) -> str:
    node = values.get(key)
    query = doc.string(node, _join(path, key))
    problem = query_problem(query)
    if problem:
        doc.fail(_join(path, key), problem, node)
    return query


def _sli(doc: _Doc, node: yaml.Node | None, path: str, names: _Spelling) -> EventsSli | RawSli:
    values = doc.mapping(node, path, ("events", "raw", "plugin"))
    _no_plugins(doc, values.get("plugin"), _join(path, "plugin"))
    events, raw = values.get("events"), values.get("raw")
    if events is None and raw is None:
        doc.fail(path, "one SLI type is required (events or raw)", node)
    if events is not None and raw is not None:
        doc.fail(path, "only one SLI type is allowed (events or raw, not both)", node)
    if events is not None:
        where = _join(path, "events")
        ev = doc.mapping(events, where, (names.error_query, names.total_query))
        error = _query(doc, ev, names.error_query, where)
        total = _query(doc, ev, names.total_query, where)
        if error == total:
            doc.fail(where, "the error and total queries can't be the same query", events)
        return EventsSli(error, total)
    where = _join(path, "raw")
    rv = doc.mapping(raw, where, (names.error_ratio_query,))
    return RawSli(_query(doc, rv, names.error_ratio_query, where))


def _sloth_slos(
    doc: _Doc, spec: Mapping[str, yaml.Node], prefix: str, names: _Spelling
) -> tuple[PrometheusSlo, ...]:
    """The SLOs of a Sloth spec body (the top of prometheus/v1, ``spec`` of the k8s object)."""
    _no_plugins(doc, spec.get(names.slo_plugins), _join(prefix, names.slo_plugins))
    service_node = spec.get("service")
    service = doc.string(service_node, _join(prefix, "service"))
    problem = name_problem(service)
    if problem:
        doc.fail(_join(prefix, "service"), problem, service_node)
    common = doc.labels(spec.get("labels"), _join(prefix, "labels"))
    slo_nodes = doc.sequence(spec.get("slos"), _join(prefix, "slos"))
    if not slo_nodes:
        doc.fail(_join(prefix, "slos"), "at least one SLO is required")
    slos = []
    for i, slo_node in enumerate(slo_nodes):
        path = _join(_join(prefix, "slos"), i)
        values = doc.mapping(
            slo_node,
            path,
            ("name", "objective", "description", "labels", "sli", "alerting", "plugins"),
        )
        _no_plugins(doc, values.get("plugins"), _join(path, "plugins"))
        name_node = values.get("name")
        name = doc.string(name_node, _join(path, "name"))
        problem = name_problem(name)
        if problem:
            doc.fail(_join(path, "name"), problem, name_node or slo_node)
        objective_node = values.get("objective")
        objective = doc.number(objective_node, _join(path, "objective"))
        if not 0 < objective <= 100:
            doc.fail(
                _join(path, "objective"),
                f"the objective must be > 0 and <= 100 (a percentage), got {objective:g}",
                objective_node,
            )
        labels = doc.labels(values.get("labels"), _join(path, "labels"))
        slos.append(
            PrometheusSlo(
                service=service,
                name=name,
                # Sloth reads a float64; its shortest digits are what Sloth prints.
                objective_percent=Decimal(repr(objective)),
                description=doc.string(values.get("description"), _join(path, "description")),
                labels={**common, **labels},
                sli=_sli(doc, values.get("sli"), _join(path, "sli"), names),
                alerting=_alerting(doc, values.get("alerting"), _join(path, "alerting"), names),
            )
        )
    return tuple(slos)


def _prometheus_document(doc: _Doc, root: Mapping[str, yaml.Node]) -> SlothDocument:
    return SlothDocument(
        doc.source,
        doc.index,
        PROMETHEUS_SPEC,
        _sloth_slos(doc, root, "", _SNAKE),
        ignored=tuple(doc.ignored),
    )


def _kubernetes_document(
    doc: _Doc, root: Mapping[str, yaml.Node], root_node: yaml.Node
) -> SlothDocument:
    metadata_node = root.get("metadata")
    metadata = doc.mapping(metadata_node, "metadata", None)
    name = doc.string(metadata.get("name"), "metadata.name")
    if not name:
        doc.fail("metadata.name", "is required (it names the PrometheusRule)", root_node)
    meta = KubernetesMeta(
        name=name,
        namespace=doc.string(metadata.get("namespace"), "metadata.namespace"),
        labels=_k8s_map(doc, metadata.get("labels"), "metadata.labels"),
        annotations=_k8s_map(doc, metadata.get("annotations"), "metadata.annotations"),
    )
    spec = doc.mapping(root.get("spec"), "spec", ("service", "labels", "slos", _CAMEL.slo_plugins))
    return SlothDocument(
        doc.source,
        doc.index,
        KUBERNETES_SPEC,
        _sloth_slos(doc, spec, "spec", _CAMEL),
        kubernetes=meta,
        ignored=tuple(doc.ignored),
    )


def _k8s_map(doc: _Doc, node: yaml.Node | None, path: str) -> dict[str, str]:
    values = doc.mapping(node, path, None)
    return {key: doc.string(value, _join(path, key)) for key, value in values.items()}


# ---------------------------------------------------------------- OpenSLO v1alpha (as Sloth)


def _openslo_query(doc: _Doc, node: yaml.Node | None, path: str) -> str:
    values = doc.mapping(node, path, ("source", "queryType", "query", "metadata"))
    source = doc.string(values.get("source"), _join(path, "source"))
    if source not in ("prometheus", "sloth"):
        doc.fail(_join(path, "source"), "the source must be prometheus or sloth", node)
    query_type = doc.string(values.get("queryType"), _join(path, "queryType"))
    if query_type != "promql":
        doc.fail(_join(path, "queryType"), f"unsupported query type {query_type!r} (promql)", node)
    query_node = values.get("query")
    query = doc.string(query_node, _join(path, "query"))
    problem = query_problem(query)
    if problem:
        doc.fail(_join(path, "query"), problem, query_node or node)
    return query


def _openslo_document(
    doc: _Doc, root: Mapping[str, yaml.Node], windows: Mapping[timedelta, AlertWindows]
) -> SlothDocument:
    metadata = doc.mapping(root.get("metadata"), "metadata", None)
    slo_name = doc.string(metadata.get("name"), "metadata.name")
    spec_node = root.get("spec")
    spec = doc.mapping(
        spec_node,
        "spec",
        ("service", "description", "budgetingMethod", "objectives", "timeWindows", "indicator"),
    )
    service_node = spec.get("service")
    service = doc.string(service_node, "spec.service")
    problem = name_problem(service)
    if problem:
        doc.fail("spec.service", problem, service_node or spec_node)

    period: timedelta | None = None
    time_windows = doc.sequence(spec.get("timeWindows"), "spec.timeWindows")
    if len(time_windows) > 1:
        doc.fail("spec.timeWindows", "only one time window is supported", spec_node)
    if time_windows:
        path = "spec.timeWindows[0]"
        tw = doc.mapping(time_windows[0], path, ("count", "unit", "isRolling", "calendar"))
        unit = doc.string(tw.get("unit"), _join(path, "unit"))
        if unit.lower() != "day":
            doc.fail(
                _join(path, "unit"), "only day-based time windows are supported", tw.get("unit")
            )
        count = doc.integer(tw.get("count"), _join(path, "count"))
        if count <= 0:
            doc.fail(_join(path, "count"), "must be positive", tw.get("count"))
        period = timedelta(days=count)
        if period not in windows:
            known = ", ".join(format_duration(w.period) for w in windows.values())
            doc.fail(
                _join(path, "count"),
                f"no alert windows for an SLO period of {count} days "
                f"(alert windows known for: {known})",
                tw.get("count"),
            )

    objectives = doc.sequence(spec.get("objectives"), "spec.objectives")
    if not objectives:
        doc.fail("spec.objectives", "at least one objective is required", spec_node)
    description = doc.string(spec.get("description"), "spec.description")
    slos = []
    for i, objective_node in enumerate(objectives):
        path = f"spec.objectives[{i}]"
        ov = doc.mapping(
            objective_node,
            path,
            ("ratioMetrics", "target", "displayName", "value", "op", "timeSliceTarget"),
        )
        ratio_node = ov.get("ratioMetrics")
        if ratio_node is None:
            doc.fail(
                _join(path, "ratioMetrics"), "only ratio objectives are supported", objective_node
            )
        ratio_path = _join(path, "ratioMetrics")
        rm = doc.mapping(ratio_node, ratio_path, ("good", "total", "incremental"))
        good = _openslo_query(doc, rm.get("good"), _join(ratio_path, "good"))
        total = _openslo_query(doc, rm.get("total"), _join(ratio_path, "total"))
        target_node = ov.get("target")
        if target_node is None:
            doc.fail(_join(path, "target"), "is required", objective_node)
        # Sloth's percent is target * 100 in float64 (0.999 -> 99.9).
        objective = doc.number(target_node, _join(path, "target")) * 100
        if not 0 < objective <= 100:
            doc.fail(_join(path, "target"), "the target must be > 0 and <= 1", target_node)
        name = f"{slo_name}-{i}"
        problem = name_problem(name)
        if problem:
            doc.fail("metadata.name", problem, objective_node)
        slos.append(
            PrometheusSlo(
                service=service,
                name=name,
                objective_percent=Decimal(repr(objective)),
                description=description,
                sli=good_total_sli(good, total),  # Sloth's raw error ratio 1 - good / total
                period=period,
            )
        )
    return SlothDocument(
        doc.source, doc.index, OPENSLO_SPEC, tuple(slos), ignored=tuple(doc.ignored)
    )


# ---------------------------------------------------------------- entry points


def _documents(text: str, source: str) -> list[yaml.Node]:
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise SpecError(
            source,
            None,
            "",
            f"not valid YAML: {exc.problem}",
            line=mark.line + 1 if mark is not None else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise SpecError(source, None, "", f"not valid YAML: {exc}") from exc
    # Sloth drops empty documents (a file may start or end with ---).
    return [
        n for n in nodes if n is not None and not (isinstance(n, yaml.ScalarNode) and n.value == "")
    ]


def parse_sloth(
    text: str,
    *,
    source: str,
    windows: AlertWindows | Iterable[AlertWindows] | None = None,
) -> list[SlothDocument]:
    """Read every spec document in ``text`` (the contents of the file named ``source``).

    ``windows`` is the alert-window catalogue an SLO's own period must be found in (OpenSLO
    time windows); default: the Google 30d and 28d sets, as Sloth ships them. The SLO ids of
    all documents must be distinct. Raises `SpecError` for the first problem found.
    """
    catalogue = window_catalogue(windows)
    documents = []
    for index, node in enumerate(_documents(text, source)):
        doc = _Doc(source, index)
        if not isinstance(node, yaml.MappingNode):
            doc.fail("", "a spec document must be a mapping", node)
        keys = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        if "version" in keys and "apiVersion" not in keys:
            version = doc.string(keys["version"], "version")
            if version != PROMETHEUS_SPEC:
                doc.fail(
                    "version",
                    f"unsupported spec version {version!r} (supported: {PROMETHEUS_SPEC})",
                    keys["version"],
                )
            root = doc.mapping(node, "", ("version", "service", "labels", "slos", "slo_plugins"))
            documents.append(_prometheus_document(doc, root))
            continue
        api_version = doc.string(keys.get("apiVersion"), "apiVersion")
        kind = doc.string(keys.get("kind"), "kind")
        if (api_version, kind) == (KUBERNETES_SPEC, "PrometheusServiceLevel"):
            root = doc.mapping(node, "", ("apiVersion", "kind", "metadata", "spec", "status"))
            documents.append(_kubernetes_document(doc, root, node))
        elif (api_version, kind) == (OPENSLO_SPEC, "SLO"):
            root = doc.mapping(node, "", ("apiVersion", "kind", "metadata", "spec"))
            documents.append(_openslo_document(doc, root, catalogue))
        elif (api_version, kind) == (KUBERNETES_SPEC, "AlertWindows"):
            doc.fail(
                "kind",
                "an AlertWindows file is not an SLO spec (read it with parse_alert_windows)",
                node,
            )
        elif not api_version and not kind:
            doc.fail(
                "", "unknown spec: no 'version' (prometheus/v1) or 'apiVersion' and 'kind'", node
            )
        else:
            doc.fail(
                "apiVersion",
                f"unsupported spec {api_version!r} kind {kind!r} (supported: {PROMETHEUS_SPEC}; "
                f"{KUBERNETES_SPEC} PrometheusServiceLevel; {OPENSLO_SPEC} SLO)",
                keys.get("apiVersion") or node,
            )
    if not documents:
        raise SpecError(source, None, "", "no spec documents")
    to_prometheus_slos(documents)  # ids must be unique across the file's documents too
    return documents


def to_prometheus_slos(documents: Iterable[SlothDocument]) -> list[PrometheusSlo]:
    """Every SLO of ``documents`` (of one file or many), in order.

    Raises `SpecError` at the second definition of an SLO id (``<service>-<name>``, the
    ``sloth_id`` label): two rule sets with one id would mix their series.
    """
    seen: dict[str, SlothDocument] = {}
    slos: list[PrometheusSlo] = []
    for document in documents:
        for position, slo in enumerate(document.slos):
            first = seen.get(slo.id)
            if first is not None:
                raise SpecError(
                    document.source,
                    document.index,
                    document.slo_field(position),
                    f"SLO {slo.name!r} of service {slo.service!r} (id {slo.id}) is a duplicate: "
                    f"it is already defined in {first.document}",
                )
            seen[slo.id] = document
            slos.append(slo)
    return slos


def render_sloth(
    documents: Sequence[SlothDocument],
    *,
    period: str | timedelta = "30d",
    windows: AlertWindows | Iterable[AlertWindows] | None = None,
    extra_labels: Mapping[str, str] | None = None,
    recordings: bool = True,
    alerts: bool = True,
    version: str | None = None,
    mode: str | None = "accord",
) -> str:
    """The rules ``sloth generate`` writes for ``documents``: one YAML document each (a
    PrometheusRule for Kubernetes specs), concatenated.

    ``version`` and ``mode`` fill ``sloth_slo_info``'s ``sloth_version``/``sloth_mode`` labels
    (defaults: Accord's version and ``accord``; ``mode=None`` uses Sloth's CLI mode names).
    Other arguments as `render_rules`.
    """
    to_prometheus_slos(documents)
    default = Generator()
    out = []
    for document in documents:
        generator = Generator(
            version=version or default.version,
            mode=SLOTH_CLI_MODES[document.spec] if mode is None else mode,
            spec=document.spec,
        )
        out.append(
            render_rules(
                document.slos,
                period=period,
                windows=windows,
                extra_labels=extra_labels,
                recordings=recordings,
                alerts=alerts,
                generator=generator,
                kubernetes=document.kubernetes,
            )
        )
    return "".join(out)


# ---------------------------------------------------------------- AlertWindows


def parse_alert_windows(text: str, *, source: str = "<alert windows>") -> AlertWindows:
    """Read a Sloth ``AlertWindows`` file (``sloth.slok.dev/v1``): the SLO period and its page
    and ticket window pairs. Raises `SpecError` naming the field."""
    nodes = _documents(text, source)
    doc = _Doc(source, 0)
    if len(nodes) != 1:
        doc.fail("", "an AlertWindows file holds exactly one document")
    root = doc.mapping(nodes[0], "", ("apiVersion", "kind", "spec"))
    api_version = doc.string(root.get("apiVersion"), "apiVersion")
    kind = doc.string(root.get("kind"), "kind")
    if (api_version, kind) != (KUBERNETES_SPEC, "AlertWindows"):
        doc.fail(
            "apiVersion",
            f"expected apiVersion {KUBERNETES_SPEC} kind AlertWindows, "
            f"got {api_version!r} {kind!r}",
            nodes[0],
        )
    spec = doc.mapping(root.get("spec"), "spec", ("sloPeriod", "page", "ticket"))

    def duration(values: Mapping[str, yaml.Node], key: str, path: str) -> timedelta:
        node = values.get(key)
        text = doc.string(node, _join(path, key))
        if not text:
            doc.fail(_join(path, key), "is required", node)
        try:
            value = parse_duration(text)
        except ValueError as exc:
            doc.fail(_join(path, key), str(exc), node)
        if value <= timedelta(0):
            doc.fail(_join(path, key), "must be positive", node)
        return value

    def window(values: Mapping[str, yaml.Node], key: str, path: str) -> AlertWindow:
        where = _join(path, key)
        wv = doc.mapping(
            values.get(key), where, ("errorBudgetPercent", "shortWindow", "longWindow")
        )
        budget_node = wv.get("errorBudgetPercent")
        if budget_node is None:
            doc.fail(_join(where, "errorBudgetPercent"), "is required")
        budget = doc.number(budget_node, _join(where, "errorBudgetPercent"))
        if not 0 < budget <= 100:
            doc.fail(_join(where, "errorBudgetPercent"), "must be > 0 and <= 100", budget_node)
        return AlertWindow(
            budget, duration(wv, "shortWindow", where), duration(wv, "longWindow", where)
        )

    page = doc.mapping(spec.get("page"), "spec.page", ("quick", "slow"))
    ticket = doc.mapping(spec.get("ticket"), "spec.ticket", ("quick", "slow"))
    return AlertWindows(
        period=duration(spec, "sloPeriod", "spec"),
        page_quick=window(page, "quick", "spec.page"),
        page_slow=window(page, "slow", "spec.page"),
        ticket_quick=window(ticket, "quick", "spec.ticket"),
        ticket_slow=window(ticket, "slow", "spec.ticket"),
    )
