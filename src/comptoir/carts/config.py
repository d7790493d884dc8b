"""carts: settings of this domain (environment variables prefixed ``COMPTOIR_CARTS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CartSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPTOIR_CARTS_", extra="ignore")

    abandoned_after_minutes: int = Field(
        default=60, ge=1, description="A cart with lines untouched this long is marked abandoned"
    )
    abandonment_check_seconds: float = Field(default=60, gt=0, description="How often the job looks")
    abandonment_batch: int = Field(default=500, ge=1, le=10_000)
    stale_after_days: int = Field(
        default=30,
        ge=1,
        description="Anonymous carts nobody claimed, and carts closed as merged, are deleted after this",
    )
    purge_check_seconds: float = Field(default=3600, gt=0)
