"""Settings from environment variables (prefix COACHBOT_) and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from content.loader import PACKS_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACHBOT_", env_file=".env", extra="ignore")

    # storage
    database_url: str = "sqlite+aiosqlite:///var/coachbot.sqlite3"

    # content
    packs_dir: Path = PACKS_DIR
    default_pack: str = "mitra-onboarding"

    # logging
    log_level: str = "INFO"

    # telegram
    telegram_token: str | None = None
    telegram_driver: str = "aiogram"
    telegram_api_base: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1:8080"
    webhook_secret: str | None = None

    # coaches and roles
    admin_ids: list[str] = Field(default_factory=list)
    coach_chat_id: str | None = None

    # sending
    send_rate: float = 30.0
