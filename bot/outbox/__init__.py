"""The durable outbox: what the assistant says without being asked.

A dialog queues a message in the same transaction as the change that causes it (a decision, a pairing),
so the message exists exactly when the change does (`queueing`). The worker (`worker`) then delivers due
rows one at a time, each platform through lanes of its own at its own pace (`lanes`, `pacing`):

    pending --claim--> sending --platform took it--> sent
                          |--platform refused for good--> failed (coordinators are told)
                          |--429--> pending again after the Retry-After
                          '--no clear answer (timeout, 5xx, crash)--> in doubt

A claim takes rows with `FOR UPDATE SKIP LOCKED` (SQLite has one writer) and holds them by a lease and a
token, so several processes on one PostgreSQL never hold the same row (`claims`). The row says `sending`
before the platform is called, and is settled in a short transaction as soon as the platform answers; a
sender sends its next message only once its last one is written down. A row still `sending` when its
lease runs out is in doubt: the platform was called and did not clearly answer, or the process died
before writing down that it did (or before trying it). Before an in-doubt row is sent again the platform
is asked whether it has it: every Slack message carries its outbox key in Slack's message metadata, so
conversations.history tells. The Bot Framework has no such look-up and no idempotency key, so an in-doubt
Teams message is sent again: a duplicate only if the process died between Teams taking that very message
and the commit that followed. Message rows hold only what the assistant itself wrote.
"""

from bot.outbox.claims import MAX_ATTEMPTS, NO_ACCOUNT_RETRY, Batch, Claim
from bot.outbox.contract import NO_ACCOUNT, DeliveryError, Sender, message_key, retry_after_seconds
from bot.outbox.lookups import ASK_AGAIN_AFTER, latest_accounts, person_of_account
from bot.outbox.pacing import DAYTIME_KINDS, DEFAULT_RATES, Pace, backoff, next_daytime
from bot.outbox.queueing import Queued, queue, queue_each, queue_many, release_held, reply_of, withdraw_pending
from bot.outbox.worker import BATCH, LEASE, ROUND_LIMIT, OutboxWorker

__all__ = [
    "ASK_AGAIN_AFTER",
    "BATCH",
    "DAYTIME_KINDS",
    "DEFAULT_RATES",
    "LEASE",
    "MAX_ATTEMPTS",
    "NO_ACCOUNT",
    "NO_ACCOUNT_RETRY",
    "ROUND_LIMIT",
    "Batch",
    "Claim",
    "DeliveryError",
    "OutboxWorker",
    "Pace",
    "Queued",
    "Sender",
    "backoff",
    "latest_accounts",
    "message_key",
    "next_daytime",
    "person_of_account",
    "queue",
    "queue_each",
    "queue_many",
    "release_held",
    "reply_of",
    "retry_after_seconds",
    "withdraw_pending",
]
