"""Answers to a quiet pair's questions (bot/quiet.py): the other side says all is well or that they cannot
reach their partner (only then are the coordinators told); a coordinator contacts the pair with a gentle
message of fixed words. "Reassign" goes to `pair` (dialogs/pair.py)."""

from sqlalchemy import select

from bot import outbox, pair_admin, quiet
from bot.cohorts import cohort_in_sentence
from bot.dialog import Registry, Turn, row_id
from bot.i18n import _, speaking
from bot.messages import Reply
from bot.pairs import PairInfo
from storage.models import OutboxMessage

NAME = quiet.DIALOG


class QuietDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please use the buttons of my message."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _bar, pair_value = value.partition("|")
        turn.finish()
        found = await pair_admin.find_pairs(turn.session, turn.programs, pair_id=row_id(pair_value) or -1)
        info = found[0] if found else None
        if info is None:
            turn.say(_("That pairing is no longer active. Nothing changed."))
        elif action in ("well", "unreachable") and turn.person.id in (info.guide.id, info.guided.id):
            await _answer(turn, info, reachable=action == "well")
        elif action == "contact" and turn.roles.coordinates_cohort(info.cohort):
            _contact(turn, info)
        else:
            turn.say(_("That button is not for you. Nothing changed."))


async def _answer(turn: Turn, info: PairInfo, *, reachable: bool) -> None:
    if reachable:
        turn.say(_("Good to hear, thank you. I keep nothing else."))
        return
    # Once for each time the pair was found quiet: a second click is not a second alarm.
    ref = f"quiet-unreachable:{info.pair.id}:{info.pair.quiet_flagged_on}"
    if await turn.session.scalar(select(OutboxMessage.id).where(OutboxMessage.ref == ref).limit(1)) is not None:
        turn.say(_("You told me already, and the coordinators have it: they will be in touch."))
        return
    partner = info.partner_of(turn.person.id)
    name = turn.person.display_name

    def why() -> str:
        return _("{name} says they cannot reach {partner}").format(name=name, partner=partner.display_name)

    await quiet.tell_coordinators(turn.session, info, why, turn.now, ref=ref)
    turn.say(_("Thank you: I have told the coordinators, who will be in touch."))


def _contact(turn: Turn, info: PairInfo) -> None:
    for person in (info.guide, info.guided):
        partner = info.partner_of(person.id)
        with speaking(person.language):
            message = Reply(
                _(
                    "{name}, a coordinator of {cohort}, asks how it is going with {partner}. If something is in "
                    "the way, write to them or type `help me`; to meet again, type `book`."
                ).format(
                    name=turn.person.display_name,
                    cohort=cohort_in_sentence(info.cohort, info.program),
                    partner=partner.display_name,
                ),
                title=_("A word from the coordinators"),
            )
        outbox.queue(turn.session, person.id, message, kind=quiet.KIND, now=turn.now)
    turn.say(
        _("I sent {name} and {other} a short message from you.").format(
            name=info.guided.display_name, other=info.guide.display_name
        )
    )


def register(registry: Registry) -> None:
    registry.add_dialog(QuietDialog())
