"""The durable outbox: what the assistant says without being asked.

A dialog queues a message in the same transaction as the change that causes it (a decision, a pairing),
so the message exists exactly when the change does. A worker claims due rows with a short lease
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer), delivers each to the account the person
last wrote from, and marks it sent. Message rows hold only what the assistant itself wrote.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, system_clock
from bot.messages import Button, Reply
from storage.db import Database
from storage.models import Account, Membership, OutboxMessage, Person

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # a claimed row another worker may take over if this one died
BATCH = 50
MAX_ATTEMPTS = 6
NO_ACCOUNT_RETRY = timedelta(minutes=10)  # the person has not written to us on any platform yet
NO_ACCOUNT = "no reachable account"

# Delivers replies to one account; adapters provide one per platform and raise DeliveryError.
Sender = Callable[[Account, Sequence[Reply]], Awaitable[None]]
DEFAULT_RATES = {"slack": 5.0, "teams": 15.0, "console": 1000.0}  # messages a second per platform


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


class Pace:
    """Sends at most `rate` messages a second per platform, and holds a platform back after a 429."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = {**DEFAULT_RATES, **rates}
        self.next_free: dict[str, float] = {}

    async def turn(self, platform: str) -> None:
        now = time.monotonic()
        start = max(now, self.next_free.get(platform, now))
        self.next_free[platform] = start + 1.0 / self.rates.get(platform, 10.0)
        if start > now:
            await asyncio.sleep(start - now)

    def hold(self, platform: str, seconds: float) -> None:
        self.next_free[platform] = max(self.next_free.get(platform, 0.0), time.monotonic() + seconds)


def queue(
    session: AsyncSession,
    person_id: int,
    reply: Reply,
    *,
    kind: str,
    now: datetime,
    due_at: datetime | None = None,
    ref: str | None = None,
) -> None:
    """Add a message for a person to the turn's transaction: it is sent once the turn commits (or at
    `due_at`). `ref` names what it is about, so it can be withdrawn with `withdraw_pending`."""
    session.add(
        OutboxMessage(
            person_id=person_id,
            kind=kind,
            reply=_to_json(reply),
            status="pending",
            attempts=0,
            due_at=due_at or now,
            ref=ref,
            created_at=now,
        )
    )


async def queue_many(
    session: AsyncSession, person_ids: list[int], reply: Reply, *, kind: str, now: datetime, ref: str | None = None
) -> None:
    """The same message for many people in one statement: a 5,000-person announcement stays a short turn."""
    if not person_ids:
        return
    rows = [
        {
            "person_id": person_id,
            "kind": kind,
            "reply": _to_json(reply),
            "status": "pending",
            "attempts": 0,
            "due_at": now,
            "ref": ref,
            "created_at": now,
        }
        for person_id in person_ids
    ]
    await session.execute(insert(OutboxMessage), rows)


async def withdraw_pending(session: AsyncSession, ref: str, kinds: tuple[str, ...]) -> None:
    """Drop messages not sent yet about `ref` (reminders of a session that moved or was cancelled)."""
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.ref == ref, OutboxMessage.status == "pending", OutboxMessage.kind.in_(kinds)
        )
    )


def _to_json(reply: Reply) -> dict[str, Any]:
    return asdict(reply)


