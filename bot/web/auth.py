"""Sessions and CSRF tokens: a signed cookie holds the coach's id; forms carry a token tied
to the session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

COOKIE = "coachbot_session"
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    coach_id: int
    sid: str  # random per sign-in; the CSRF token is derived from it
    expires: float  # unix time


class Signer:
    def __init__(self, secret: str | None):
        self.key = (secret or secrets.token_hex(32)).encode()

    def _mac(self, data: bytes) -> str:
        return base64.urlsafe_b64encode(
            hmac.new(self.key, data, hashlib.sha256).digest()).decode().rstrip("=")

    def issue(self, coach_id: int, now: datetime) -> str:
        body = json.dumps({"c": coach_id, "s": secrets.token_urlsafe(12),
                           "e": (now + SESSION_LIFETIME).timestamp()}).encode()
        data = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{data}.{self._mac(data.encode())}"

    def read(self, cookie: str | None, now: datetime) -> Session | None:
        """The session in a cookie, or None when absent, forged or expired."""
        if not cookie or cookie.count(".") != 1 or len(cookie) > 500:
            return None
        data, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(data.encode())):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
            session = Session(int(body["c"]), str(body["s"]), float(body["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > now.timestamp() else None

    def csrf(self, session: Session) -> str:
        return self._mac(f"csrf:{session.sid}".encode())

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf(session), token or "")
