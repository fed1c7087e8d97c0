"""Files the assistant offers with a message, made again when the person accepts one.

A reply names its file by a `ref` ("calendar:session:42"). Teams carries the ref on its consent card and
hands it back when the person accepts; the ref is only a name. Who accepts is checked again against the
database (one of the session's pair), and the bytes are made then: a card accepted a week later gives
the invitation as it is that day (moved or cancelled), and a ref someone made up gives nothing.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import booking
from bot.i18n import N_, _, speaking
from bot.languages import language_of
from bot.messages import OfferedFile, Platform
from bot.programs import ProgramCatalog
from storage.db import Database
from storage.models import Account, CoachingSession, Pair

SESSION_INVITE = "calendar:session"
MAX_ROW_ID = 2**31 - 1  # an INTEGER key; a larger number would make PostgreSQL raise, not find nothing
INVITE_DESCRIPTION = N_(
    "The calendar invitation for your coaching session: open it to add the session to your calendar."
)


@dataclass(frozen=True)
class FileBytes:
    name: str
    data: bytes


async def session_invitation(
    session: AsyncSession, row: CoachingSession, now: datetime, programs: ProgramCatalog | None = None
) -> OfferedFile:
    """A one-to-one session's .ics, offered with the message that tells of it, in the reader's language (call
    it inside `speaking(their_language)` for a message to someone else)."""
    made = await _session_file(session, row, now, programs)
    return OfferedFile(
        name=made.name, description=_(INVITE_DESCRIPTION), size=len(made.data), ref=f"{SESSION_INVITE}:{row.id}"
    )


async def reopen(
    session: AsyncSession, ref: str, person_id: int, now: datetime, programs: ProgramCatalog | None = None
) -> FileBytes | None:
    """The file `ref` names, made now in the person's language; None when there is no such file or the person
    may not have it."""
    kind, _colon, key = ref.rpartition(":")
    if kind != SESSION_INVITE or not key.isascii() or not key.isdigit() or not 0 < int(key) <= MAX_ROW_ID:
        return None
    row = await session.get(CoachingSession, int(key))
    if row is None:
        return None
    pair = await session.get(Pair, row.pair_id)
    if pair is None or person_id not in (pair.guide_id, pair.guided_id):
        return None
    with speaking(await language_of(session, person_id)):
        return await _session_file(session, row, now, programs)


async def reopen_for_account(
    db: Database, programs: ProgramCatalog, platform: Platform, account_id: str, ref: str, now: datetime
) -> FileBytes | None:
    """`reopen` for whoever holds this platform account; None for an account not linked to anyone."""
    async with db.reading() as session:
        person_id = (
            await session.execute(
                select(Account.person_id).where(Account.platform == platform, Account.external_id == account_id)
            )
        ).scalar_one_or_none()
        if person_id is None:
            return None
        return await reopen(session, ref, person_id, now, programs)


async def _session_file(
    session: AsyncSession, row: CoachingSession, now: datetime, programs: ProgramCatalog | None
) -> FileBytes:
    made = await booking.calendar_file(session, row.calendar_token, now, programs)
    assert made is not None  # the row holds the token it is found by
    return FileBytes(*made)
