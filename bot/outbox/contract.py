"""What the outbox asks of a platform: a Sender per platform, and the DeliveryError it raises to say
whether a message should be retried, put off (429) or given up."""

from datetime import datetime
from typing import Any, Protocol

from bot.messages import Reply
from storage.models import Account

NO_ACCOUNT = "no reachable account"  # the error of a message waiting for its person to write from somewhere


class Sender(Protocol):
    """How the worker writes to one platform; adapters provide one each and raise DeliveryError."""

    async def send(self, account: Account, replies: list[Reply], key: str | None) -> None:
        """Deliver, carrying `key` with the message where the platform keeps it (None: a relayed message,
        which carries nothing of ours)."""

    async def delivered(self, account: Account, key: str, since: datetime) -> bool | None:
        """Whether a message carrying `key` reached the account since `since`; None if it cannot tell."""


class DeliveryError(Exception):
    """Why a platform did not take a message: permanent (account gone, bot blocked: do not retry),
    rate limited (wait `retry_after` seconds, as the platform said), or transient (retry with backoff)."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.permanent, self.retry_after = reason[:100], permanent, retry_after


def retry_after_seconds(headers: Any) -> float:
    """Seconds from a Retry-After header (1 when missing or not a number of seconds)."""
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return 1.0


def message_key(message_id: int) -> str:
    """What a delivered message carries so the platform can tell us later that it has it."""
    return f"outbox-{message_id}"


def reason_of(exc: BaseException) -> str:
    """A failure's code for the row and the log: never the exception's message, which may quote text."""
    if isinstance(exc, DeliveryError):
        return exc.reason
    return "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
