"""`pair` (coordinators): end a pair, move a participant to another coach or mentor, pause or resume a pair.

`pair` lists the active pairs of the cohorts you coordinate (a cohort picker first when there are several);
`pair end NAME`, `pair move NAME to COACH`, `pair pause NAME until DATE` and `pair resume NAME` name a pair
by either person's name or email (buttons when several match). A reason is chosen from buttons, never
typed; a preview with Confirm and Cancel comes before any change. The rules are in bot/pair_admin.py.
"""

import re
from datetime import date

from sqlalchemy import select

from bot import ending, pair_admin
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _, role_word
from bot.pairs import PairInfo
from bot.timezones import long_date, today_in
from storage.models import Cohort, Pair, Person

NAME = "pair"
USAGE = N_("`pair end NAME`, `pair move NAME to COACH`, `pair pause NAME until DATE` or `pair resume NAME`")
SHOWN = 20  # pairs with a button in one list
NOTHING = N_("Nothing changed.")
SUMMARY = N_("end, move, pause or resume a pair (coordinators)")


async def start(turn: Turn, args: str) -> None:
    action, _sep, rest = " ".join(args.split()).partition(" ")
    action = action.lower()
    if not action:
        await _list(turn, "")
    elif action == "end":
        await _typed(turn, rest, "end")
    elif action == "move":
        name, target = _split_target(rest)
        await _typed(turn, name.strip(), "move", target.strip())
    elif action == "pause":
        await _typed_pause(turn, rest)
    elif action == "resume":
        await _typed(turn, rest, "resume")
    else:
        turn.say(_("Write {usage}, or `pair` to see your pairs.").format(usage=_(USAGE)) + " " + _(NOTHING))


async def _list(turn: Turn, cohort_value: str) -> None:
    with_pairs = Cohort.id.in_(select(Pair.cohort_id).where(Pair.status == "active"))
    running = [(c, p) for c, p in await turn.coordinated_cohorts(with_pairs) if not ending.has_ended(c, p, turn.now)]
    chosen = [(c, p) for c, p in running if str(c.id) == cohort_value] if cohort_value else running
    if not chosen:
        turn.say(_("No running cohort you coordinate has active pairs, so there are none for you to change."))
        return
    if len(chosen) > 1:
        picks = tuple(button(NAME, cohort_label(c, p), f"list|{c.id}") for c, p in chosen)
        turn.ask(NAME, "list", _("Which cohort's pairs?"), expects="choice", buttons=picks)
        return
    cohort, program = chosen[0]
    pairs = await pair_admin.find_pairs(turn.session, turn.programs, Cohort.id == cohort.id)
    if not pairs:
        turn.finish()
        turn.say(
            _("There are no active pairs in {cohort}. Type `match` to make some.").format(
                cohort=cohort_in_sentence(cohort, program)
            )
        )
        return
    today = today_in(turn.now, turn.timezone)
    lines = tuple(_pair_line(info, today) for info in pairs)
    buttons = tuple(button(NAME, _label(info), f"choose|{info.pair.id}") for info in pairs[:SHOWN])
    turn.ask(
        NAME,
        "list",
        _("Choose a pair to end, move, pause or resume, or type {usage}.").format(usage=_(USAGE)),
        title=_("Pairs of {cohort}").format(cohort=cohort_in_sentence(cohort, program)),
        lines=lines,
        buttons=buttons,
        expects="choice",
    )


def _pair_line(info: PairInfo, today: date) -> str:
    line = _("{guided} with {guide}").format(guided=info.guided.display_name, guide=info.guide.display_name)
    if pair_admin.is_paused(info.pair, today) and info.pair.paused_until is not None:
        line += " " + _("(paused until {date})").format(date=long_date(info.pair.paused_until))
    if info.pair.quiet_flagged_on:
        line += " " + _("(quiet)")
    return line


def _label(info: PairInfo) -> str:
    return f"{info.program.short_name}: {info.guided.display_name} / {info.guide.display_name}"


