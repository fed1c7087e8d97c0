"""Putting messages in the outbox: in the transaction of the change that causes them, so a message exists
exactly when the change does; withdrawing those not sent yet; releasing those that waited for a person."""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import ENGLISH
from bot.messages import Button, OfferedFile, Reply
from bot.outbox.contract import NO_ACCOUNT
from storage.models import OutboxMessage


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
    if reply.form is not None:  # a form opens only from what the person just did (Slack's trigger_id)
        raise ValueError("a reply with a form cannot be queued in the outbox; queue a button that opens it")
    data = asdict(reply)
    for unqueued in ("image", "form", "field_errors", "keep_in_dm"):  # rows keep the shape they always had
        del data[unqueued]
    if reply.file is None:  # a file offered travels as its name and ref, never its bytes
        del data["file"]
    if reply.language == ENGLISH:  # the source language needs no mark
        del data["language"]
    return data


def reply_of(data: dict[str, Any]) -> Reply:
    return Reply(
        text=data.get("text", ""),
        title=data.get("title"),
        lines=tuple(data.get("lines", ())),
        buttons=tuple(Button(**button) for button in data.get("buttons", ())),
        file=OfferedFile(**data["file"]) if data.get("file") else None,
        language=data.get("language", ENGLISH),
    )
