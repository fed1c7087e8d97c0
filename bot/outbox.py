"""The durable outbox: what the assistant says without being asked.

A dialog queues a message in the same transaction as the change that causes it (a decision, a pairing),
so the message exists exactly when the change does. Worker lanes then deliver due rows one at a time:

    pending --claim--> sending --platform took it--> sent
                          |--platform refused for good--> failed (coordinators are told)
                          |--429--> pending again after the Retry-After
                          '--no clear answer (timeout, 5xx, crash)--> in doubt

A claim is one row taken with `FOR UPDATE SKIP LOCKED` (SQLite has one writer) and held by a lease and
a token, so several processes on one PostgreSQL never hold the same row. The row says `sending` before
the platform is called. A row still `sending` when its lease runs out is in doubt: the platform was
called and did not clearly answer, or this process died before writing down that it did. Before an
in-doubt row is sent again the platform is asked whether it has it: every Slack message carries its
outbox key in Slack's message metadata, so conversations.history tells. The Bot Framework has no such
look-up and no idempotency key, so an in-doubt Teams message is sent again (a rare duplicate rather than a
loss). Message rows hold only what the assistant itself wrote.
"""

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, system_clock
from bot.messages import Button, Reply
from storage.db import Database
from storage.models import Account, Cohort, CoordinatorTerm, Membership, OutboxMessage, Person

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # how long a claim is held; OUTBOX_LEASE_SECONDS changes it
MAX_ATTEMPTS = 6
BATCH = 20  # messages one claim takes
ROUND_LIMIT = 10  # batches one run_once delivers at most
NO_ACCOUNT_RETRY = timedelta(minutes=10)  # the person has not written to us on any platform yet
NO_ACCOUNT = "no reachable account"
ASK_AGAIN_AFTER = timedelta(days=1)  # a person a look-up by email did not find is looked up again after this
# Kinds sent only in the person's daytime, 08:00 to 20:00 their time; outside it they wait for 09:00.
DAYTIME_KINDS = frozenset(
    {"check-in", "check-in-reminder", "hours-reminder", "survey", "survey-reminder", "pace-nudge", "quiet-pair"}
)
DAY_STARTS, DAY_ENDS, MORNING = 8, 20, 9
DEFAULT_RATES = {"slack": 5.0, "teams": 15.0, "console": 1000.0}  # messages a second per platform


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


class Pace:
    """At most `rate` messages a second per platform (shared by a process's lanes), and a hold after a 429."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = {**DEFAULT_RATES, **rates}
        self.next_free: dict[str, float] = {}

    def wait_for(self, platform: str) -> float:
        """Seconds until the platform's next free turn."""
        return max(self.next_free.get(platform, 0.0) - time.monotonic(), 0.0)

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


@dataclass(frozen=True)
class Queued:
    """One message of a bulk queue_each: for whom, what, when, about what."""

    person_id: int
    reply: Reply
    due_at: datetime | None = None
    ref: str | None = None


async def queue_each(session: AsyncSession, messages: list[Queued], *, kind: str, now: datetime) -> None:
    """Many messages in one statement: a cohort's check-ins or a 5,000-person announcement stays a short turn."""
    if not messages:
        return
    rows = [
        {
            "person_id": message.person_id,
            "kind": kind,
            "reply": _to_json(message.reply),
            "status": "pending",
            "attempts": 0,
            "due_at": message.due_at or now,
            "ref": message.ref,
            "created_at": now,
        }
        for message in messages
    ]
    await session.execute(insert(OutboxMessage), rows)


async def queue_many(
    session: AsyncSession, person_ids: list[int], reply: Reply, *, kind: str, now: datetime, ref: str | None = None
) -> None:
    """The same message for many people in one statement."""
    await queue_each(session, [Queued(person_id, reply, ref=ref) for person_id in person_ids], kind=kind, now=now)