async def _typed(turn: Turn, name: str, action: str, extra: str = "") -> None:
    """A pair named by typing: one found goes on to `action`; several get buttons."""
    if not name:
        turn.say(_("Name one of the pair: {usage}.").format(usage=_(USAGE)) + " " + _(NOTHING))
        return
    found = await pair_admin.find_pairs(turn.session, turn.programs, turn.roles.coordinated_cohorts(), typed=name)
    if action == "resume":
        today = today_in(turn.now, turn.timezone)
        found = [info for info in found if pair_admin.is_paused(info.pair, today)]
    if not found:
        if action == "resume":
            text = _("I find no active paused pair with `{name}` in the cohorts you coordinate.")
        else:
            text = _("I find no active pair with `{name}` in the cohorts you coordinate.")
        turn.say(text.format(name=name[:60]) + " " + _(NOTHING))
    elif len(found) == 1:
        await _step(turn, action, found[0], extra)
    else:
        picks = tuple(button(NAME, _label(info), f"{action}|{info.pair.id}|{extra}") for info in found[:SHOWN])
        question = _("Several pairs match `{name}`. Which one?").format(name=name[:60])
        turn.ask(NAME, action, question, expects="choice", buttons=picks)


async def _typed_pause(turn: Turn, rest: str) -> None:
    name, until = _split_date(rest)
    if not until:
        usage = _("Write it as `pair pause NAME until DATE`, like `pair pause Sokha until 31 January`.")
        turn.say(f"{usage} {_(NOTHING)}")
        return
    day, why = pair_admin.read_day(until, turn.timezone, turn.now)
    if day is None:
        turn.say(f"{why} {_(NOTHING)}")
        return
    await _typed(turn, name, "pause-on", day.isoformat())


def _split_target(rest: str) -> tuple[str, str]:
    """("Sokha", "Lee") from "Sokha to Lee"."""
    match = re.match(r"(.*?)\s+to\s+(.*)$", rest)
    return (match[1], match[2]) if match else (rest, "")


def _split_date(rest: str) -> tuple[str, str]:
    """("Sokha", "31 January") from "Sokha until 31 January"."""
    name, found, until = rest.partition(" until ")
    return (name.strip(), until.strip()) if found else (rest.strip(), "")


async def _step(turn: Turn, action: str, info: PairInfo, extra: str) -> None:
    if action == "end":
        _ask_reason(turn, info, "end-why", "", pair_admin.END_REASONS, _("Why does this pair end?"))
    elif action == "move":
        await _move_to(turn, info, extra)
    elif action == "pause-on":
        await _pause_on(turn, info, extra)
    elif action == "resume" and not pair_admin.is_paused(info.pair, today_in(turn.now, turn.timezone)):
        turn.finish()
        turn.say(_("{pair} is not paused.").format(pair=_both(info)) + " " + _(NOTHING))
    elif action == "resume":
        question = _("Resume {pair} now, before the pause ends?").format(pair=_both(info))
        _preview(turn, question, f"resume-yes|{info.pair.id}")
    elif action == "choose":
        _menu(turn, info)


def _menu(turn: Turn, info: PairInfo) -> None:
    pair_id = info.pair.id
    move = _("Move to another {role}").format(role=role_word(info.program.guide_role))
    actions = [(_("End"), "end"), (move, "move"), (_("Pause"), "pause")]
    if pair_admin.is_paused(info.pair, today_in(turn.now, turn.timezone)):
        actions.append((_("Resume"), "resume"))
    turn.ask(
        NAME,
        "choose",
        _("{pair}: what should change?").format(pair=_both(info)),
        expects="choice",
        buttons=tuple(button(NAME, label, f"{action}|{pair_id}|") for label, action in actions),
    )


async def _move_to(turn: Turn, info: PairInfo, typed: str) -> None:
    guides = await pair_admin.guides_of(turn.session, info.cohort, info.program, typed)
    if typed and len(guides) == 1:
        await _move_target(turn, info, guides[0])
        return
    role = role_word(info.program.guide_role)
    open_ = [g for g in guides if await pair_admin.move_refusal(turn.session, info, g) is None]
    if not open_:
        cohort, name = cohort_in_sentence(info.cohort, info.program), info.guided.display_name
        if typed:
            text = _("No {role} named `{typed}` in {cohort} has a free place for {name}.").format(
                role=role, typed=typed[:60], cohort=cohort, name=name
            )
        else:
            text = _("No {role} in {cohort} has a free place for {name}.").format(role=role, cohort=cohort, name=name)
        turn.finish()
        turn.say(f"{text} {_(NOTHING)}")
        return
    picks = tuple(button(NAME, g.display_name, f"move-to|{info.pair.id}|{g.id}") for g in open_[:SHOWN])
    question = _("Move {name} to which {role}?").format(name=info.guided.display_name, role=role)
    turn.ask(NAME, "move", question, expects="choice", buttons=picks)


