"""Settings: one pydantic-settings class, read from ``ACCORD_*`` variables (``__`` nests groups).

Nothing reads settings at import time; `get_settings()` builds them and the composition roots pass
them on explicitly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./accord.db"


class DatabaseSettings(BaseModel):
    sqlite_synchronous: Literal["FULL", "EXTRA", "NORMAL"] = Field(
        default="FULL",
        description=(
            "SQLite `synchronous` pragma. FULL (default) or EXTRA are durable in WAL mode; NORMAL "
            "may lose the last transactions on power loss and also needs `allow_non_durable`."
        ),
    )
    busy_timeout_ms: int = Field(
        default=10_000, ge=0, description="How long a SQLite writer waits for the write lock."
    )
    allow_non_durable: bool = Field(
        default=False,
        description=(
            "Start even when acknowledged writes could be lost (SQLite synchronous=NORMAL; "
            "PostgreSQL fsync, full_page_writes or synchronous_commit off)."
        ),
    )
    pool_size: int = Field(default=10, ge=1, description="Connections kept per process.")


class AuditSettings(BaseModel):
    signing_key_file: Path | None = Field(
        default=None,
        description=(
            "Ed25519 private key (PEM) used to sign audit checkpoints. Keep it outside the "
            "database; `accord audit keygen` creates one. Unset: no checkpoints are written."
        ),
    )
    checkpoint_dir: Path | None = Field(
        default=None,
        description="Directory that receives signed checkpoint files for auditors to keep.",
    )
    checkpoint_every_events: int = Field(
        default=100, ge=1, description="Write a checkpoint after this many new audit events…"
    )
    checkpoint_every_minutes: int = Field(
        default=60, ge=1, description="…or when this many minutes have passed since the last one."
    )


class TokenSettings(BaseModel):
    default_ttl_days: int = Field(default=90, ge=1, description="Lifetime of a new API token.")
    max_ttl_days: int = Field(default=366, ge=1, description="Longest lifetime a token may have.")


class IngestSettings(BaseModel):
    rate_limit: str = Field(
        default="100/second;3000/minute",
        description=(
            "Pushes each ingest token may make, in `limits` notation; every limit of a "
            "`;`-separated list applies. The default allows bursts of 100 requests in a second "
            "and 50 a second sustained over a minute (a sender pushing 5,000-row batches at "
            "100,000 rows/s needs 20)."
        ),
    )
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1_024,
        description="Largest push body as sent (413 above it).",
    )
    max_decompressed_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1_024,
        description="Largest push body after gzip decompression (413 above it: no zip bombs).",
    )
    max_future_skew_seconds: int = Field(
        default=300,
        ge=0,
        description="How far ahead of the server clock a timestamp may be (check `future`).",
    )
    idempotency_hours: int = Field(
        default=48,
        ge=1,
        description=(
            "How long a push's Idempotency-Key is remembered; after that a retry is processed "
            "anew (harmless: bucket writes are upserts)."
        ),
    )
    reject: list[str] = Field(
        default_factory=list,
        description=(
            'Checks answered with 400 instead of quarantined, e.g. `["future"]`; the checks '
            "and their defaults are listed in docs/telemetry.md."
        ),
    )
    flag: list[str] = Field(
        default_factory=list,
        description='Checks quarantined instead of rejected, e.g. `["good-above-total"]`.',
    )


class WorkerSettings(BaseModel):
    evaluate_every_seconds: int = Field(
        default=300, ge=10, description="How often `accord worker` judges every objective."
    )
    pull_every_seconds: int = Field(
        default=60, ge=5, description="How often it looks for Prometheus/Datadog pulls due."
    )
    pull_settle_seconds: int = Field(
        default=60,
        ge=0,
        description="A bucket is pulled once it has been closed this long (scrape lag).",
    )
    pull_backfill_hours: int = Field(
        default=24, ge=1, description="How far back a new pull mapping starts."
    )
    pull_max_span_hours: int = Field(
        default=24,
        ge=1,
        description="Most one pull asks for: a long outage is caught up this much at a time.",
    )
    pull_retry_max_seconds: int = Field(
        default=900,
        ge=30,
        description="Longest wait between retries of a failing source (doubling from 30 s).",
    )
    pull_timeout_seconds: float = Field(
        default=30.0, gt=0, description="HTTP timeout of one pull request."
    )


class DatadogSettings(BaseModel):
    api_key: SecretStr | None = Field(default=None, description="Datadog API key (pulls).")
    application_key: SecretStr | None = Field(
        default=None, description="Datadog application key (pulls)."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ACCORD_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description=(
            "SQLAlchemy URL. Unset: an embedded SQLite file `./accord.db`. PostgreSQL: "
            "`postgresql+psycopg://user:password@host:5432/accord`."
        ),
    )
    db: DatabaseSettings = DatabaseSettings()
    audit: AuditSettings = AuditSettings()
    tokens: TokenSettings = TokenSettings()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level of the server and CLI."
    )
    ingest: IngestSettings = IngestSettings()
    worker: WorkerSettings = WorkerSettings()
    datadog: DatadogSettings = DatadogSettings()
    redis_url: str | None = Field(
        default=None,
        description=(
            "Redis URL (`redis://host:6379/0`) holding shared limiter state when several API "
            "processes run. Unset: each process counts on its own, in memory."
        ),
    )


def get_settings() -> Settings:
    return Settings()