async def withdraw_pending(session: AsyncSession, ref: str, kinds: tuple[str, ...]) -> None:
    """Drop messages not sent yet about `ref` (reminders of a session that moved or was cancelled)."""
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.ref == ref, OutboxMessage.status == "pending", OutboxMessage.kind.in_(kinds)
        )
    )


async def release_held(session: AsyncSession, person_id: int, now: datetime) -> None:
    """The person can be reached now: messages held for want of an account are due again."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.person_id == person_id, OutboxMessage.status == "pending")
        .where(OutboxMessage.error == NO_ACCOUNT)
        .values(due_at=now, error=None)
    )


def _to_json(reply: Reply) -> dict[str, Any]:
    if reply.image is not None:  # PNG bytes belong in no JSON column: images go only in direct answers
        raise ValueError("a reply with an image cannot be queued in the outbox; send its text, or answer directly")
    data = asdict(reply)
    del data["image"]  # rows keep the shape they had before images existed
    return data


def reply_of(data: dict[str, Any]) -> Reply:
    return Reply(
        text=data.get("text", ""),
        title=data.get("title"),
        lines=tuple(data.get("lines", ())),
        buttons=tuple(Button(**button) for button in data.get("buttons", ())),
    )


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def message_key(message_id: int) -> str:
    """What a delivered message carries so the platform can tell us later that it has it."""
    return f"outbox-{message_id}"


def next_daytime(now: datetime, zone: str) -> datetime | None:
    """None if it is daytime for the person now; else their next 09:00 (in UTC)."""
    local = now.astimezone(ZoneInfo(zone))
    if DAY_STARTS <= local.hour < DAY_ENDS:
        return None
    morning = local.replace(hour=MORNING, minute=0, second=0, microsecond=0)
    if local.hour >= DAY_ENDS:
        morning += timedelta(days=1)
    return morning.astimezone(now.tzinfo)


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
    """Messages one lane holds; only the holder of `token` may settle them, until `until`."""

    token: str
    until: datetime
    claims: list[Claim]
    unreached: set[int] = field(default_factory=set)  # people no account of theirs reaches yet


class OutboxWorker:
    """Claims due messages a batch at a time and delivers them through the senders this process has."""

    def __init__(
        self,
        db: Database,
        senders: dict[str, Sender],
        clock: Clock = system_clock,
        rates: dict[str, float] | None = None,
        *,
        lease: timedelta = LEASE,
        lanes: int = 1,
        batch_size: int = BATCH,
    ) -> None:
        self.db, self.senders, self.clock, self.lease, self.lanes = db, senders, clock, lease, lanes
        self.batch_size = batch_size
        self.pace = Pace(rates or {})
        # People a look-up by email did not find, and when: asked again a day later, not every retry.
        self.not_found: dict[int, datetime] = {}
        # A send that takes longer than this is given up as in doubt, well inside the lease.
        self.send_timeout = lease.total_seconds() / 3

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Deliver until `stop` is set, with `lanes` batches in flight at once."""
        await asyncio.gather(*(self._lane(stop, interval) for _ in range(self.lanes)))

    async def _lane(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                outcome = await self.deliver_batch()
            except Exception as exc:  # a database hiccup must not end the worker
                log.error("outbox round failed error=%s", type(exc).__name__)
                outcome = None
            if outcome is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)

    async def run_once(self, person_id: int | None = None) -> int:
        """Deliver what is due now (for one person, if given); returns how many were sent."""
        sent = 0
        for _ in range(ROUND_LIMIT):
            outcome = await self.deliver_batch(person_id)
            if outcome is None:
                break
            sent += outcome
        return sent

    async def deliver_batch(self, person_id: int | None = None) -> int | None:
        """Claim due messages and deliver them: how many arrived, or None if nothing was due."""
        batch = await self._claim(person_id)
        if batch is None:
            return None
        if batch.unreached:
            await self._find_by_email(batch.unreached)
        arrived: list[Claim] = []
        for index, claim in enumerate(batch.claims):
            if self.clock() >= batch.until - timedelta(seconds=self.send_timeout):
                await self._give_back(batch, batch.claims[index:], due_at=self.clock())  # never tried: safe
                break
            if await self._deliver(batch, claim):
                arrived.append(claim)
        await self._settle_arrived(batch, arrived)
        return len(arrived)

    async def _deliver(self, batch: Batch, claim: Claim) -> bool:
        """Send one message (after asking the platform, if an earlier attempt is in doubt). True if it
        arrived; otherwise the claim is settled here: put off, in doubt or failed."""
        if claim.in_doubt_since is not None:
            arrived = await self._arrived_earlier(batch, claim)
            if arrived is not False:  # True: it is there; None: the platform did not answer, ask again later
                return bool(arrived)
        platform = claim.account.platform
        held_for = self.pace.wait_for(platform)
        if held_for > self.send_timeout:  # held back by a 429: give it back for now
            await self._give_back(batch, [claim], due_at=self.clock() + timedelta(seconds=held_for))
            return False
        await self.pace.turn(platform)
        try:
            sending = self.senders[platform].send(claim.account, [claim.reply], message_key(claim.message_id))
            await asyncio.wait_for(sending, self.send_timeout)
        except DeliveryError as error:
            log.warning("outbox delivery failed id=%s platform=%s reason=%s", claim.message_id, platform, error)
            await self._refused(batch, claim, error)
            return False
        except Exception as exc:  # a timeout or a dropped connection: it may or may not have arrived
            log.warning("outbox delivery unclear id=%s platform=%s error=%s", claim.message_id, platform, _reason(exc))
            await self._in_doubt(batch, claim, reason=_reason(exc))
            return False
        return True

    async def _arrived_earlier(self, batch: Batch, claim: Claim) -> bool | None:
        """Ask the platform whether an earlier attempt arrived. False means send (again); None means the
        platform could not be asked just now, and the claim was put back to ask later."""
        assert claim.in_doubt_since is not None
        sender = self.senders[claim.account.platform]
        asking = sender.delivered(claim.account, message_key(claim.message_id), claim.in_doubt_since)
        try:
            found = await asyncio.wait_for(asking, self.send_timeout)
        except DeliveryError as error:
            if error.retry_after is not None:
                self.pace.hold(claim.account.platform, error.retry_after)
                await self._give_back(batch, [claim], due_at=self.clock() + timedelta(seconds=error.retry_after))
            else:
                await self._in_doubt(batch, claim, reason=error.reason)
            return None
        except Exception as exc:
            await self._in_doubt(batch, claim, reason=_reason(exc))
            return None
        if found:
            log.info("outbox in-doubt message had arrived id=%s", claim.message_id)
            return True
        if found is None:
            log.warning(
                "outbox sending in-doubt message again id=%s platform=%s", claim.message_id, claim.account.platform
            )
        return False

    async def _claim(self, person_id: int | None) -> Batch | None:
        """Take due rows: in-doubt ones first, then the oldest pending ones. Rows that must wait (no
        account yet, night-time for the person) are put off in the same transaction."""
        now = self.clock()
        async with self.db.transaction() as session:
            messages = await self._due(session, person_id, now)
            if not messages:
                return None
            accounts = await self._accounts_for(session, messages)
            zones = await _zones_of(session, {m.person_id for m in messages if m.kind in DAYTIME_KINDS})
            batch = Batch(secrets.token_hex(8), now + self.lease, [])
            for message in messages:
                in_doubt = message.status == "sending"
                account = accounts.get(message.id)
                if account is None:  # wait for the person to write from a platform this process serves
                    message.status, message.due_at, message.error = "pending", now + NO_ACCOUNT_RETRY, NO_ACCOUNT
                    batch.unreached.add(message.person_id)
                    continue
                morning = None if in_doubt else _morning_if_night(message, zones, now)
                if morning is not None:
                    message.due_at = morning
                    continue
                since = message.sending_since if in_doubt else None
                batch.claims.append(Claim(message.id, message.kind, reply_of(message.reply), account, since))
                message.status, message.claimed_by, message.claimed_until = "sending", batch.token, batch.until
                message.sending_since = message.sending_since or now
            return batch

    async def _due(self, session: AsyncSession, person_id: int | None, now: datetime) -> list[OutboxMessage]:
        in_doubt = select(OutboxMessage).where(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now)
        pending = select(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
        if person_id is not None:  # the person is here now: what waited for a way to reach them goes too
            in_doubt = in_doubt.where(OutboxMessage.person_id == person_id)
            pending = (
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.person_id == person_id)
                .where((OutboxMessage.due_at <= now) | (OutboxMessage.error == NO_ACCOUNT))
            )
        found: list[OutboxMessage] = []
        for query in (in_doubt, pending):
            room = self.batch_size - len(found)
            query = query.order_by(OutboxMessage.due_at, OutboxMessage.id).limit(room)
            found.extend((await session.execute(query.with_for_update(skip_locked=True))).scalars())
        return found

    async def _accounts_for(self, session: AsyncSession, messages: list[OutboxMessage]) -> dict[int, Account]:
        """Per message: the account an in-doubt attempt went to; else the one the person last wrote from."""
        latest = await latest_accounts(session, {m.person_id for m in messages}, list(self.senders))
        earlier_ids = {m.account_id for m in messages if m.status == "sending" and m.account_id}
        earlier = {a.id: a for a in latest.values() if a.id in earlier_ids}
        for account_id in earlier_ids - set(earlier):
            account = await session.get(Account, account_id)
            if account is not None and account.platform in self.senders:
                earlier[account_id] = account
        chosen: dict[int, Account] = {}
        for message in messages:
            account = earlier.get(message.account_id or 0) if message.status == "sending" else None
            account = account or latest.get(message.person_id)
            if account is not None:
                chosen[message.id] = account
        return chosen

    async def _find_by_email(self, person_ids: set[int]) -> None:
        """People no account reaches yet (enrolled, they never wrote): a platform that looks people up by
        email (Slack) gives their account, and what waited for it is due now. For a person it does not
        know, the messages go on waiting for them to write (on Teams, say), and the coordinators are told
        once, with the platform's code, so they can ask the person to open a chat with the assistant."""
        finders = {name: s for name, s in self.senders.items() if callable(getattr(s, "find_by_email", None))}
        now = self.clock()
        person_ids = {p for p in person_ids if now - self.not_found.get(p, now - ASK_AGAIN_AFTER) >= ASK_AGAIN_AFTER}
        if not finders or not person_ids:
            return
        async with self.db.transaction() as session:
            people = (await session.execute(select(Person.id, Person.email).where(Person.id.in_(person_ids)))).all()
        found: dict[int, tuple[str, str, str | None]] = {}
        unknown: dict[int, tuple[str, str]] = {}
        for person_id, email in people:
            for platform, finder in finders.items():
                try:
                    external_id, zone = await asyncio.wait_for(finder.find_by_email(email), self.send_timeout)  # type: ignore[attr-defined]
                except DeliveryError as error:
                    if error.permanent:
                        self.not_found[person_id] = now
                        unknown[person_id] = (platform, error.reason)
                    continue
                except Exception as exc:  # the platform did not answer: ask again at the next retry
                    log.warning("outbox look-up by email failed platform=%s error=%s", platform, _reason(exc))
                    continue
                found[person_id] = (platform, external_id, zone)
                unknown.pop(person_id, None)
                self.not_found.pop(person_id, None)
                break
        if found or unknown:
            async with self.db.transaction() as session:
                for person_id, (platform, external_id, zone) in found.items():
                    await _add_found_account(session, person_id, platform, external_id, zone, self.clock())
                for person_id, (platform, reason) in unknown.items():
                    await _tell_unreachable(session, person_id, platform, reason, self.clock())

    async def _settle_arrived(self, batch: Batch, arrived: list[Claim]) -> None:
        if not arrived:
            return
        table = OutboxMessage.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("message_id"), table.c.claimed_by == batch.token)
            .values(
                status="sent",
                sent_at=self.clock(),
                account_id=bindparam("to_account"),
                platform=bindparam("to_platform"),
                claimed_by=None,
                claimed_until=None,
                sending_since=None,
                error=None,
            )
        )
        rows = [
            {"message_id": c.message_id, "to_account": c.account.id, "to_platform": c.account.platform} for c in arrived
        ]
        async with self.db.transaction() as session:
            await session.execute(statement, rows)
        for claim in arrived:
            log.info("outbox sent id=%s kind=%s platform=%s", claim.message_id, claim.kind, claim.account.platform)

    async def _refused(self, batch: Batch, claim: Claim, error: DeliveryError) -> None:
        if error.retry_after is not None:  # rate limited: not the message's fault, so no attempt is counted
            self.pace.hold(claim.account.platform, error.retry_after)
            due_at = self.clock() + timedelta(seconds=error.retry_after)
            await self._give_back(batch, [claim], due_at=due_at, error=error.reason)
        elif error.permanent:
            await self._fail(batch, claim, error.reason)
        else:
            await self._in_doubt(batch, claim, reason=error.reason)

    async def _give_back(
        self, batch: Batch, claims: list[Claim], *, due_at: datetime, error: str | None = None
    ) -> None:
        """Hand back claims whose send was not tried in this batch: pending again at `due_at`; a message
        already in doubt stays in doubt, to be checked then."""
        async with self.db.transaction() as session:
            for claim in claims:
                message = await self._held(session, batch, claim)
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

    async def _in_doubt(self, batch: Batch, claim: Claim, *, reason: str) -> None:
        """No clear answer: keep it `sending`, to be checked with the platform and retried after a backoff."""
        async with self.db.transaction() as session:
            message = await self._held(session, batch, claim)
            if message is None:
                return
            message.attempts += 1
            message.error, message.claimed_by = reason, None
            message.account_id, message.platform = claim.account.id, claim.account.platform
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                await _report_failure(session, message, claim.account.platform, self.clock())
            else:
                message.claimed_until = self.clock() + backoff(message.attempts)

    async def _fail(self, batch: Batch, claim: Claim, reason: str) -> None:
        async with self.db.transaction() as session:
            message = await self._held(session, batch, claim)
            if message is None:
                return
            message.status, message.error, message.claimed_by, message.sending_since = "failed", reason, None, None
            message.account_id, message.platform = claim.account.id, claim.account.platform
            await _report_failure(session, message, claim.account.platform, self.clock())

    async def _held(self, session: AsyncSession, batch: Batch, claim: Claim) -> OutboxMessage | None:
        """The claimed row, if this batch still holds it (its lease may have run out and passed on)."""
        query = select(OutboxMessage).where(
            OutboxMessage.id == claim.message_id, OutboxMessage.claimed_by == batch.token
        )
        return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def _add_found_account(
    session: AsyncSession, person_id: int, platform: str, external_id: str, zone: str | None, now: datetime
) -> None:
    """Link the account a look-up by email found (unless it is linked already) and release what waited."""
    query = select(Account).where(Account.platform == platform, Account.external_id == external_id)
    if (await session.execute(query)).scalar_one_or_none() is None:
        session.add(
            Account(
                platform=platform,
                external_id=external_id,
                person_id=person_id,
                platform_timezone=zone,
                profile_checked_at=now,
                created_at=now,
            )
        )
        person = await session.get_one(Person, person_id)
        if zone and not person.timezone_chosen and person.timezone is None:
            with contextlib.suppress(Exception):
                ZoneInfo(zone)
                person.timezone = zone
        log.info("linked account by email platform=%s person=%s", platform, person_id)
    await release_held(session, person_id, now)


