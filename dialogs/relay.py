"""Relay: in programs that enable it (SIG-ALICE), a partner and their coach write to each other through
the assistant, each in their own direct message with it, each on their own platform.

Plain text in a DM that is no command goes to the person's partner, marked with who it is from; the
sender is told it arrived and what time it is for the other person, or, if it could not be delivered,
asked to send it again. The text passes through memory only: it is never written to the database, the
outbox, the logs or an error report. A coach with several partners picks whom a message is for (a
button; the text waits in this process's memory for ten minutes) or writes `reply NAME text`. Only a
count per pair and month is kept. Either side can pause and resume; an ended pairing relays nothing, and
one that ended with its program (bot/ending.py) answers with that, and the partner's email to write to.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import ending
from bot.dialog import Command, Registry, Turn, button
from bot.i18n import N_, _, clock, role_word, speaking
from bot.messages import Reply, platform_name
from bot.outbox import NO_ACCOUNT, DeliveryError
from bot.pairs import PairInfo, pairings_of
from bot.program_rules import PAIR_ROLES
from bot.timezones import is_night, local_time, zone_city, zone_name
from storage.db import insert_or_merge
from storage.models import Pair, Person, RelayCount

log = logging.getLogger(__name__)

NAME = "relay"
HOLD_SECONDS = 600  # how long a coach's message waits in memory for them to pick its recipient


@dataclass
class HeldText:
    person_id: int
    text: str
    until: float


class HeldTexts:
    """Messages waiting for their sender to say whom they are for: memory only, never written down."""

    def __init__(self) -> None:
        self._held: dict[str, HeldText] = {}

    def hold(self, person_id: int, text: str) -> str:
        now = time.monotonic()
        self._held = {token: held for token, held in self._held.items() if held.until > now}
        token = secrets.token_urlsafe(9)
        self._held[token] = HeldText(person_id, text, now + HOLD_SECONDS)
        return token

    def take(self, token: str, person_id: int) -> str | None:
        held = self._held.get(token)
        if held is None or held.person_id != person_id or held.until < time.monotonic():
            return None
        del self._held[token]
        return held.text


HELD = HeldTexts()


async def relay_text(turn: Turn, text: str) -> bool:
    """The fallback for plain text in a DM: relay it if the person has a partner in a relay program."""
    if not text.strip():  # a greeting on installing the app, a file with no words: nothing to pass on
        return False
    pairings = await _relay_pairings(turn)
    if not pairings:
        return await _say_ended(turn)
    log.info("turn kind=relay length=%d", len(text))
    if len(pairings) == 1:
        _relay(turn, pairings[0], text)
        return True
    token = HELD.hold(turn.person.id, text)
    buttons = tuple(
        button(
            NAME, _("To {name}").format(name=info.partner_of(turn.person.id).display_name), f"to|{token}|{info.pair.id}"
        )
        for info in pairings
    )
    turn.say(
        _("Who is this message for? (Or write `reply NAME your message`.) I hold it for ten minutes, in memory only."),
        buttons=buttons,
    )
    return True


async def reply(turn: Turn, args: str) -> None:
    """`reply NAME text`: a message to one of your partners by name."""
    pairings = await _relay_pairings(turn)
    if not pairings:
        if not await _say_ended(turn):
            turn.say(_(NO_PARTNER))
        return
    name, _space, text = args.partition(" ")
    matching = [info for info in pairings if _named(info.partner_of(turn.person.id), name)]
    if not name or not text.strip() or len(matching) != 1:
        names = ", ".join(info.partner_of(turn.person.id).display_name.split()[0] for info in pairings)
        turn.say(_("Write `reply NAME your message`, with NAME one of: {names}. Nothing was sent.").format(names=names))
        return
    _relay(turn, matching[0], text.strip())


async def relay_command(turn: Turn, args: str) -> None:
    """`relay` shows whether relay is on; `relay pause` and `relay resume` switch it for your pairings."""
    pairings = await _relay_pairings(turn)
    if not pairings:
        if not await _say_ended(turn):
            turn.say(_(NO_PARTNER))
        return
    action = args.strip().lower()
    if action in ("pause", "resume"):
        for info in pairings:
            info.pair.relay_paused_by_id = turn.person.id if action == "pause" else None
        names = ", ".join(info.partner_of(turn.person.id).display_name for info in pairings)
        if action == "pause":
            turn.say(
                _(
                    "Relay is paused with {names}: I will not pass on messages either way until one of you "
                    "types `relay resume`."
                ).format(names=names)
            )
        else:
            turn.say(_("Relay is on again with {names}: write here and I pass it on.").format(names=names))
        return
    lines = []
    for info in pairings:
        partner = info.partner_of(turn.person.id)
        if info.pair.relay_paused_by_id:
            state = _("{name} ({program}): relay is paused")
        else:
            state = _("{name} ({program}): relay is on")
        lines.append(state.format(name=partner.display_name, program=info.program.short_name))
    turn.say(
        _("Write here and I pass it on; `relay pause` or `relay resume` to switch."),
        title=_("Relay"),
        lines=tuple(lines),
    )


class RelayDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.finish()

    async def on_action(self, turn: Turn, value: str) -> None:
        step, token, pair_id = [*value.split("|"), "", ""][:3]
        if step != "to":
            return
        text = HELD.take(token, turn.person.id)
        chosen = [info for info in await _relay_pairings(turn) if str(info.pair.id) == pair_id]
        if text is None or not chosen:
            turn.say(_("I no longer hold that message (I keep it ten minutes, in memory only). Please send it again."))
            return
        _relay(turn, chosen[0], text)


def _relay(turn: Turn, info: PairInfo, text: str) -> None:
    """Deliver once the turn is committed; the sender hears the outcome in this turn's answer."""
    sender, partner = turn.person, info.partner_of(turn.person.id)
    if info.pair.relay_paused_by_id is not None:
        turn.say(
            _("Relay with {name} is paused, so I did not pass this on. `relay resume` switches it on again.").format(
                name=partner.display_name
            )
        )
        return
    role = info.program.guide_role if sender.id == info.pair.guide_id else info.program.guided_role
    with speaking(partner.language):  # only the frame is in the recipient's language: the text is as typed
        title = _("From {name}, your {role} ({program})").format(
            name=sender.display_name, role=role_word(role), program=info.program.short_name
        )
    message = Reply(text, title=title)
    from_guide = sender.id == info.pair.guide_id

    async def deliver() -> None:
        assert turn.send_now is not None
        try:
            account = await turn.send_now(partner.id, message)
        except Exception as exc:  # only the kind of failure is logged: never the message
            reason = exc.reason if isinstance(exc, DeliveryError) else type(exc).__name__
            log.warning("relay not delivered pair=%s reason=%s", info.pair.id, reason)
            turn.say(_not_delivered(partner, unreachable=reason == NO_ACCOUNT))
            return
        await _count(turn, info.pair, from_guide=from_guide)
        delivered = _("Delivered to {name} on {platform}.").format(
            name=partner.display_name, platform=platform_name(account.platform)
        )
        turn.say(f"{delivered} {_their_time(turn, partner)}")

    turn.after_commit.append(deliver)


