"""`partner`: who you are paired with, and (where the program allows it) ending a pairing by mutual consent.

ALCTS: "Mentor and mentee pairings may change based on mutual consent and agreement from both parties."
Either side asks; the other is asked by direct message and agrees or not; when they agree the pairing
ends, both are told, and so are the coordinators, who can match them again. Ended pairings stay on
record (status, date, reason); no reasons in words are asked for or kept.
"""

from sqlalchemy import select

from bot import outbox, pair_admin
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Command, Registry, Turn, button, in_a_program
from bot.i18n import N_, _, role_word, speaking
from bot.messages import Button, Reply
from bot.network import cohort_coordinators
from bot.pairs import pairings_of
from bot.programs import Program
from bot.timezones import local_time, long_date, today_in
from storage.models import Cohort, Pair, PairChange, Person

NAME = "partner"
MATERIALS = "materials"  # dialogs/materials.py shows a matched participant's application


async def show_partners(turn: Turn, args: str) -> None:
    lines: list[str] = []
    buttons: list[Button] = []
    for info in await pairings_of(turn.session, turn.person.id, turn.programs, active_only=False):
        pair, cohort, program, partner = info.pair, info.cohort, info.program, info.partner_of(turn.person.id)
        role = program.guided_role if pair.guide_id == turn.person.id else program.guide_role
        if pair.status == "active":
            zone = partner.timezone or "UTC"
            lines.append(
                _("{cohort}: your {role} is {name}, {email}; it is {time} for them").format(
                    cohort=cohort_label(cohort, program),
                    role=role_word(role),
                    name=partner.display_name,
                    email=partner.email,
                    time=local_time(turn.now, zone),
                )
            )
            if program.share_application and pair.guide_id == turn.person.id:
                label = _("See {name}'s application").format(name=partner.display_name)
                buttons.append(button(MATERIALS, label, f"show|{pair.id}"))
            if program.pair_change_by_consent:
                label = _("Ask to end the pairing with {name}").format(name=partner.display_name)
                buttons.append(button(NAME, label, f"ask|{pair.id}"))
        else:
            why = pair_admin.told_reason(pair.end_reason)
            if pair.ended_at:
                line = _("Earlier, in the {program}: {name} (ended {date}, {why})").format(
                    program=program.short_name,
                    name=partner.display_name,
                    date=long_date(today_in(pair.ended_at, turn.timezone)),
                    why=why,
                )
            else:
                line = _("Earlier, in the {program}: {name} (ended earlier, {why})").format(
                    program=program.short_name, name=partner.display_name, why=why
                )
            lines.append(line)
    if not lines:
        turn.say(_("You are not paired with anyone yet. When the coordinators pair you, I will tell you here."))
        return
    turn.say("", title=_("Your pairings"), lines=tuple(lines), buttons=tuple(buttons))


class PartnerDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please use the buttons above, or type `partner` to start again."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _bar, item_id = value.partition("|")
        if not item_id.isdigit():
            return
        if action in ("ask", "ask-confirm"):
            await _ask(turn, int(item_id), confirmed=action == "ask-confirm")
        elif action == "keep":
            turn.finish()
            turn.say(_("Fine: your pairing stays as it is."))
        elif action in ("agree", "decline"):
            await _answer(turn, int(item_id), agree=action == "agree")