async def _tell_unreachable(session: AsyncSession, person_id: int, platform: str, reason: str, now: datetime) -> None:
    """The platform does not know the person: their coordinators are told once (the notice's ref says so)."""
    ref = f"unreached:{person_id}"
    if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref).limit(1)) is not None:
        return
    person = await session.get_one(Person, person_id)
    notice = Reply(
        f"I cannot reach {person.display_name} ({person.email}) yet: {platform.capitalize()} does not know this "
        f"email ({reason}) and they have not written to me anywhere else. My messages to them wait until they "
        "do: please ask them to open a chat with the assistant.",
        title="Someone I cannot reach yet",
    )
    for coordinator_id in await _coordinators_of(session, person):
        queue(session, coordinator_id, notice, kind="delivery-failure", now=now, ref=ref)


async def _zones_of(session: AsyncSession, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    query = select(Person.id, Person.timezone).where(Person.id.in_(person_ids))
    return {person_id: zone or "UTC" for person_id, zone in (await session.execute(query)).all()}


def _morning_if_night(message: OutboxMessage, zones: dict[int, str], now: datetime) -> datetime | None:
    if message.kind not in DAYTIME_KINDS:
        return None
    return next_daytime(now, zones.get(message.person_id, "UTC"))


async def latest_accounts(session: AsyncSession, person_ids: set[int], platforms: list[str]) -> dict[int, Account]:
    """Each person's account they last wrote from, among `platforms` (Teams only with a stored
    conversation reference, without which the bot cannot write first)."""
    query = (
        select(Account)
        .where(Account.person_id.in_(person_ids), Account.platform.in_(platforms))
        .where((Account.platform != "teams") | Account.conversation_ref.is_not(None))
        .order_by(Account.person_id, Account.last_seen_at.desc().nulls_last(), Account.id.desc())
    )
    latest: dict[int, Account] = {}
    for account in (await session.execute(query)).scalars():
        latest.setdefault(account.person_id, account)
    return latest


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DeliveryError):
        return exc.reason
    return "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__


