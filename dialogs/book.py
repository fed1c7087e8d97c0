"""`book [with NAME] [WHEN]`: book a one-to-one session with your coach, mentor or partner.

`book next Tuesday 3pm` reads the time in your zone (preferring the future) and books it at once when
it is clear, or asks you to confirm when the phrase left something open (no time of day, "at 3").
A bare `book` offers the next free times as buttons. The answer shows the time in both people's zones
with the day of the week. Times outside the coach's hours, or when either person has another session,
are refused with the nearest free times; the program's quota and window are enforced.
"""

import re
from datetime import datetime, timedelta

from bot import booking, ending, offered_files, outbox
from bot.booking import local
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _, ngettext, speaking
from bot.messages import Button, Form, FormField, Reply
from bot.pairs import PairInfo
from bot.program_rules import PAIR_ROLES
from bot.timezones import for_both, two_clocks, zone_name
from bot.when import parse_time

NAME = "book"
PICKED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
NOTHING_BOOKED = N_("Nothing was booked.")


async def start(turn: Turn, args: str) -> None:
    with_ended = await booking.pairs_of(turn.session, turn.person.id, turn.programs, completed=True)
    infos = [info for info in with_ended if info.pair.status == "active"]
    if not infos and with_ended:
        turn.say(f"{ending.pairing_ended_words(with_ended[0], turn.person.id)} {_(NOTHING_BOOKED)}")
        return
    if not infos:
        turn.say(
            _(
                "You have no coach, mentor or partner to book with yet. When the coordinators pair you, "
                "I will tell you here. `status` shows where your application stands."
            )
        )
        return
    info, when = _whom(turn, infos, args.strip())
    if info is None:
        return
    if not when:
        await _offer_free_times(turn, info, _("When would you like to meet?"))
        return
    await _book_phrase(turn, info, when)


def _whom(turn: Turn, infos: list[PairInfo], args: str) -> tuple[PairInfo | None, str]:
    """The pairing to book for, from "with NAME ..." or the only one; asks when it is unclear."""
    words = args.split()
    if words and words[0].lower() == "with" and len(words) > 1:
        wanted = words[1].lower()
        for info in infos:
            partner = info.partner_of(turn.person.id)
            if partner.display_name.lower().split()[0] == wanted or partner.email.lower().startswith(wanted):
                return info, " ".join(words[2:])
        names = ", ".join(info.partner_of(turn.person.id).display_name for info in infos)
        turn.say(
            _("You are not paired with anyone called `{typed}`. You can book with: {names}.").format(
                typed=words[1][:40], names=names
            )
        )
        return None, ""
    if len(infos) == 1:
        return infos[0], args
    buttons = tuple(
        button(
            NAME, f"{info.partner_of(turn.person.id).display_name} ({info.program.short_name})", f"with|{info.pair.id}"
        )
        for info in infos
    )
    turn.ask(
        NAME, "whom", _("Who would you like to book with?"), expects="choice", buttons=buttons, data={"when": args}
    )
    return None, ""


async def _book_phrase(turn: Turn, info: PairInfo, when: str) -> None:
    parsed = parse_time(when, turn.timezone, turn.now)
    if parsed is None:
        turn.refuse(
            _(
                "I couldn't read `{typed}` as a time. Try `book next Tuesday 3pm`, `book tomorrow 10:00` or "
                "`book 3 March 14:00`. Nothing was booked."
            ).format(typed=when[:60])
        )
        return
    if not await _acceptable(turn, info, parsed.at):
        return
    if parsed.ambiguous:
        _ask_to_book(turn, info, parsed.at, why=parsed.why or "")
        return
    await _book_at(turn, info, parsed.at)


def _ask_to_book(turn: Turn, info: PairInfo, starts_at: datetime, *, why: str) -> None:
    """A time read with a guess (no hour said, 3 read as 15:00): the person says whether it is the one."""
    partner = info.partner_of(turn.person.id)
    time = for_both(starts_at, turn.timezone, partner.timezone or "UTC", partner.display_name)
    asked = (
        _("{why} So: {time}. Book it?").format(why=why, time=time) if why else _("{time}. Book it?").format(time=time)
    )
    turn.ask(
        NAME,
        "confirm",
        asked,
        expects="choice",
        buttons=(
            button(NAME, _("Book it"), f"at|{info.pair.id}|{starts_at.isoformat()}", "primary"),
            button(NAME, _("Other times"), f"times|{info.pair.id}"),
        ),
        data={"pair_id": info.pair.id, "at": starts_at.isoformat()},
    )


