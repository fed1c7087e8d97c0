"""Claiming due rows, and settling each claimed row as soon as its platform answers.

A claim takes rows with `FOR UPDATE SKIP LOCKED` (SQLite has one writer), marks them `sending` under a
lease and a token, and only the token's holder may settle them. A claim may be limited per platform:
the rows of a platform with no room are put off to that platform's later turns, so they never stand in
front of another platform's rows. Each row is settled in a short transaction as soon as its platform
answers (the rows that answered while one commit was written go in the next together), so after a crash
the only rows that may have reached their platform unrecorded are the ones being sent at that moment.
"""

import asyncio
import logging
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.messages import Reply
from bot.outbox.contract import NO_ACCOUNT
from bot.outbox.lookups import accounts_for, zones_of
from bot.outbox.notices import report_failure
from bot.outbox.pacing import DAYTIME_KINDS, backoff, morning_if_night
from bot.outbox.queueing import reply_of
from storage.db import Database
from storage.models import Account, OutboxMessage

log = logging.getLogger("bot.outbox")

MAX_ATTEMPTS = 6
NO_ACCOUNT_RETRY = timedelta(minutes=10)  # the person has not written to us on any platform yet


@dataclass
class Claim:
    """One message of a batch: it is `sending` now."""

    message_id: int
    kind: str
    reply: Reply
    account: Account
    in_doubt_since: datetime | None  # set when an earlier attempt may have reached the platform


@dataclass
class Batch:
    """Messages one claim took; only the holder of `token` may settle them, until `until`."""

    token: str
    until: datetime
    claims: list[Claim]
    unreached: set[int] = field(default_factory=set)  # people no account of theirs reaches yet
    put_off: Counter[str] = field(default_factory=Counter)  # per platform: rows left for its later turns


@dataclass(frozen=True)
class Wanted:
    """What a claim asks for: up to `size` due rows, among the `served` platforms (this process's senders);
    only `person_id`'s if given (they are here now: what waited for them goes too). With `room`, at most
    that many per platform: a platform's further rows are put off to its later turns, from `turns_from`
    on, one every `spacing` (its pace), so they stand in no other platform's way."""

    served: list[str]
    size: int
    person_id: int | None = None
    room: Mapping[str, int] | None = None
    turns_from: Mapping[str, datetime] = field(default_factory=dict)
    spacing: Mapping[str, timedelta] = field(default_factory=dict)


async def claim_due(session: AsyncSession, wanted: Wanted, now: datetime, lease: timedelta) -> Batch | None:
    """Take due rows: in-doubt ones first, then the oldest pending ones. Rows that must wait (no account
    yet, night-time for the person, no room on their platform) are put off in the same transaction. None
    if nothing was due."""
    messages = await _due(session, wanted, now)
    if not messages:
        return None
    accounts = await accounts_for(session, messages, wanted.served)
    zones = await zones_of(session, {m.person_id for m in messages if m.kind in DAYTIME_KINDS})
    batch = Batch(secrets.token_hex(8), now + lease, [])
    room = dict(wanted.room) if wanted.room is not None else None
    for message in messages:
        in_doubt = message.status == "sending"
        account = accounts.get(message.id)
        if account is None:  # wait for the person to write from a platform this process serves
            message.status, message.due_at, message.error = "pending", now + NO_ACCOUNT_RETRY, NO_ACCOUNT
            batch.unreached.add(message.person_id)
            continue
        morning = None if in_doubt else morning_if_night(message.kind, zones.get(message.person_id, "UTC"), now)
        if morning is not None:
            message.due_at = morning
            continue
        platform = account.platform
        if room is not None and room.get(platform, 0) <= 0:
            _put_off(message, wanted, batch, platform, now)
            continue
        if room is not None:
            room[platform] -= 1
        since = message.sending_since if in_doubt else None
        batch.claims.append(Claim(message.id, message.kind, reply_of(message.reply), account, since))
        message.status, message.claimed_by, message.claimed_until = "sending", batch.token, batch.until
        message.sending_since, message.account_id, message.platform = message.sending_since or now, account.id, platform
    return batch


def _put_off(message: OutboxMessage, wanted: Wanted, batch: Batch, platform: str, now: datetime) -> None:
    """The platform has no room now: the row comes due again at its turn (an in-doubt row is checked then)."""
    spacing = wanted.spacing.get(platform, timedelta(0))
    turn = wanted.turns_from.get(platform, now) + spacing * batch.put_off[platform]
    batch.put_off[platform] += 1
    if message.status == "sending":
        message.claimed_until = turn
    else:
        message.due_at = turn


async def _due(session: AsyncSession, wanted: Wanted, now: datetime) -> list[OutboxMessage]:
    in_doubt = select(OutboxMessage).where(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)
    pending = select(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
    if wanted.person_id is not None:
        in_doubt = in_doubt.where(OutboxMessage.person_id == wanted.person_id)
        pending = (
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.person_id == wanted.person_id)
            .where((OutboxMessage.due_at <= now) | (OutboxMessage.error == NO_ACCOUNT))
        )
    found: list[OutboxMessage] = []
    for query in (in_doubt, pending):
        room = wanted.size - len(found)
        query = query.order_by(OutboxMessage.due_at, OutboxMessage.id).limit(room)
        found.extend((await session.execute(query.with_for_update(skip_locked=True))).scalars())
    return found