async def person_of_account(db: Database, platform: str, external_id: str) -> int | None:
    async with db.transaction() as session:
        query = select(Account.person_id).where(Account.platform == platform, Account.external_id == external_id)
        return (await session.execute(query)).scalar_one_or_none()


async def _report_failure(session: AsyncSession, message: OutboxMessage, platform: str, now: datetime) -> None:
    """Tell the coordinators of the person's cohorts that a message could not reach them, and why."""
    if message.kind == "delivery-failure":
        return
    person = await session.get_one(Person, message.person_id)
    notice = Reply(
        f"I could not deliver a message ({message.kind}) to {person.display_name} ({person.email}) on "
        f"{platform.capitalize()}: {message.error}. Please reach them another way.",
        title="A message could not be delivered",
    )
    for coordinator_id in await _coordinators_of(session, person):
        queue(session, coordinator_id, notice, kind="delivery-failure", now=now)


async def _coordinators_of(session: AsyncSession, person: Person) -> list[int]:
    """Who coordinates a cohort the person is in (not the person themself)."""
    cohorts = select(Membership.cohort_id).where(Membership.person_id == person.id)
    coordinators = select(Membership.person_id).where(
        Membership.cohort_id.in_(cohorts), Membership.role == "coordinator", Membership.person_id != person.id
    )
    # ... and those whose term covers one of those cohorts: national, or of the cohort's region.
    term_holders = (
        select(CoordinatorTerm.person_id)
        .join(Cohort, Cohort.program_id == CoordinatorTerm.program_id)
        .where(
            Cohort.id.in_(cohorts),
            CoordinatorTerm.ended_on.is_(None),
            or_(CoordinatorTerm.region_id.is_(None), CoordinatorTerm.region_id == Cohort.region_id),
            CoordinatorTerm.person_id != person.id,
        )
    )
    told = set((await session.execute(coordinators)).scalars()) | set((await session.execute(term_holders)).scalars())
    return sorted(told)
