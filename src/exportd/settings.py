"""All configuration in one place: `EXPORTD_*` environment variables, overridable by CLI flags.

Nothing here touches the disk at import time; `Settings.load()` resolves derived values
(database URL, storage URL, secret key) once, when the application is wired.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from exportd.errors import ConfigurationError
from exportd.gids import MAX_NODE

SECRET_KEY_FILE = "secret_key"
SQLITE_FILE = "exportd.sqlite3"
EXPORTS_DIR = "exports"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class Settings(BaseSettings):
    """exportd's configuration. Every field maps to `EXPORTD_<FIELD NAME>`."""

    model_config = SettingsConfigDict(env_prefix="EXPORTD_", extra="forbid")

    home: Path = Field(
        default=Path("exportd-data"), description="Data folder: SQLite file, export files, key."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; default: a SQLite file in the home."
    )
    storage_url: str = Field(
        default="",
        description="Where export files go: file:///folder or s3://bucket/prefix; "
        "default: a folder in the home.",
    )
    s3_endpoint_url: str = Field(
        default="",
        description="Endpoint of an S3-compatible service for s3:// storage; default: AWS S3.",
    )
    s3_public_url: str = Field(
        default="",
        description="The S3 endpoint as the people downloading reach it, when it differs "
        "from EXPORTD_S3_ENDPOINT_URL (an internal address); download links are presigned "
        "for it.",
    )
    s3_region: str = Field(
        default="", description="Region of s3:// storage; default: the AWS configuration's."
    )
    public_url: str = Field(
        default="", description="Base of links handed out; default: http://HOST:PORT."
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""), description="Signs download links; generated once when empty."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    node_id: int | None = Field(
        default=None, ge=0, le=MAX_NODE, description="Gid node number; random when unset."
    )
    log_level: str = Field(
        default="info", description="Least severe log lines written: debug, info, warning, error."
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`text`: readable lines; `json`: one JSON object per line (time, level, "
        "logger, message and context), from exportd, uvicorn and alembic alike.",
    )
    metrics_token: SecretStr = Field(
        default=SecretStr(""),
        description="When set, GET /metrics needs `Authorization: Bearer <this token>`; "
        "empty: open to whoever reaches the port.",
    )
    metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port `exportd worker` serves /metrics and /healthz on (at EXPORTD_HOST); "
        "0: none. `serve` answers /metrics on its own port.",
    )
    workers: int = Field(
        default=1, ge=0, description="Export workers inside `serve`; 0 serves the API alone."
    )
    job_lease: int = Field(
        default=30, ge=1, description="Seconds a worker holds a job between heartbeats."
    )
    queue: Literal["embedded", "procrastinate"] = Field(
        default="embedded",
        description="How new exports reach workers: `embedded` (workers poll the database; "
        "no broker) or `procrastinate` (a job queue on the same PostgreSQL, for `exportd "
        "worker` processes).",
    )
    worker_concurrency: int = Field(
        default=1, ge=1, description="Exports one `exportd worker` process runs at once."
    )
    retry_delay: float = Field(
        default=10.0,
        ge=0,
        description="Seconds a failed export waits before its second attempt; each later "
        "retry waits 4 times longer.",
    )
    export_shards: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Processes one large task export is split across (its shards are run at "
        "once and joined into one file); 1 exports in the worker itself.",
    )
    export_shard_min_tasks: int = Field(
        default=20_000,
        ge=1,
        description="Fewest tasks a shard gets: smaller exports are split in fewer shards, "
        "or none.",
    )
    export_batch_size: int = Field(
        default=2_500,
        ge=100,
        le=100_000,
        description="Tasks an export reads and shapes at a time: its memory grows with it, "
        "its per-query overhead shrinks.",
    )
    stop_timeout: float = Field(
        default=20.0,
        ge=0,
        description="Seconds running exports get to finish on SIGTERM before they are "
        "handed back to be run again.",
    )
    download_url_ttl: int = Field(
        default=3600, ge=1, description="Seconds a download link stays valid (O4)."
    )
    retention: int = Field(
        default=30 * 24 * 3600, ge=1, description="Seconds export files are kept (R10)."
    )
    oauth_access_ttl: int = Field(
        default=3600, ge=1, description="Seconds an OAuth access token lives (`expires_in`)."
    )

    # Limits on what one client may ask of the server (docs/operations.md, "Rate limits").
    # The defaults are Asana's documented numbers; 0 turns a limit off.
    rate_limit: int = Field(
        default=1500,
        ge=0,
        description="Requests one token may make per window (a minute), for users of a paid plan.",
    )
    rate_limit_free: int = Field(
        default=150,
        ge=0,
        description="Requests per window for tokens whose user is only in free (personal) "
        "workspaces.",
    )
    rate_limit_ip: int = Field(
        default=1500,
        ge=0,
        description="Requests one client IP may make per window without a token (OAuth "
        "pages and endpoints, downloads, calls with a missing or unknown token).",
    )
    rate_limit_window: int = Field(
        default=60, ge=1, description="Seconds of the window the request quotas count over."
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where request counts are kept: memory:// (this process) or "
        "redis://host:port/db (shared by every API process).",
    )
    concurrent_reads: int = Field(
        default=50, ge=0, description="GET requests one token may have in flight at once."
    )
    concurrent_writes: int = Field(
        default=15,
        ge=0,
        description="POST, PUT, PATCH and DELETE requests one token may have in flight.",
    )
    concurrent_exports: int = Field(
        default=5, ge=0, description="Unfinished exports one user may have requested at once."
    )
    export_max_parts: int = Field(
        default=20,
        ge=1,
        description="Most entries of `export_request_parameters` one resource export may list.",
    )
    graph_cache_tasks: int = Field(
        default=1000,
        ge=0,
        description="A graph export of more tasks than this is handed out again, instead of "
        "a fresh one, to its requester's new requests for the same parent within "
        "EXPORTD_GRAPH_CACHE_WINDOW.",
    )
    graph_cache_window: int = Field(
        default=4 * 3600,
        ge=0,
        description="Seconds a large graph export answers new requests for its parent; 0: never.",
    )

    @field_validator("log_level")
    @classmethod
    def _level(cls, level: str) -> str:
        if level.lower() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level.lower()

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage_scheme(cls, url: str) -> str:
        if not url.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or a redis:// or rediss:// URL")
        return url

    # Requests and connections: what one client may send, and how slowly.
    max_body_bytes: int = Field(
        default=1 << 20,
        ge=1,
        description="Largest request body (JSON) in bytes; a larger one is answered 413 "
        "before it is read.",
    )
    max_form_bytes: int = Field(
        default=64 << 10,
        ge=1,
        description="Largest form body in bytes (the OAuth pages and token endpoints).",
    )
    header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has to send a request's headers, from its first byte; "
        "then the connection is closed.",
    )
    body_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a client has to send a request's whole body once its headers "
        "are in; then the request is answered 408 and the connection closed.",
    )
    idle_timeout: int = Field(
        default=5,
        ge=1,
        description="Seconds a connection may sit idle (before its first request and "
        "between requests) before it is closed.",
    )

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        """Accept plain `postgresql://` URLs and use the psycopg 3 driver for them."""
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Read the environment, apply flag overrides, fill derived defaults, make the home."""
        settings = cls(**{k: v for k, v in overrides.items() if v is not None})
        home = settings.home.expanduser().resolve()
        try:
            home.mkdir(mode=0o700, parents=True, exist_ok=True)  # its owner's only
        except OSError as error:
            raise ConfigurationError(f"EXPORTD_HOME {home} cannot be created: {error}") from error
        updates: dict[str, Any] = {"home": home}
        if not settings.database_url:
            updates["database_url"] = f"sqlite:///{home / SQLITE_FILE}"
        if not settings.storage_url:
            updates["storage_url"] = (home / EXPORTS_DIR).as_uri()
        if not settings.public_url:
            updates["public_url"] = f"http://{settings.host}:{settings.port}"
        if not settings.secret_key.get_secret_value():
            updates["secret_key"] = SecretStr(_stored_secret_key(home))
        loaded = settings.model_copy(update=updates)
        if loaded.queue == "procrastinate" and loaded.is_sqlite:
            raise ConfigurationError(
                "EXPORTD_QUEUE=procrastinate needs PostgreSQL: set EXPORTD_DATABASE_URL"
            )
        return loaded

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _stored_secret_key(home: Path) -> str:
    """Read the key kept in the home, or make one (readable by the owner only).

    The new key is written aside and linked into place, so two processes starting at once
    agree on one key instead of each keeping its own.
    """
    path = home / SECRET_KEY_FILE
    if not path.exists():
        fd, draft = tempfile.mkstemp(dir=home, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()