async def _move_target(turn: Turn, info: PairInfo, target: Person) -> None:
    refusal = await pair_admin.move_refusal(turn.session, info, target)
    if refusal is not None:
        turn.finish()
        turn.say(f"{refusal} {_(NOTHING)}")
        return
    question = _("Why does {name} move to {target}?").format(name=info.guided.display_name, target=target.display_name)
    _ask_reason(turn, info, "move-why", f"{target.id}|", pair_admin.END_REASONS, question)


async def _pause_on(turn: Turn, info: PairInfo, iso_day: str) -> None:
    day = _iso(iso_day)
    refusal = pair_admin.pause_refusal(day, today_in(turn.now, turn.timezone), info.cohort.ends_on) if day else None
    if day is None or refusal is not None:
        turn.finish()
        why = refusal or _("That day could not be read.")
        turn.say(f"{why} {_(NOTHING)}")
        return
    question = _("Why is the pair paused until {date}?").format(date=long_date(day))
    _ask_reason(turn, info, "pause-why", f"{iso_day}|", pair_admin.PAUSE_REASONS, question)


def _ask_reason(turn: Turn, info: PairInfo, action: str, extra: str, reasons: dict[str, str], question: str) -> None:
    picks = tuple(
        button(NAME, _(label).capitalize(), f"{action}|{info.pair.id}|{extra}{r}") for r, label in reasons.items()
    )
    turn.ask(NAME, action, f"{_both(info)}. {question}", expects="choice", buttons=picks)


def _preview(turn: Turn, text: str, confirm: str) -> None:
    turn.ask(
        NAME,
        "confirm",
        text,
        expects="choice",
        buttons=(button(NAME, _("Confirm"), confirm, "primary"), button(NAME, _("Cancel"), "stop")),
    )


