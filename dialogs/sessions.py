"""`sessions`: your upcoming and past one-to-one sessions, in your time zone; cancel or move them.

`sessions` lists them, numbered, with buttons; `sessions cancel 2` and `sessions move 2 Friday 10am`
do the same by command. The other person is told at once, with the calendar invitation updated (same
event) or cancelled. After a session both are asked whether it took place; only that answer is kept.
"""

from datetime import timedelta

from sqlalchemy import select

from bot import booking, offered_files, outbox
from bot.booking import OUTCOMES, local
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _, ngettext, speaking
from bot.messages import Button, Reply
from bot.pairs import PairInfo
from bot.program_rules import PAIR_ROLES
from bot.timezones import for_both
from bot.when import parse_time
from storage.models import CoachingSession

NAME = "sessions"
PAST_SHOWN = 5
STATUS_WORDS = {
    "booked": N_("booked"),
    "held": N_("held"),
    "cancelled": N_("cancelled"),
    "rescheduled": N_("moved"),
    "no_show": N_("missed"),
}
NOTED = {  # the answer to "did it take place?", by outcome (bot/booking.py OUTCOMES)
    "held": N_("Thank you: noted that it took place. Nothing else about the session is kept."),
    "rescheduled": N_("Thank you: noted that it was moved. Nothing else about the session is kept."),
    "no_show": N_("Thank you: noted that one of us did not come. Nothing else about the session is kept."),
}


async def start(turn: Turn, args: str) -> None:
    words = args.split(maxsplit=2)
    if words and words[0].lower() in ("cancel", "move"):
        number = words[1] if len(words) > 1 else ""
        found = await _numbered(turn, number)
        if found is None:
            return
        if words[0].lower() == "cancel":
            await _cancel(turn, *found)
        elif len(words) > 2:
            await _move(turn, *found, words[2])
        else:
            _ask_new_time(turn, found[0])
        return
    await _list(turn)


async def _list(turn: Turn) -> None:
    upcoming, past = await _sessions(turn)
    if not upcoming and not past:
        turn.say(_("You have no sessions yet. Type `book` to book one."))
        return
    lines = [f"{n}. {_line(turn, s, info)}" for n, (s, info) in enumerate(upcoming, 1)]
    buttons: list[Button] = []
    for number, (session_row, _info) in enumerate(upcoming[:3], 1):
        buttons.append(button(NAME, _("Move {number}").format(number=number), f"move|{session_row.id}"))
        buttons.append(button(NAME, _("Cancel {number}").format(number=number), f"cancel|{session_row.id}", "danger"))
    if upcoming:
        turn.say(
            _("Or type `sessions cancel 1` or `sessions move 1 Friday 10am`."),
            title=_("Your upcoming sessions"),
            lines=tuple(lines),
            buttons=tuple(buttons),
        )
    else:
        turn.say(_("You have no upcoming sessions. Type `book` to book one."))
    if past:
        past_lines = tuple(_line(turn, s, info) for s, info in past[:PAST_SHOWN])
        turn.say("", title=_("Past and cancelled"), lines=past_lines)


def _line(turn: Turn, session_row: CoachingSession, info: PairInfo) -> str:
    partner = info.partner_of(turn.person.id)
    when = local(session_row.starts_at, turn.timezone)
    if session_row.status == "booked":
        return _("{time} with {name}").format(time=when, name=partner.display_name)
    status = STATUS_WORDS.get(session_row.status)
    return _("{time} with {name} ({status})").format(
        time=when, name=partner.display_name, status=_(status) if status else session_row.status
    )


async def _sessions(
    turn: Turn,
) -> tuple[list[tuple[CoachingSession, PairInfo]], list[tuple[CoachingSession, PairInfo]]]:
    found = await booking.pairs_of(turn.session, turn.person.id, turn.programs, completed=True)
    infos = {info.pair.id: info for info in found}
    if not infos:
        return [], []
    query = select(CoachingSession).where(CoachingSession.pair_id.in_(list(infos))).order_by(CoachingSession.starts_at)
    upcoming, past = [], []
    for row in (await turn.session.execute(query)).scalars():
        if row.status == "booked" and row.ends_at > turn.now:
            upcoming.append((row, infos[row.pair_id]))
        else:
            past.append((row, infos[row.pair_id]))
    past.reverse()
    return upcoming, past


async def _numbered(turn: Turn, number: str) -> tuple[CoachingSession, PairInfo] | None:
    upcoming, _past = await _sessions(turn)
    if not number.isdigit() or not 1 <= int(number) <= len(upcoming):
        turn.say(
            ngettext(
                "You have {count} upcoming session; give the number from `sessions`. Nothing changed.",
                "You have {count} upcoming sessions; give the number from `sessions`. Nothing changed.",
                len(upcoming),
            ).format(count=len(upcoming))
        )
        return None
    return upcoming[int(number) - 1]


async def _own(turn: Turn, session_id: str) -> tuple[CoachingSession, PairInfo] | None:
    given_id = row_id(session_id)
    row = await turn.session.get(CoachingSession, given_id) if given_id is not None else None
    info = await booking.pair_info(turn.session, row.pair_id, turn.programs) if row else None
    if row is None or info is None or turn.person.id not in (info.guide.id, info.guided.id):
        turn.finish()
        turn.say(_("That session is not one of yours. Type `sessions` to see yours. Nothing changed."))
        return None
    return row, info