async def _acceptable(turn: Turn, info: PairInfo, starts_at: datetime) -> bool:
    """The program's rules and the coach's hours; says why not, with free times where they help."""
    broken = await booking.rule_broken(turn.session, info, starts_at, turn.now)
    if broken is not None:
        turn.finish()
        turn.refuse(f"{broken} {_(NOTHING_BOOKED)}")
        return False
    hours = await booking.weekly_hours(turn.session, info.guide)
    ends_at = starts_at + timedelta(minutes=info.minutes)
    if not booking.within(hours, starts_at, ends_at):
        when = local(starts_at, turn.timezone)
        if info.guide.id == turn.person.id:
            outside = _("{time} is outside your hours.").format(time=when)
        else:
            outside = _("{time} is outside {name}'s hours.").format(time=when, name=info.guide.display_name)
        await _offer_free_times(turn, info, outside, near=starts_at)
        turn.refused = outside  # in a form, said beside the time (the free times are offered in chat)
        return False
    return True


async def _book_at(turn: Turn, info: PairInfo, starts_at: datetime) -> None:
    turn.finish()
    made = await booking.book(turn.session, info, starts_at, turn.person, turn.now)
    if made is None:
        partner_name = info.partner_of(turn.person.id).display_name
        taken = _("{time} is taken: you or {name} have another session then.").format(
            time=local(starts_at, turn.timezone), name=partner_name
        )
        await _offer_free_times(turn, info, taken, near=starts_at)
        turn.refused = taken
        return
    partner = info.partner_of(turn.person.id)
    count = await booking.used(turn.session, info.pair.id)
    quota = info.program.one_to_one.quota_words() if info.program.one_to_one else ""
    if quota:
        of = _("This is session {count} of {quota}.").format(count=count, quota=quota)
    else:
        of = _("This is session {count}.").format(count=count)
    link = booking.calendar_link(turn.public_url, made.calendar_token)
    invitation = await offered_files.session_invitation(turn.session, made, turn.now, turn.programs)
    time = for_both(starts_at, turn.timezone, partner.timezone or "UTC", partner.display_name)
    booked = ngettext("Booked: {time}, {minutes} minute.", "Booked: {time}, {minutes} minutes.", info.minutes)
    told_them = _("I told {name}.").format(name=partner.display_name)
    turn.say(
        f"{booked.format(time=time, minutes=info.minutes)} {of} {told_them}",
        lines=(_("Calendar invitation: {link}").format(link=link),),
        file=invitation,
    )
    with speaking(partner.language):  # the notice is written in the partner's language
        told = Reply(
            ngettext(
                "{name} booked a session with you: {time}, {minutes} minute. `sessions` lists your sessions.",
                "{name} booked a session with you: {time}, {minutes} minutes. `sessions` lists your sessions.",
                info.minutes,
            ).format(
                name=turn.person.display_name, time=local(starts_at, partner.timezone or "UTC"), minutes=info.minutes
            ),
            title=_("A session was booked"),
            lines=(_("Calendar invitation: {link}").format(link=link),),
            file=await offered_files.session_invitation(turn.session, made, turn.now, turn.programs),
        )
    outbox.queue(turn.session, partner.id, told, kind="booking", now=turn.now)


async def _offer_free_times(turn: Turn, info: PairInfo, lead: str, near: datetime | None = None) -> None:
    free = await booking.free_times(
        turn.session, info, turn.now, near=near, count=5 if near is None else 3, asker_zone=turn.timezone
    )
    if not free:
        turn.finish()
        none = _("I found no free time in the next three weeks; try `book` with a later date.")
        turn.say(f"{lead} {none}")
        return
    offered = _("Free times nearby: (or type a time)") if near else _("The next free times: (or type a time)")
    theirs = info.partner_of(turn.person.id).timezone or "UTC"
    buttons: tuple[Button, ...] = tuple(
        button(NAME, two_clocks(moment, turn.timezone, theirs), f"at|{info.pair.id}|{moment.isoformat()}")
        for moment in free
    )
    if turn.inbound.platform != "console":  # Slack and Teams show a date picker and a time picker
        buttons += (Button(_("Pick a date and time"), f"{NAME}:form|{info.pair.id}", opens_form=True),)
    turn.ask(NAME, "times", f"{lead} {offered}", expects="text", buttons=buttons, data={"pair_id": info.pair.id})


