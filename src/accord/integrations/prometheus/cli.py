"""`accord export prometheus-rules` (registered by `accord.cli`).

Acts as the local operator, like every command; errors propagate to `accord.cli.main`, which
prints them (each naming the objective) and exits non-zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.db.session import CommandDatabase
from accord.identity import service as identity_service
from accord.integrations.interop import write_output
from accord.integrations.prometheus import service as prometheus_service
from accord.integrations.prometheus.rules import AlertWindows, parse_duration
from accord.integrations.sloth.specs import SpecError, parse_alert_windows
from accord.kit.errors import InvalidInput

err = Console(stderr=True, soft_wrap=True)


def export_rules(
    ctx: typer.Context,
    objective: Annotated[
        list[str] | None,
        typer.Option(
            "--objective",
            help="An objective's key, e.g. SLO-0042 (repeatable); default: every live "
            "Prometheus objective",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="Render every objective over this SLO period (e.g. 28d; Sloth's "
            "--default-slo-period) instead of its own rolling window; calendar windows need it"
        ),
    ] = None,
    alert_windows: Annotated[
        list[Path] | None,
        typer.Option(
            "--alert-windows",
            exists=True,
            dir_okay=False,
            readable=True,
            help="A Sloth AlertWindows file (repeatable); replaces the built-in 30d and 28d "
            "windows (Sloth's --slo-period-windows-path)",
        ),
    ] = None,
    extra_labels: Annotated[
        list[str] | None,
        typer.Option("--extra-labels", "-l", help="KEY=VALUE on every recording rule (repeatable)"),
    ] = None,
    disable_alerts: Annotated[
        bool, typer.Option("--disable-alerts", help="Only recording rules")
    ] = False,
    disable_recordings: Annotated[
        bool, typer.Option("--disable-recordings", help="Only alert rules")
    ] = False,
    kubernetes: Annotated[
        bool,
        typer.Option(
            "--kubernetes",
            help="prometheus-operator PrometheusRule objects, one per Kubernetes "
            "PrometheusServiceLevel the objectives were imported from",
        ),
    ] = False,
    sloth_version: Annotated[
        str | None,
        typer.Option(
            help="Label the rules as `sloth generate` VERSION would (sloth_version, sloth_mode, "
            "managed-by), so a diff against Sloth's output shows only the header"
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", dir_okay=False, help="Write to this file (default: stdout)"),
    ] = None,
) -> None:
    """Write the Prometheus recording and alerting rules of objectives whose source is
    Prometheus: what `sloth generate` writes for the same SLOs (one rule file; see
    docs/integrations/prometheus-rules.md)."""
    labels = {}
    for item in extra_labels or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--extra-labels")
        labels[key] = value
    try:
        slo_period = parse_duration(period) if period is not None else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--period") from error
    windows = [_alert_windows(path) for path in alert_windows] if alert_windows else None
    database = CommandDatabase.of(ctx.obj)
    with database.unit_of_work(write=False) as session:
        text = prometheus_service.export_rules(
            session,
            actor=identity_service.local_operator(),
            keys=objective or (),
            period=slo_period,
            windows=windows,
            extra_labels=labels,
            recordings=not disable_recordings,
            alerts=not disable_alerts,
            kubernetes=kubernetes,
            sloth_version=sloth_version,
        )
    write_output(text, output, err)


def _alert_windows(path: Path) -> AlertWindows:
    try:
        return parse_alert_windows(path.read_text(encoding="utf-8"), source=str(path))
    except (SpecError, UnicodeDecodeError) as error:
        raise InvalidInput.field("--alert-windows", str(error)) from error