# ---------------------------------------------------------------- settling, one row at a time


class SentRecorder:
    """Writes down each message its platform took, at once: one UPDATE and one commit for the messages
    taken while the commit before was being written. A sender sends its next message only once its last
    one is written down (it keeps to its pace meanwhile), so at most one message per sender is ever taken
    by a platform and not yet recorded."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock
        self.waiting: list[tuple[str, Claim, asyncio.Future[bool]]] = []
        self.writer: asyncio.Task[None] | None = None

    def start(self, batch: Batch, claim: Claim) -> asyncio.Future[bool]:
        """Write down that the platform took the message; the future says True once the row says `sent`,
        False if its claim had run out and passed on, or the database failed (it stays in doubt)."""
        recorded: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((batch.token, claim, recorded))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write())
        return recorded

    async def _write(self) -> None:
        while self.waiting:
            group, self.waiting = self.waiting, []
            try:
                sent = await _mark_sent(self.db, [(claim.message_id, token) for token, claim, _ in group], self.clock())
            except Exception as exc:  # the rows stay `sending`: in doubt once their lease runs out
                log.error("outbox round failed error=%s", type(exc).__name__)
                sent = set()
            for _token, claim, recorded in group:
                platform = claim.account.platform
                if claim.message_id in sent:
                    log.info("outbox sent id=%s kind=%s platform=%s", claim.message_id, claim.kind, platform)
                    metrics.delivery(platform, "sent")
                else:
                    log.warning("outbox sent but not written down id=%s platform=%s", claim.message_id, platform)
                if not recorded.done():
                    recorded.set_result(claim.message_id in sent)


async def _mark_sent(db: Database, held: list[tuple[int, str]], now: datetime) -> set[int]:
    """Mark sent the rows (id, claim token) still held by those claims; the ids it marked."""
    table = OutboxMessage.__table__
    statement = (
        update(table)
        .where(tuple_(table.c.id, table.c.claimed_by).in_(held))
        .values(status="sent", sent_at=now, claimed_by=None, claimed_until=None, sending_since=None, error=None)
    )
    ids = [message_id for message_id, _token in held]
    async with db.transaction() as session:
        if (await session.execute(statement)).rowcount == len(held):  # type: ignore[attr-defined]
            return set(ids)
        # Some claim had run out and passed on (rare): which rows did this statement mark?
        marked = select(table.c.id).where(table.c.id.in_(ids), table.c.status == "sent", table.c.sent_at == now)
        return set((await session.execute(marked)).scalars())


async def give_back(
    db: Database, batch: Batch, claims: list[Claim], *, due_at: datetime, error: str | None = None
) -> None:
    """Hand back claims whose send was not tried: pending again at `due_at`; a message already in doubt
    stays in doubt, to be checked then."""
    if not claims:
        return
    async with db.transaction() as session:
        for claim in claims:
            message = await _held(session, batch, claim)
            if message is None:
                continue
            message.claimed_by = None
            if claim.in_doubt_since is not None:
                message.claimed_until = due_at
            else:
                message.status, message.due_at, message.claimed_until, message.sending_since = (
                    "pending",
                    due_at,
                    None,
                    None,
                )
            message.error = error or message.error


async def keep_in_doubt(db: Database, batch: Batch, claim: Claim, *, reason: str, now: datetime) -> None:
    """No clear answer: keep it `sending`, to be checked with the platform and retried after a backoff."""
    async with db.transaction() as session:
        message = await _held(session, batch, claim)
        if message is None:
            return
        message.attempts += 1
        message.error, message.claimed_by = reason, None
        message.account_id, message.platform = claim.account.id, claim.account.platform
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
            await report_failure(session, message, claim.account.platform, now)
        else:
            message.claimed_until = now + backoff(message.attempts)
    metrics.delivery(claim.account.platform, "failed" if message.status == "failed" else "in_doubt")


async def settle_failed(db: Database, batch: Batch, claim: Claim, *, reason: str, now: datetime) -> None:
    """Refused for good: failed, and the coordinators are told."""
    async with db.transaction() as session:
        message = await _held(session, batch, claim)
        if message is None:
            return
        message.status, message.error, message.claimed_by, message.sending_since = "failed", reason, None, None
        message.account_id, message.platform = claim.account.id, claim.account.platform
        await report_failure(session, message, claim.account.platform, now)
    metrics.delivery(claim.account.platform, "failed")


async def _held(session: AsyncSession, batch: Batch, claim: Claim) -> OutboxMessage | None:
    """The claimed row, if this batch still holds it (its lease may have run out and passed on)."""
    query = select(OutboxMessage).where(OutboxMessage.id == claim.message_id, OutboxMessage.claimed_by == batch.token)
    return (await session.execute(query.with_for_update())).scalar_one_or_none()
