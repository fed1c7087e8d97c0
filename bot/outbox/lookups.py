"""Whom a message goes to: the account a person last wrote from, their time zone, and, for people who
never wrote, a look-up by email on a platform that has one (Slack)."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.contract import DeliveryError, Sender, reason_of
from bot.outbox.notices import tell_unreachable
from bot.outbox.queueing import release_held
from storage.db import Database
from storage.models import Account, OutboxMessage, Person

log = logging.getLogger("bot.outbox")

ASK_AGAIN_AFTER = timedelta(days=1)  # a person a look-up by email did not find is looked up again after this


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


async def accounts_for(
    session: AsyncSession, messages: list[OutboxMessage], platforms: list[str]
) -> dict[int, Account]:
    """Per message id: the account an attempt in doubt went to; else the one the person last wrote from."""
    latest = await latest_accounts(session, {m.person_id for m in messages}, platforms)
    earlier_ids = {m.account_id for m in messages if m.status == "sending" and m.account_id}
    earlier = {a.id: a for a in latest.values() if a.id in earlier_ids}
    for account_id in earlier_ids - set(earlier):
        account = await session.get(Account, account_id)
        if account is not None and account.platform in platforms:
            earlier[account_id] = account
    chosen: dict[int, Account] = {}
    for message in messages:
        account = earlier.get(message.account_id or 0) if message.status == "sending" else None
        account = account or latest.get(message.person_id)
        if account is not None:
            chosen[message.id] = account
    return chosen


async def zones_of(session: AsyncSession, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    query = select(Person.id, Person.timezone).where(Person.id.in_(person_ids))
    return {person_id: zone or "UTC" for person_id, zone in (await session.execute(query)).all()}


async def person_of_account(db: Database, platform: str, external_id: str) -> int | None:
    async with db.transaction() as session:
        query = select(Account.person_id).where(Account.platform == platform, Account.external_id == external_id)
        return (await session.execute(query)).scalar_one_or_none()


class EmailFinder:
    """People no account reaches yet (enrolled, they never wrote): a platform that looks people up by
    email (Slack) gives their account, and what waited for it is due now. For a person it does not know,
    the messages go on waiting for them to write (on Teams, say), and the coordinators are told once, with
    the platform's code, so they can ask the person to open a chat with the assistant."""

    def __init__(self, db: Database, senders: dict[str, Sender], clock: Callable[[], datetime], timeout: float) -> None:
        self.db, self.clock, self.timeout = db, clock, timeout
        self.finders = {name: s for name, s in senders.items() if callable(getattr(s, "find_by_email", None))}
        # People a look-up did not find, and when: asked again a day later, not at every retry.
        self.not_found: dict[int, datetime] = {}

    async def find(self, person_ids: set[int]) -> None:
        now = self.clock()
        person_ids = {p for p in person_ids if now - self.not_found.get(p, now - ASK_AGAIN_AFTER) >= ASK_AGAIN_AFTER}
        if not self.finders or not person_ids:
            return
        async with self.db.transaction() as session:
            people = (await session.execute(select(Person.id, Person.email).where(Person.id.in_(person_ids)))).all()
        found: dict[int, tuple[str, str, str | None]] = {}
        unknown: dict[int, tuple[str, str]] = {}
        for person_id, email in people:
            for platform, finder in self.finders.items():
                try:
                    external_id, zone = await asyncio.wait_for(finder.find_by_email(email), self.timeout)  # type: ignore[attr-defined]
                except DeliveryError as error:
                    if error.permanent:
                        self.not_found[person_id] = now
                        unknown[person_id] = (platform, error.reason)
                    continue
                except Exception as exc:  # the platform did not answer: ask again at the next retry
                    log.warning("outbox look-up by email failed platform=%s error=%s", platform, reason_of(exc))
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
                    await tell_unreachable(session, person_id, platform, reason, self.clock())


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