def reply_of(data: dict[str, Any]) -> Reply:
    return Reply(
        text=data.get("text", ""),
        title=data.get("title"),
        lines=tuple(data.get("lines", ())),
        buttons=tuple(Button(**button) for button in data.get("buttons", ())),
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


class OutboxWorker:
    """Claims due messages and delivers them through the senders this process has."""

    def __init__(
        self,
        db: Database,
        senders: dict[str, Sender],
        clock: Clock = system_clock,
        rates: dict[str, float] | None = None,
    ) -> None:
        self.db, self.senders, self.clock = db, senders, clock
        self.pace = Pace(rates or {})

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                delivered = await self.run_once()
            except Exception as exc:  # a database hiccup must not end the worker
                log.error("outbox round failed error=%s", type(exc).__name__)
                delivered = 0
            if delivered == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)

    async def run_once(self, person_id: int | None = None) -> int:
        """Deliver what is due (for one person, if given); returns how many were sent."""
        claimed = await self._claim(person_id)
        sent = 0
        for message_id in claimed:
            sent += await self._deliver(message_id)
        return sent

    async def _claim(self, person_id: int | None) -> list[int]:
        now = self.clock()
        async with self.db.transaction() as session:
            query = (
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            if person_id is not None:  # the person is here now: a hold for want of an account ends
                query = query.where(OutboxMessage.person_id == person_id)
                query = query.where(
                    or_(
                        OutboxMessage.claimed_until.is_(None),
                        OutboxMessage.claimed_until < now,
                        OutboxMessage.error == NO_ACCOUNT,
                    )
                )
            else:
                query = query.where(or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
            ids = list((await session.execute(query)).scalars())
            if ids:
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(claimed_until=now + LEASE)
                )
        return ids

    async def _deliver(self, message_id: int) -> int:
        async with self.db.transaction() as session:
            message = await session.get_one(OutboxMessage, message_id)
            account = await self._account_for(session, message.person_id)
            reply = reply_of(message.reply)
        now = self.clock()
        if account is None:  # wait for the person to write to us from a platform this process serves
            await self._hold(message_id, now + NO_ACCOUNT_RETRY)
            return 0
        await self.pace.turn(account.platform)
        try:
            await self.senders[account.platform](account, [reply])
        except DeliveryError as error:
            log.warning("outbox delivery failed id=%s platform=%s reason=%s", message_id, account.platform, error)
            await self._after_failure(message_id, account, error)
            return 0
        except Exception as exc:  # a timeout or a connection error: worth another try
            log.warning(
                "outbox delivery failed id=%s platform=%s error=%s", message_id, account.platform, type(exc).__name__
            )
            await self._retry_later(message_id, now, error=type(exc).__name__)
            return 0
        async with self.db.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(status="sent", sent_at=now, platform=account.platform, claimed_until=None, error=None)
            )
        log.info("outbox sent id=%s kind=%s platform=%s", message_id, message.kind, account.platform)
        return 1

    async def _account_for(self, session: AsyncSession, person_id: int) -> Account | None:
        """The account the person last wrote from, among the platforms this process can write to."""
        query = (
            select(Account)
            .where(Account.person_id == person_id, Account.platform.in_(list(self.senders)))
            .order_by(Account.last_seen_at.desc().nulls_last(), Account.id.desc())
        )
        for account in (await session.execute(query)).scalars():
            if account.platform != "teams" or account.conversation_ref:
                return account
        return None

    async def _after_failure(self, message_id: int, account: Account, error: DeliveryError) -> None:
        now = self.clock()
        if error.retry_after is not None:  # rate limited: not the message's fault, so no attempt is counted
            self.pace.hold(account.platform, error.retry_after)
            async with self.db.transaction() as session:
                message = await session.get_one(OutboxMessage, message_id)
                message.claimed_until, message.error = None, error.reason
                message.due_at = now + timedelta(seconds=error.retry_after)
            return
        if not error.permanent:
            await self._retry_later(message_id, now, error=error.reason)
            return
        async with self.db.transaction() as session:
            message = await session.get_one(OutboxMessage, message_id)
            message.status, message.error, message.claimed_until = "failed", error.reason, None
            message.platform = account.platform
            await _report_failure(session, message, account.platform, now)

    async def _hold(self, message_id: int, until: datetime) -> None:
        async with self.db.transaction() as session:
            message = await session.get_one(OutboxMessage, message_id)
            message.claimed_until, message.error = until, NO_ACCOUNT

    async def _retry_later(self, message_id: int, now: datetime, *, error: str) -> None:
        async with self.db.transaction() as session:
            message = await session.get_one(OutboxMessage, message_id)
            message.claimed_until = None
            message.attempts += 1
            message.error = error
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
            else:
                message.due_at = now + backoff(message.attempts)


async def person_of_account(db: Database, platform: str, external_id: str) -> int | None:
    async with db.transaction() as session:
        query = select(Account.person_id).where(Account.platform == platform, Account.external_id == external_id)
        return (await session.execute(query)).scalar_one_or_none()


async def release_held(session: AsyncSession, person_id: int) -> None:
    """The person can be reached now: messages held for want of an account are due again."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.person_id == person_id, OutboxMessage.status == "pending")
        .where(OutboxMessage.error == NO_ACCOUNT)
        .values(claimed_until=None, error=None)
    )


async def _report_failure(session: AsyncSession, message: OutboxMessage, platform: str, now: datetime) -> None:
    """Tell the coordinators of the person's cohorts that a message could not reach them, and why."""
    if message.kind == "delivery-failure":
        return
    person = await session.get_one(Person, message.person_id)
    cohorts = select(Membership.cohort_id).where(Membership.person_id == person.id)
    coordinators = select(Membership.person_id).where(
        Membership.cohort_id.in_(cohorts), Membership.role == "coordinator", Membership.person_id != person.id
    )
    notice = Reply(
        f"I could not deliver a message ({message.kind}) to {person.display_name} ({person.email}) on "
        f"{platform.capitalize()}: {message.error}. Please reach them another way.",
        title="A message could not be delivered",
    )
    for coordinator_id in sorted(set((await session.execute(coordinators)).scalars())):
        queue(session, coordinator_id, notice, kind="delivery-failure", now=now)