def _their_time(turn: Turn, partner: Person) -> str:
    """What time it is for the recipient; at night, that an answer may wait for their morning."""
    zone = partner.timezone or "UTC"
    if not is_night(turn.now, zone):
        return _("It is {time} for them.").format(time=local_time(turn.now, zone))
    time_there = clock(turn.now.astimezone(ZoneInfo(zone)))
    first_name = partner.display_name.split()[0] if partner.display_name.strip() else partner.display_name
    if city := zone_city(zone):
        return _("It is {time} for {name} in {city}, so they may answer in the morning.").format(
            time=time_there, name=first_name, city=city
        )
    return _("It is {time} for {name} {zone}, so they may answer in the morning.").format(
        time=time_there, name=first_name, zone=zone_name(zone)
    )


def _not_delivered(partner: Person, *, unreachable: bool) -> str:
    if unreachable:
        return _(
            "I could not deliver your message to {name}: they have not written to me on Slack "
            "or Teams yet, so I cannot reach them. I keep no copy of it; please send it again once they have, "
            "or write to {email}."
        ).format(name=partner.display_name, email=partner.email)
    return _(
        "I could not deliver your message to {name} just now. Please send it again in a few "
        "minutes: I keep no copy of it."
    ).format(name=partner.display_name)


async def _count(turn: Turn, pair: Pair, *, from_guide: bool) -> None:
    """One more message this month for the pair, in a short transaction of its own after delivery."""
    assert turn.new_transaction is not None
    async with turn.new_transaction() as session:
        await _add_one(session, pair.id, f"{turn.now:%Y-%m}", from_guide=from_guide)


async def _say_ended(turn: Turn) -> bool:
    """A partnership that ended with its program relays nothing: say so, with how to reach the partner
    directly. False if the person had no such partnership."""
    ended = [
        info for info in await ending.ended_pairings(turn.session, turn.person.id, turn.programs) if info.program.relay
    ]
    if not ended:
        return False
    lines = []
    for info in ended:
        partner = info.partner_of(turn.person.id)
        write = _("Write to them directly: {email}.").format(email=partner.email)
        lines.append(f"{ending.pairing_ended_words(info, turn.person.id)} {write}")
    turn.say(_("I no longer pass messages on: your partnership has ended. Nothing was sent."), lines=tuple(lines))
    return True


async def _relay_pairings(turn: Turn) -> list[PairInfo]:
    found = await pairings_of(turn.session, turn.person.id, turn.programs, active_only=True)
    return [info for info in found if info.program.relay]


def _named(person: Person, name: str) -> bool:
    name = name.strip().lower()
    full = person.display_name.lower()
    return bool(name) and (full == name or full.split()[0] == name or person.email.lower().startswith(name + "@"))


NO_PARTNER = N_(
    "You have no partner to write to through me: relay is for pairs in programs that offer it "
    "(the SIG-ALICE coaching). Nothing was sent."
)


async def _add_one(session: AsyncSession, pair_id: int, month: str, *, from_guide: bool) -> None:
    column = "from_guide" if from_guide else "from_guided"
    values = {"pair_id": pair_id, "month": month, "from_guide": int(from_guide), "from_guided": int(not from_guide)}
    statement = insert_or_merge(session, RelayCount).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["pair_id", "month"], set_={column: getattr(RelayCount, column) + 1}
    )
    await session.execute(statement)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            "reply",
            N_("write to one of your partners by name"),
            "reply NAME message",
            reply,
            roles=frozenset(PAIR_ROLES),
            serves=lambda program: program.relay,
        )
    )
    registry.add_command(
        Command(
            NAME,
            N_("pause or resume messages passed between you and your partner"),
            "relay | relay pause | relay resume",
            relay_command,
            roles=frozenset(PAIR_ROLES),
            serves=lambda program: program.relay,
        )
    )
    registry.add_dialog(RelayDialog())
    registry.set_fallback(relay_text)
