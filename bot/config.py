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

    # auto: uvloop when installed, else asyncio's loop; or "uvloop" / "asyncio"
    event_loop: str = "auto"

    # telegram
    telegram_token: str | None = None
    telegram_driver: str = "aiogram"
    telegram_api_base: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1:8080"
    webhook_secret: str | None = None
    # a webhook update waits up to this long for an older update id that has not arrived
    # (deliveries racing): one partner's updates are handled in update order. Racing
    # deliveries land within milliseconds; a missing id that cannot come yet (queued at
    # Telegram behind the connections our waiting updates hold) costs every update behind
    # it the whole bound: 0.2 s halved the webhook benchmark's rate, 0.05 s does not
    webhook_order_wait: float = 0.05
    # set for `--role web`: web workers behind a balancer share what arrived (PostgreSQL)
    webhook_shared_order: bool = False
    # long-polling wait per getUpdates call, in seconds
    telegram_poll_timeout: int = 25
    # a reply hit by flood control waits up to this long; longer waits go to the outbox
    telegram_inline_retry_max: float = 2.0

    # coaches and roles
    admin_ids: list[str] = Field(default_factory=list)
    coach_chat_id: str | None = None
    # cohort report (issue 7): a partner idle for more than this many days is "stalled"
    report_stalled_days: float = 3.0
    # FAQ and coach hand-off (issue 5); None thresholds use the values calibrated on the
    # development set (handlers/faq/engine/calibration.py)
    faq_answer_threshold: float | None = None
    faq_offer_threshold: float | None = None
    coach_hours: str = "09:00-17:00"  # when coaches answer, in coach_timezone
    coach_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])  # ISO, 1 = Monday
    coach_timezone: str = "Asia/Jakarta"
    coach_language: str = "id"  # of ticket messages in the coaches' chat
    ticket_reannounce_minutes: float = 120.0  # an unanswered ticket is announced again…
    ticket_reannounce_times: int = 3  # …this many times at most

    # sending
    send_rate: float = 30.0
    # Telegram's paid broadcasts (issue 20): broadcast rows are sent with
    # allow_paid_broadcast (Telegram Stars per message) at their own rate, up to 1,000/s,
    # beside send_rate, which replies and nudges keep
    telegram_paid_broadcast: bool = False
    telegram_paid_broadcast_rate: float = 1000.0

    # nudges and the outbox dispatcher (scheduler/)
    scheduler_enabled: bool = True  # run the planner and dispatcher beside the chat
    quiet_hours: str = "21:00-08:00"  # partner's local time; "off" sends at any hour
    nudges_per_day: int = 1  # per partner per local day; 0 means no limit
    nudge_calendar_hour: int = 10  # local hour of the twin-date / payday tip, the day before
    planner_interval: float = 300.0  # seconds between nudge planning passes
    # partners a planning pass judges at most (a backlog is spread over the next passes);
    # None: what the dispatcher sends between two passes (send_rate × planner_interval;
    # 9,000 by default, never below 1,000); 0: no bound
    planner_max_partners: int | None = None
    # seconds of real time a planning pass aims to stay within: it takes no further batch
    # once another one (at the pace so far) would go over; the rest of a backlog waits for
    # the next pass, from where this one stopped; 0: no budget
    planner_pass_budget: float = 1.0
    dispatch_interval: float = 1.0  # seconds between outbox dispatcher ticks
    send_chat_interval: float = 1.0  # at most one message per chat per this many seconds
    send_max_attempts: int = 5  # a row that failed this often is given up ('failed')
    send_backoff: float = 30.0  # first retry delay after a failure; doubles each attempt
    outbox_lease: float = 120.0  # a row 'sending' for this long (a crashed worker) is retried
    digest_hour: int = 8  # coaches' daily digest, local time in digest_timezone
    digest_timezone: str = "Asia/Jakarta"
    digest_channel: str = "telegram"  # channel of coach_chat_id

    # reliability (issue 16): more than flood_messages texts from one partner within
    # flood_window seconds get one "slow down"; the rest of the burst is dropped (0: off)
    flood_messages: int = 8
    flood_window: float = 10.0
    # whatsapp (issue 17): the Cloud API number the bot speaks from
    whatsapp_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: str | None = None  # signs every webhook POST
    whatsapp_verify_token: str | None = None  # answers Meta's GET verification
    whatsapp_api_base: str = "https://graph.facebook.com/v21.0"
    whatsapp_rate: float = 80.0  # messages per second the number may send
    # seconds a message in flight at a crash waits for WhatsApp's `sent` report before it is
    # sent again (the report settles it; the Cloud API has no idempotency key)
    whatsapp_confirm_grace: float = 60.0
    # the coaches' web dashboard (bot/web/)
    dashboard_enabled: bool = True  # served beside the bot by `coachbot run`
    dashboard_listen: str = "127.0.0.1:8081"
    # the address coaches open, when it differs from the listen address (a proxy, HTTPS)
    dashboard_url: str | None = None
    # signs the session cookies; random per process when unset (a restart signs coaches out)
    dashboard_secret: str | None = None
    # the dashboard regroups its FAQ gaps (text similarity, in Python) in the background when
    # older than this (seconds; 0: on every request); counted figures are always current
    dashboard_figures_max_age: float = 30.0

    # scale-out (issue 20)
    leader_interval: float = 5.0  # seconds between schedule-lock checks (the failover time)
    # /healthz, /readyz and /metrics in polling mode (host:port); with a webhook they are
    # served on COACHBOT_WEBHOOK_LISTEN
    metrics_listen: str | None = None
    log_format: str = "text"  # "json": one JSON object a line, partner ids, never texts

    @property
    def dashboard_base_url(self) -> str:
        return self.dashboard_url or f"http://{self.dashboard_listen}"
