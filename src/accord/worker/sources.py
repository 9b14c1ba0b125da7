"""The pull adapters by source kind: the one place that knows which integration reads which
kind of source (the telemetry domain only knows the `MetricSource` port)."""

from __future__ import annotations

from accord.config import Settings
from accord.integrations.datadog.query import DatadogSource
from accord.integrations.prometheus.query import PrometheusSource
from accord.objectives.enums import SourceKind
from accord.telemetry.ports import MetricSource, QueryRejected
from accord.telemetry.pulls.service import PullTask


def metric_source(task: PullTask, settings: Settings) -> MetricSource:
    """The adapter for a pull task's source. A source that cannot be queried as configured
    raises `QueryRejected`, so the mapping shows the error and backs off."""
    if task.kind is SourceKind.PROMETHEUS:
        return PrometheusSource(task.base_url, timeout=settings.worker.pull_timeout_seconds)
    if task.kind is SourceKind.DATADOG:
        keys = settings.datadog
        if keys.api_key is None or keys.application_key is None:
            raise QueryRejected(
                "Datadog keys are not configured (ACCORD_DATADOG__API_KEY and "
                "ACCORD_DATADOG__APPLICATION_KEY)"
            )
        return DatadogSource(
            task.base_url,
            api_key=keys.api_key.get_secret_value(),
            application_key=keys.application_key.get_secret_value(),
            timeout=settings.worker.pull_timeout_seconds,
        )
    raise QueryRejected(f"a {task.kind.value} source is not pulled")
