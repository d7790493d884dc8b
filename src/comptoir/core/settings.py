"""Settings read from the environment (prefix ``COMPTOIR_``) or a ``.env`` file.

Defaults are safe for the embedded mode: SQLite under ``var/``, the dispatcher inside the API
process, no CORS origin. Production mode refuses to start with the default secret key.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"
# The header fields a DKIM signature covers, those the message has (From always).
DEFAULT_DKIM_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)
# Fields RFC 6376 says not to sign: relays add or rewrite them.
_UNSIGNABLE_HEADERS = {
    "return-path",
    "received",
    "comments",
    "keywords",
    "bcc",
    "resent-bcc",
    "dkim-signature",
}
_DNS_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_DNS_NAME = re.compile(rf"(?=.{{1,253}}$){_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_HEADER_NAME = re.compile(r"[!-9;-~]+")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPTOIR_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/comptoir.db"
    secret_key: str = DEFAULT_SECRET_KEY
    base_url: str = "http://127.0.0.1:8000"

    default_locale: str = "fr_FR"
    locales: Annotated[list[str], NoDecode] = ["fr_FR", "en_GB"]
    default_currency: str = "EUR"
    default_region: str = "FR"
    timezone: str = "Europe/Paris"

    cors_origins: Annotated[list[str], NoDecode] = []

    # "inprocess": `comptoir serve` delivers events in a background thread; "off": run `comptoir worker`.
    dispatcher: Literal["inprocess", "off"] = "inprocess"
    dispatcher_poll_seconds: float = 0.25
    dispatcher_batch_size: int = 50
    handler_max_attempts: int = 10
    webhook_max_attempts: int = 8
    webhook_timeout_seconds: float = 10.0
    webhook_backoff_base_seconds: float = 5.0
    webhook_backoff_max_seconds: float = 3600.0
    # Networks webhooks may reach although they are not public (refused by default: loopback, private,
    # link-local …), e.g. "127.0.0.0/8,::1/128" for a receiver on a developer's machine.
    webhook_allowed_networks: Annotated[list[str], NoDecode] = []
    # E-mail: attempts before a message is dead-lettered (retried with the webhooks' backoff).
    mail_max_attempts: int = 8
    # Sent and dead-lettered e-mails (recipient and subject; their content is dropped once sent) are
    # deleted after this many days.
    outbound_retention_days: int = Field(default=30, ge=1)

    # Request bodies above these sizes are refused with 413 (multipart uploads: files, imports).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)

    # Threads serving the synchronous routes of one API process (most of the API: each waits on the
    # database in its own thread). None: 4 on SQLite, where every read is the process's own work and
    # more threads only take turns on Python's lock (cart reads, 16 clients: 451 requests/s with 4,
    # 355 with 40, p99 63 against 94 ms); 40, the framework's, on PostgreSQL, where threads wait on
    # the server's answers. Few threads also mean a slow request (a large import) holds a larger share.
    api_threads: int | None = Field(default=None, ge=1, le=1000)

    default_rate_limit_per_minute: int = 1200
    # Optional: share each key's rate limit across every API process (otherwise counted per process).
    redis_url: str | None = None
    # What carries live messages (presence, offers, video signalling) between API processes
    # (core/pubsub.py): "auto" takes PostgreSQL's LISTEN/NOTIFY on PostgreSQL, Redis pub/sub on SQLite
    # when COMPTOIR_REDIS_URL is set, else (SQLite, one process) the process itself. "redis" moves the
    # traffic off PostgreSQL; "local" is for a single process only.
    hub: Literal["auto", "postgres", "redis", "local"] = "auto"
    api_key_cache_seconds: float = 5.0
    idempotency_ttl_hours: int = 24
    idempotency_wait_seconds: float = 10.0

    media_dir: Path = Path("var/media")
    # Outgoing e-mail: file://<dir> writes .eml files (development); smtp://user:pass@host:587?starttls=1
    mail_url: str = "file://var/mail"
    mail_from: str = "Comptoir <no-reply@comptoir.localhost>"
    # DKIM (RFC 6376): with a key, every message the mailer sends (SMTP or files) is signed, relaxed/relaxed,
    # as d=<domain> s=<selector>; publish the public key as a TXT record at <selector>._domainkey.<domain>.
    # The key file is an unencrypted PEM private key, RSA (2048 bits advised, 1024 at least) or Ed25519
    # ; it is read once, at start-up, and a missing or unreadable key stops the start.
    dkim_private_key_file: Path | None = None
    dkim_selector: str | None = None
    # The signing domain (d=); by default the domain of COMPTOIR_MAIL_FROM, which DMARC wants aligned.
    dkim_domain: str | None = None
    # Comma-separated header fields signed when a message has them; From must be one of them.
    dkim_headers: Annotated[list[str], NoDecode] = list(DEFAULT_DKIM_HEADERS)
    # SMS and push notifications: https://… posts each message as JSON to the provider's gateway, the
    # token as a bearer (http:// only outside production); sandbox://<dir> appends each message as a JSON
    # line to <dir>/<date>.jsonl, for development.
    sms_url: str = "sandbox://var/sms"
    sms_token: str | None = None
    push_url: str = "sandbox://var/push"
    push_token: str | None = None
    messaging_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    log_level: str = "INFO"
    log_json: bool = True
    # FastAPI's native OpenTelemetry (spans, metrics and logs sent to the globally configured
    # providers). Off by default: Comptoir serves Prometheus metrics at /metrics and logs JSON with a
    # request id; when on, every request also checks the providers and records a span.
    opentelemetry: bool = False

    # Extra modules imported at start-up; each may define ``register(bus)`` to subscribe handlers.
    plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator(
        "cors_origins", "plugins", "locales", "webhook_allowed_networks", "dkim_headers", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not a network such as 127.0.0.0/8 or ::1/128") from None
        return value

    @field_validator("dkim_selector", "dkim_domain")
    @classmethod
    def _dns_name(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not _DNS_NAME.fullmatch(value):
            raise ValueError(f"COMPTOIR_{str(info.field_name).upper()} must be a DNS name, not {value!r}")
        return value

    @field_validator("dkim_headers")
    @classmethod
    def _signed_headers(cls, value: list[str]) -> list[str]:
        names = {name.lower() for name in value}
        if "from" not in names:
            raise ValueError("COMPTOIR_DKIM_HEADERS must include From (RFC 6376)")
        for name in value:
            if not _HEADER_NAME.fullmatch(name) or name.lower() in _UNSIGNABLE_HEADERS:
                raise ValueError(f"COMPTOIR_DKIM_HEADERS: {name!r} cannot be signed")
        return value

    @field_validator("sms_url", "push_url")
    @classmethod
    def _messaging_url(cls, value: str, info: ValidationInfo) -> str:
        name = f"COMPTOIR_{str(info.field_name).upper()}"
        if value.startswith(("https://", "http://")):
            if not urlparse(value).hostname:
                raise ValueError(f"{name} names no host: {value!r}")
        elif not value.startswith("sandbox://") or value == "sandbox://":
            raise ValueError(
                f"{name} must be https://… (the provider's gateway) or sandbox://<directory>, not {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _messaging_credentials(self) -> Settings:
        for channel in ("sms", "push"):
            url, token = getattr(self, f"{channel}_url"), getattr(self, f"{channel}_token")
            if url.startswith(("https://", "http://")) and not token:
                raise ValueError(f"COMPTOIR_{channel.upper()}_TOKEN is needed to post to {url}")
            if url.startswith("http://") and self.env == "production":
                raise ValueError(f"COMPTOIR_{channel.upper()}_URL must be https:// in production")
        return self

    @model_validator(mode="after")
    def _dkim_key(self) -> Settings:
        if self.dkim_private_key_file is None:
            if self.dkim_selector or self.dkim_domain:
                raise ValueError(
                    "COMPTOIR_DKIM_SELECTOR or COMPTOIR_DKIM_DOMAIN is set without COMPTOIR_DKIM_PRIVATE_KEY_FILE:"
                    " mail would go out unsigned"
                )
            return self
        if not self.dkim_selector:
            raise ValueError(
                "COMPTOIR_DKIM_SELECTOR must name the selector of COMPTOIR_DKIM_PRIVATE_KEY_FILE"
            )
        # The kernel's mail module (which imports this one) reads and checks the key, and keeps it.
        from comptoir.core.mail import load_dkim_key

        load_dkim_key(self.dkim_private_key_file)  # a DkimKeyError (a ValueError) names the file and fault
        return self

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and (self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32):
            raise ValueError(
                "COMPTOIR_SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def serving_base_url(settings: Settings, host: str, port: int) -> str | None:
    """The base URL of links (e-mails, receipts) when ``serve`` listens on ``host:port`` and none was
    configured (``COMPTOIR_BASE_URL``): the serving port, not a default one. None when configured."""
    if "base_url" in settings.model_fields_set:
        return None
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