async def _ask(turn: Turn, pair_id: int, *, confirmed: bool) -> None:
    found = await _own_pair(turn, pair_id)
    if found is None:
        return
    pair, program, cohort = found
    partner = await turn.session.get_one(Person, _other(pair, turn.person.id))
    if not program.pair_change_by_consent:
        turn.say(
            _("In the {program}, pairings are changed by the coordinators: {contact}.").format(
                program=program.short_name, contact=program.contact
            )
        )
        return
    if await _open_request(turn, pair.id) is not None:
        turn.say(
            _("You or {name} already asked to end this pairing; I am waiting for the answer.").format(
                name=partner.display_name
            )
        )
        return
    if not confirmed:
        turn.ask(
            NAME,
            "ask",
            _(
                "Ask {name} to agree to end your pairing in the {program}? If they agree, "
                "the coordinators can match you both again. I will not ask for, or pass on, any reasons."
            ).format(name=partner.display_name, program=program.short_name),
            expects="choice",
            buttons=(
                button(NAME, _("Yes, ask them"), f"ask-confirm|{pair.id}", "danger"),
                button(NAME, _("No, keep it"), f"keep|{pair.id}"),
            ),
        )
        return
    turn.finish()
    change = PairChange(pair_id=pair.id, requested_by_id=turn.person.id, status="asked", created_at=turn.now)
    turn.session.add(change)
    await turn.session.flush()
    with speaking(partner.language):
        question = Reply(
            _(
                "{name} asks to end your pairing in {cohort}. "
                "The program allows this when both agree; the coordinators would then match you again."
            ).format(name=turn.person.display_name, cohort=cohort_in_sentence(cohort, program)),
            title=_("A question about your pairing"),
            buttons=(
                button(NAME, _("I agree"), f"agree|{change.id}", "danger"),
                button(NAME, _("I would like to continue"), f"decline|{change.id}"),
            ),
        )
    outbox.queue(turn.session, partner.id, question, kind="pair-change", now=turn.now)
    turn.say(_("I asked {name}. I will tell you their answer here.").format(name=partner.display_name))


async def _answer(turn: Turn, change_id: int, *, agree: bool) -> None:
    turn.finish()
    change = await turn.session.get(PairChange, change_id)
    found = await _own_pair(turn, change.pair_id) if change else None
    if change is None or found is None:
        return
    pair, program, cohort = found
    if change.requested_by_id == turn.person.id:
        turn.say(_("This question is for your partner to answer."))
        return
    if change.status != "asked" or pair.status != "active":
        turn.say(_("This question was answered already. Type `partner` to see your pairings."))
        return
    asker = await turn.session.get_one(Person, change.requested_by_id)
    change.status, change.answered_at = ("agreed" if agree else "declined"), turn.now
    name = turn.person.display_name
    if not agree:
        with speaking(asker.language):
            declined = Reply(
                _("{name} would like to continue your pairing. You can talk to the coordinators.").format(name=name)
            )
        outbox.queue(turn.session, asker.id, declined, kind="pair-change", now=turn.now)
        turn.say(_("Thank you: your pairing with {name} continues. I let them know.").format(name=asker.display_name))
        return
    pair.status, pair.ended_at, pair.end_reason = "ended", turn.now, "mutual_consent"
    with speaking(asker.language):
        ended = Reply(
            _("{name} agreed: your pairing in the {program} has ended. The coordinators will match you again.").format(
                name=name, program=program.short_name
            )
        )
    outbox.queue(turn.session, asker.id, ended, kind="pair-change", now=turn.now)
    for coordinator in await cohort_coordinators(turn.session, cohort, program):
        with speaking(coordinator.language):
            notice = Reply(
                _(
                    "{asker} and {name} ended their pairing in {cohort} by mutual consent. "
                    "Type `match` to pair them again."
                ).format(asker=asker.display_name, name=name, cohort=cohort_in_sentence(cohort, program))
            )
        outbox.queue(turn.session, coordinator.id, notice, kind="pair-change", now=turn.now)
    turn.say(_("Done: your pairing with {name} has ended, and the coordinators know.").format(name=asker.display_name))


async def _own_pair(turn: Turn, pair_id: int) -> tuple[Pair, Program, Cohort] | None:
    pair = await turn.session.get(Pair, pair_id)
    if pair is None or turn.person.id not in (pair.guide_id, pair.guided_id):
        turn.finish()
        turn.say(_("I can't find that pairing among yours. Type `partner` to see your pairings."))
        return None
    cohort = await turn.session.get_one(Cohort, pair.cohort_id)
    program = turn.programs.get(cohort.program_id)
    if program is None:
        return None
    if pair.status != "active":
        turn.finish()
        turn.say(_("That pairing has ended already. Type `partner` to see your pairings."))
        return None
    return pair, program, cohort


async def _open_request(turn: Turn, pair_id: int) -> PairChange | None:
    query = select(PairChange).where(PairChange.pair_id == pair_id, PairChange.status == "asked")
    return (await turn.session.execute(query)).scalars().first()


def _other(pair: Pair, person_id: int) -> int:
    return pair.guided_id if pair.guide_id == person_id else pair.guide_id


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("who you are paired with; ask to end a pairing where allowed"),
            "partner",
            show_partners,
            serves=in_a_program,
        )
    )
    registry.add_dialog(PartnerDialog())
