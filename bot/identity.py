"""Linking a platform account to one person by email, and keeping the person's time zone."""

import logging
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import outbox
from bot.languages import apply_platform_locale
from bot.messages import Inbound, Profile
from bot.timezones import is_valid_timezone
from storage.models import Account, Person

log = logging.getLogger(__name__)

PROFILE_REFRESH_AFTER = timedelta(days=1)


class Directory(Protocol):
    """A platform's people directory (Slack users.info, Teams member look-up, the console's --user)."""

    async def lookup(self, account_id: str) -> Profile | None:
        """The account's profile, or None when the platform could not be asked."""
        ...


async def find_account(session: AsyncSession, platform: str, external_id: str) -> Account | None:
    query = select(Account).where(Account.platform == platform, Account.external_id == external_id)
    return (await session.execute(query)).scalar_one_or_none()


def seen_must_move() -> ColumnElement[bool]:
    """For a query on Account: whether this account's last_seen_at must move on its next turn.

    last_seen_at only orders a person's accounts (the outbox writes to the one last used), so it moves
    when it was never set or another of the person's accounts was seen since; a person writing again
    from the account they last used changes nothing, and their turn needs no write for it."""
    other = aliased(Account)
    seen_since = exists().where(
        other.person_id == Account.person_id, other.id != Account.id, other.last_seen_at >= Account.last_seen_at
    )
    return or_(Account.last_seen_at.is_(None), seen_since)


def needs_profile(account: Account | None, now: datetime) -> bool:
    """Ask the platform about unknown accounts, and about known ones once a day (zone changes)."""
    return account is None or now - account.profile_checked_at > PROFILE_REFRESH_AFTER


async def find_person_by_email(session: AsyncSession, email: str) -> Person | None:
    query = select(Person).where(func.lower(Person.email) == email.strip().lower())
    return (await session.execute(query)).scalar_one_or_none()


async def get_or_create_person(
    session: AsyncSession, email: str, display_name: str | None, timezone: str | None, now: datetime
) -> Person:
    email = email.strip().lower()
    person = await find_person_by_email(session, email)
    if person is not None:
        return person
    person = Person(
        email=email,
        display_name=(display_name or email.split("@")[0]).strip()[:200],
        timezone=timezone if is_valid_timezone(timezone) else None,
        timezone_chosen=False,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(person)
    except IntegrityError:  # another turn created the same person a moment ago
        found = await find_person_by_email(session, email)
        assert found is not None
        return found
    return person


def apply_platform_timezone(person: Person, account: Account, zone: str | None) -> None:
    """Remember the zone the platform reports; it becomes the person's unless they chose one."""
    if not is_valid_timezone(zone):
        return
    account.platform_timezone = zone
    if not person.timezone_chosen:
        person.timezone = zone


async def link(
    session: AsyncSession,
    inbound: Inbound,
    account: Account | None,
    profile: Profile | None,
    now: datetime,
    *,
    seen_moves: bool = True,
) -> tuple[Person, Account] | None:
    """The person behind this account (as found in this transaction), linking it by email on first contact.

    Returns None when the account is unknown and the platform gave no email to link it with. seen_moves
    is False when seen_must_move() said so for this account: its last_seen_at then stays as it is.
    """
    reachable_now = account is None and inbound.platform != "teams"  # Teams needs the conversation reference
    if account is None:
        if profile is None or not profile.email:
            return None
        person = await get_or_create_person(session, profile.email, profile.display_name, profile.timezone, now)
        account = Account(
            platform=inbound.platform,
            external_id=inbound.account_id,
            person_id=person.id,
            profile_checked_at=now,
            created_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(account)
        except IntegrityError:  # the same account's first two messages raced
            account = await find_account(session, inbound.platform, inbound.account_id)
            assert account is not None
        log.info("linked account platform=%s person=%s", inbound.platform, person.id)
    person = await session.get_one(Person, account.person_id)
    if profile is not None:
        account.profile_checked_at = now
        apply_platform_timezone(person, account, profile.timezone)
        apply_platform_locale(person, profile.locale)
    apply_platform_timezone(person, account, inbound.timezone)
    apply_platform_locale(person, inbound.locale)
    if seen_moves or account.last_seen_at is None:
        account.last_seen_at = now
    if inbound.address is not None and account.conversation_ref != inbound.address:
        account.conversation_ref = inbound.address
        reachable_now = True
    if reachable_now:  # messages that waited for a way to reach this person can go now
        await outbox.release_held(session, person.id, now)
    return person, account