def _both(info: PairInfo) -> str:
    """ "Sokha with their coach Lee in the AAHSL 2026-27 cohort": a pair as the sentences about it name it."""
    return _("{guided} with their {role} {guide} in {cohort}").format(
        guided=info.guided.display_name,
        role=role_word(info.program.guide_role),
        guide=info.guide.display_name,
        cohort=cohort_in_sentence(info.cohort, info.program),
    )


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class PairDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        data = turn.active.data if turn.active else {}
        if turn.active is not None and turn.active.step == "pause-date":
            day, why = pair_admin.read_day(text, turn.timezone, turn.now)
            info = await _pair(turn, str(data.get("pair_id", "")))
            if info is not None and day is None:
                turn.say(_("{why} Type the day again, or `cancel`.").format(why=why))
            elif info is not None and day is not None:
                await _pause_on(turn, info, day.isoformat())
            return
        turn.say(_("Please choose from the buttons above (reasons are chosen, not typed), or type `cancel`."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, *fields = value.split("|")
        if action == "stop":
            turn.finish()
            turn.say(_(NOTHING))
        elif action == "list":
            await _list(turn, fields[0] if fields else "0")
        elif fields and (info := await _pair(turn, fields[0])) is not None:
            await _on_pair(turn, action, info, fields[1:])

    # the buttons' steps, in the order a conversation meets them


async def _on_pair(turn: Turn, action: str, info: PairInfo, fields: list[str]) -> None:
    extra = fields[0] if fields else ""
    if action in ("choose", "end", "move", "resume", "pause-on"):
        await _step(turn, action, info, extra)
    elif action == "pause":
        question = _("{pair}: paused until which day?").format(pair=_both(info))
        turn.ask(NAME, "pause-date", question, data={"pair_id": info.pair.id})
    elif action == "move-to":
        target = await turn.session.get(Person, row_id(extra) or 0)
        await (_move_target(turn, info, target) if target else _list(turn, str(info.cohort.id)))
    elif action in ("end-why", "end-yes"):
        await _end(turn, info, extra, confirmed=action == "end-yes")
    elif action in ("move-why", "move-yes") and len(fields) == 2:
        await _move(turn, info, fields[0], fields[1], confirmed=action == "move-yes")
    elif action in ("pause-why", "pause-yes") and len(fields) == 2:
        await _pause(turn, info, fields[0], fields[1], confirmed=action == "pause-yes")
    elif action == "resume-yes" and not pair_admin.is_paused(info.pair, today_in(turn.now, turn.timezone)):
        await _step(turn, "resume", info, "")  # a stale Confirm: the pause ran out or was lifted meanwhile
    elif action == "resume-yes":
        turn.finish()
        pair_admin.resume_pair(turn.session, info, turn.now, early=True)
        turn.say(_("Resumed: {pair}. I told them both.").format(pair=_both(info)))


async def _end(turn: Turn, info: PairInfo, reason: str, *, confirmed: bool) -> None:
    if reason not in pair_admin.END_REASONS:
        turn.say(_("Please choose a reason from the buttons.") + " " + _(NOTHING))
        return
    why = _(pair_admin.END_REASONS[reason])
    if not confirmed:
        if reason in pair_admin.NEUTRAL:
            text = _(
                "End the pairing of {pair}, for: {why}? Their future sessions are cancelled; "
                "both are told that it ended ({told})."
            ).format(pair=_both(info), why=why, told=_(pair_admin.NEUTRAL[reason]))
        else:
            text = _(
                "End the pairing of {pair}, for: {why}? Their future sessions are cancelled; both are told, not why."
            ).format(pair=_both(info), why=why)
        _preview(turn, text, f"end-yes|{info.pair.id}|{reason}")
        return
    turn.finish()
    await pair_admin.end_pair(turn.session, info, reason, turn.now, turn.public_url)
    turn.say(_("Ended: {pair} ({why}). I told them both; the record stays.").format(pair=_both(info), why=why))


async def _move(turn: Turn, info: PairInfo, target_id: str, reason: str, *, confirmed: bool) -> None:
    target = await turn.session.get(Person, row_id(target_id) or 0)
    refusal = await pair_admin.move_refusal(turn.session, info, target) if target else _("That person is gone.")
    if target is None or refusal is not None or reason not in pair_admin.END_REASONS:
        turn.finish()
        why = refusal or _("Please choose a reason from the buttons.")
        turn.say(f"{why} {_(NOTHING)}")
        return
    why = _(pair_admin.END_REASONS[reason])
    if not confirmed:
        text = _(
            "Move {name} from {old} to {new} in {cohort}, for: {why}? The old pairing ends and its future "
            "sessions are cancelled; all three are told, not why."
        ).format(
            name=info.guided.display_name,
            old=info.guide.display_name,
            new=target.display_name,
            cohort=cohort_in_sentence(info.cohort, info.program),
            why=why,
        )
        _preview(turn, text, f"move-yes|{info.pair.id}|{target.id}|{reason}")
        return
    turn.finish()
    await pair_admin.move_pair(turn.session, info, target, reason, turn.now, turn.public_url)
    turn.say(
        _("Moved: {name} now works with {target}. I told all three.").format(
            name=info.guided.display_name, target=target.display_name
        )
    )


async def _pause(turn: Turn, info: PairInfo, iso_day: str, reason: str, *, confirmed: bool) -> None:
    day = _iso(iso_day)
    refusal = pair_admin.pause_refusal(day, today_in(turn.now, turn.timezone), info.cohort.ends_on) if day else None
    if day is None or refusal is not None or reason not in pair_admin.PAUSE_REASONS:
        turn.finish()
        why = refusal or _("Please choose a reason from the buttons.")
        turn.say(f"{why} {_(NOTHING)}")
        return
    if not confirmed:
        text = _(
            "Pause {pair} until {date} (included), for: {why}? "
            "No check-ins and no sessions until then (booked ones are cancelled); both are told, not why."
        ).format(pair=_both(info), date=long_date(day), why=_(pair_admin.PAUSE_REASONS[reason]))
        _preview(turn, text, f"pause-yes|{info.pair.id}|{iso_day}|{reason}")
        return
    turn.finish()
    await pair_admin.pause_pair(turn.session, info, day, reason, turn.now, turn.public_url)
    turn.say(_("Paused until {date}: {pair}. I told them both.").format(date=long_date(day), pair=_both(info)))


async def _pair(turn: Turn, value: str) -> PairInfo | None:
    """The active pair a button names, in a running cohort this coordinator coordinates; else an answer."""
    pair_id = row_id(value)
    found = await pair_admin.find_pairs(
        turn.session, turn.programs, turn.roles.coordinated_cohorts(), pair_id=pair_id or -1
    )
    if not found:
        turn.finish()
        text = _("That pair is not an active pair of a cohort you coordinate. Type `pair` to see them.")
        turn.say(f"{text} {_(NOTHING)}")
        return None
    info = found[0]
    if ending.has_ended(info.cohort, info.program, turn.now):
        turn.finish()
        turn.say(ending.refusal([(info.cohort, info.program)], _("its pairs no longer change"), _(NOTHING)))
        return None
    return info


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            SUMMARY,
            "pair [end NAME | move NAME to COACH | pause NAME until DATE | resume NAME]",
            start,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(PairDialog())
