"""Which database errors are passing faults (retry) and which are the message's own (don't)."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, TimeoutError

RETRY_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


class StorageUnavailable(Exception):
    """The database stayed unreachable through every retry: the message is not processed,
    so it must not be acknowledged to the platform (it will be delivered again)."""


def is_transient(exc: BaseException) -> bool:
    """A fault of the connection or the server, not of the message: retrying may succeed.

    Connection refused or dropped, a server shutting down or in recovery, a pool that gave
    no connection in time, SQLite busy: all transient. Bad data (an integrity or data
    error) is not: retrying it fails the same way.
    """
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # a deadlock or serialization failure rolled the whole transaction back: running it
    # again is what PostgreSQL asks for (shared counter rows make this possible)
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRY_SQLSTATES:
        return True
    if isinstance(exc, OperationalError | InterfaceError | TimeoutError):
        return True
    if isinstance(exc, OSError | ConnectionError | sqlite3.OperationalError):
        return True
    # asyncpg's own connection errors, raised outside SQLAlchemy's wrapping at connect time
    name = type(exc).__name__
    return name in {"CannotConnectNowError", "ConnectionDoesNotExistError",
                    "ConnectionFailureError", "InterfaceError", "AdminShutdownError",
                    "TooManyConnectionsError", "InternalClientError"}