def _form(turn: Turn, info: PairInfo) -> Form:
    """A date picker and a time picker; sent, they are booked as `book DATE TIME` typed would be."""
    zone = zone_name(turn.timezone)
    partner = info.partner_of(turn.person.id).display_name
    fields = (
        FormField(
            "date",
            _("Day"),
            "date",
            hint=ngettext(
                "Your session with {name}, {minutes} minute.",
                "Your session with {name}, {minutes} minutes.",
                info.minutes,
            ).format(name=partner, minutes=info.minutes),
        ),
        FormField("time", _("Time, {zone}").format(zone=zone), "time"),
    )
    start = f"{NAME}:when|{info.pair.id}|{{date}} {{time}}"
    return Form(title=_("Book a session"), start=start, fields=fields, submit=_("Book"))


def _picked(text: str) -> str | None:
    """A picked day and time as the pickers send them ("2026-12-08 15:00"); None for anything else."""
    return text if PICKED.fullmatch(text) else None


class BookDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        assert turn.active is not None
        pair_id = turn.active.data.get("pair_id")
        info = await booking.pair_info(turn.session, int(pair_id), turn.programs) if pair_id else None
        if info is None or turn.person.id not in (info.guide.id, info.guided.id):
            turn.finish()
            turn.say(_("Type `book` and a time, like `book next Tuesday 3pm`."))
            return
        await _book_phrase(turn, info, text)

    async def ask_again(self, turn: Turn) -> None:
        """The question left open, in the language the person just chose."""
        assert turn.active is not None
        data = turn.active.data
        if turn.active.step == "whom":
            await start(turn, str(data.get("when", "")))
            return
        pair_id = row_id(str(data.get("pair_id", "")))
        info = await booking.pair_info(turn.session, pair_id, turn.programs) if pair_id is not None else None
        if info is None or turn.person.id not in (info.guide.id, info.guided.id):
            await start(turn, "")
        elif turn.active.step == "confirm" and isinstance(data.get("at"), str):
            _ask_to_book(turn, info, datetime.fromisoformat(data["at"]), why="")
        else:
            await _offer_free_times(turn, info, _("When would you like to meet?"))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _bar, rest = value.partition("|")
        pair_id, _bar, moment = rest.partition("|")
        given_id = row_id(pair_id)
        info = await booking.pair_info(turn.session, given_id, turn.programs) if given_id is not None else None
        if info is None or turn.person.id not in (info.guide.id, info.guided.id):
            turn.finish()
            turn.say(_("You are not in that pairing, so you can't book for it. Nothing was booked."))
            return
        if action == "with":
            when = str(turn.active.data.get("when", "")) if turn.active else ""
            turn.finish()  # the typed phrase is answered now: it is not kept in the dialog's state
            if when:
                await _book_phrase(turn, info, when)
            else:
                await _offer_free_times(turn, info, _("When would you like to meet?"))
        elif action == "times":
            await _offer_free_times(turn, info, _("Pick a time."))
        elif action == "form":
            turn.show_form(_form(turn, info), _("Pick a day and a time in the form."))
        elif action == "when":
            picked = _picked(moment)
            if picked is None:
                turn.refuse(_("Please pick a day and a time. Nothing was booked."))
                return
            await _book_phrase(turn, info, picked)
        elif action == "at":
            starts_at = datetime.fromisoformat(moment)
            if await _acceptable(turn, info, starts_at):
                await _book_at(turn, info, starts_at)


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("book a one-to-one session (`book next Tuesday 3pm`)"),
            "book [with NAME] [WHEN]",
            start,
            roles=frozenset(PAIR_ROLES),
            serves=lambda program: program.one_to_one is not None,
        )
    )
    registry.add_dialog(BookDialog())