async def _cancel(turn: Turn, row: CoachingSession, info: PairInfo) -> None:
    turn.finish()
    if row.status != "booked" or row.starts_at <= turn.now:
        turn.say(_("That session can no longer be cancelled. Nothing changed."))
        return
    await booking.cancel(turn.session, row, turn.now)
    partner = info.partner_of(turn.person.id)
    link = booking.calendar_link(turn.public_url, row.calendar_token)
    turn.say(
        _("Cancelled: {time} with {name}. I told them.").format(
            time=local(row.starts_at, turn.timezone), name=partner.display_name
        )
    )
    with speaking(partner.language):  # the notice is written in the partner's language
        told = Reply(
            _("{name} cancelled your session of {time}. Type `book` to find another time.").format(
                name=turn.person.display_name, time=local(row.starts_at, partner.timezone or "UTC")
            ),
            title=_("A session was cancelled"),
            lines=(_("Calendar (cancels the event): {link}").format(link=link),),
            file=await offered_files.session_invitation(turn.session, row, turn.now, turn.programs),
        )
    outbox.queue(turn.session, partner.id, told, kind="booking", now=turn.now)


def _ask_new_time(turn: Turn, row: CoachingSession) -> None:
    turn.ask(
        NAME,
        "move",
        _("When should the session of {time} move to? Type a time like `Friday 10am`.").format(
            time=local(row.starts_at, turn.timezone)
        ),
        data={"session_id": row.id},
    )


async def _move(turn: Turn, row: CoachingSession, info: PairInfo, when: str) -> None:
    if row.status != "booked" or row.starts_at <= turn.now:
        turn.finish()
        turn.say(_("That session can no longer be moved. Nothing changed."))
        return
    parsed = parse_time(when, turn.timezone, turn.now)
    if parsed is None:
        turn.say(
            _("I couldn't read `{typed}` as a time. Try `Friday 10am` or `3 March 14:00`. Nothing changed.").format(
                typed=when[:60]
            )
        )
        return
    broken = await booking.rule_broken(turn.session, info, parsed.at, turn.now, moving=row)
    hours = await booking.weekly_hours(turn.session, info.guide)
    if broken is None and not booking.within(hours, parsed.at, parsed.at + timedelta(minutes=info.minutes)):
        broken = _("{time} is outside {name}'s hours.").format(
            time=local(parsed.at, turn.timezone), name=info.guide.display_name
        )
    if broken is not None:
        unchanged = _("Nothing changed.")
        turn.say(f"{broken} {unchanged}")
        return
    before = row.starts_at
    if not await booking.move(turn.session, info, row, parsed.at, turn.now):
        turn.say(
            _("{time} is taken. Type another time, or `book` to see free times.").format(
                time=local(parsed.at, turn.timezone)
            )
        )
        return
    turn.finish()
    partner = info.partner_of(turn.person.id)
    link = booking.calendar_link(turn.public_url, row.calendar_token)
    invitation = await offered_files.session_invitation(turn.session, row, turn.now, turn.programs)
    turn.say(
        _("Moved: your session with {name} is now {time}. I told them.").format(
            name=partner.display_name,
            time=for_both(row.starts_at, turn.timezone, partner.timezone or "UTC", _("them")),
        ),
        lines=(_("Calendar invitation (the same event, updated): {link}").format(link=link),),
        file=invitation,
    )
    zone = partner.timezone or "UTC"
    with speaking(partner.language):  # the notice is written in the partner's language
        told = Reply(
            _("{name} moved your session of {before} to {after}.").format(
                name=turn.person.display_name, before=local(before, zone), after=local(row.starts_at, zone)
            ),
            title=_("A session was moved"),
            lines=(_("Calendar invitation (the same event, updated): {link}").format(link=link),),
            file=await offered_files.session_invitation(turn.session, row, turn.now, turn.programs),
        )
    outbox.queue(turn.session, partner.id, told, kind="booking", now=turn.now)


async def _outcome(turn: Turn, row: CoachingSession, info: PairInfo, outcome: str) -> None:
    turn.finish()
    if outcome not in OUTCOMES or row.ends_at > turn.now:
        turn.say(_("I can only note that after the session. Nothing changed."))
        return
    if turn.person.id == info.guide.id:
        row.guide_outcome = outcome
    else:
        row.guided_outcome = outcome
    if row.status == "booked":
        row.status = outcome
    row.updated_at = turn.now
    turn.say(_(NOTED[outcome]))


class SessionsDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        session_id = turn.active.data.get("session_id") if turn.active else None
        found = await _own(turn, str(session_id))
        if found is not None:
            await _move(turn, *found, text)

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _bar, rest = value.partition("|")
        session_id, _bar, outcome = rest.partition("|")
        found = await _own(turn, session_id)
        if found is None:
            return
        if action == "cancel":
            await _cancel(turn, *found)
        elif action == "move":
            _ask_new_time(turn, found[0])
        elif action == "outcome":
            await _outcome(turn, *found, outcome)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("your sessions; cancel or move one"),
            "sessions [cancel N | move N WHEN]",
            start,
            roles=frozenset(PAIR_ROLES),
            serves=lambda program: program.one_to_one is not None,
        )
    )
    registry.add_dialog(SessionsDialog())
