"""`forget me`: after a confirmation, what the assistant holds about the person is deleted (bot/privacy/forget.py).

A coordinator can do the same for someone who has left their program: `forget EMAIL`. Both ask once more,
with what will go and what stays, before anything changes; a coordinator is asked to hand over first.
"""

from sqlalchemy import func, select

from bot.cohorts import cohort_in_sentence
from bot.dialog import Command, Registry, Turn, button, passed_on
from bot.i18n import N_, _
from bot.messages import each_of
from bot.pairs import pairings_of
from bot.privacy import forget
from bot.timezones import today_in
from storage.models import Person

NAME = "forget"
USAGE = N_("Type `forget me` to have what I hold about you deleted.")
COORDINATOR_USAGE = N_("As a coordinator, `forget EMAIL` does it for someone who has left your program.")
GOES = N_(
    "This deletes, for good, your accounts here, your roles, your applications and their texts, your profile and "
    "free hours, your check-in answers, your places in groups and any message waiting for you."
)
STAYS = N_(
    "Counts others rely on stay, without your name: sessions held, hours given, check-in buttons. Anonymous "
    "survey answers stay too: nobody, not even I, can tell which are yours."
)


async def start(turn: Turn, args: str) -> None:
    typed = " ".join(args.split())
    if typed.lower() in ("me", "me.", "myself"):
        await _ask_own(turn)
    elif "@" in typed:
        await _ask_for_someone(turn, typed)
    elif not await passed_on(turn):  # "Forget about Tuesday, I am ill": a partner writing to their coach
        coordinator = bool(turn.roles.coordinator_of)
        said = [_(USAGE), _(COORDINATOR_USAGE) if coordinator else "", _("Type `my data` to see what I hold first.")]
        turn.say(" ".join(part for part in said if part))


async def _ask_own(turn: Turn) -> None:
    refusal = await forget.own_refusal(turn.session, turn.person, turn.roles, turn.programs, turn.now)
    if refusal:
        turn.say(refusal)
        return
    lines = []
    for info in await pairings_of(turn.session, turn.person.id, turn.programs):
        partner = info.partner_of(turn.person.id)
        lines.append(
            _(
                "Your pairing with {name} in {cohort} ends; "
                "they and your coordinators are told you left, without your name."
            ).format(name=partner.display_name, cohort=cohort_in_sentence(info.cohort, info.program))
        )
    today = today_in(turn.now, turn.timezone)
    surveys = await forget.open_surveys(turn.session, turn.person.id, turn.programs, today)
    if surveys:
        lines.append(
            _(
                "The survey {titles} is open for you: if you want your say in it, answer it first "
                "(type `survey`), then `forget me`."
            ).format(titles=each_of(surveys))
        )
    turn.ask(
        NAME,
        "own",
        " ".join((_(GOES), _(STAYS), _("Want a copy first? Type `my data` before you go on."))),
        title=_("Forget me"),
        expects="choice",
        lines=tuple(lines),
        buttons=(button(NAME, _("Forget me"), "yes", "danger"), button(NAME, _("Keep my data"), "no")),
    )


async def _ask_for_someone(turn: Turn, email: str) -> None:
    if not turn.roles.coordinator_of:
        turn.say(_("Only coordinators can remove someone else's data.") + " " + _(USAGE))
        return
    query = select(Person).where(func.lower(Person.email) == email.lower(), Person.forgotten_at.is_(None))
    target = (await turn.session.execute(query)).scalar_one_or_none()
    if target is None:
        turn.say(_("I know nobody with the email {email}. Nothing changed.").format(email=email))
        return
    refusal = await forget.left_refusal(turn.session, turn.person, target, turn.roles, turn.programs, turn.now)
    if refusal:
        turn.say(refusal + " " + _("Nothing changed."))
        return
    turn.ask(
        NAME,
        "someone",
        _(
            "This deletes, for good, what I hold about {name} ({email}), who has left your "
            "program: their accounts, roles, applications and their texts, profile, free hours and check-in answers. "
            "Counts stay without their name. They are not told."
        ).format(name=target.display_name, email=target.email),
        title=_("Forget someone who has left"),
        expects="choice",
        buttons=(
            button(NAME, _("Forget {name}").format(name=target.display_name)[:75], "yes", "danger"),
            button(NAME, _("Keep their data"), "no"),
        ),
        data={"person_id": target.id},
    )


class ForgetDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please click one of the buttons above, or type `cancel` to keep everything as it is."))

    async def on_action(self, turn: Turn, value: str) -> None:
        step = turn.active.step if turn.active is not None else ""
        if value == "no":
            turn.finish()
            turn.say(_("Nothing changed: I keep everything as it is."))
        elif value == "yes" and step == "own":
            await _forget_own(turn)
        elif value == "yes" and step == "someone":
            await _forget_someone(turn)
        else:
            turn.say(_("That button is from an older conversation.") + " " + _(USAGE))


async def _forget_own(turn: Turn) -> None:
    turn.finish()
    refusal = await forget.own_refusal(turn.session, turn.person, turn.roles, turn.programs, turn.now)
    if refusal:  # they became a coordinator since they were asked
        turn.say(refusal)
        return
    _after_commit(turn, turn.person.id)
    turn.say(
        _(
            "Done: I have deleted what I held about you. If you write to me again, you start afresh as someone new. "
            "Thank you for taking part."
        ),
        title=_("Forgotten"),
    )


async def _forget_someone(turn: Turn) -> None:
    assert turn.active is not None
    person_id = turn.active.data.get("person_id")
    turn.finish()
    target = await turn.session.get(Person, person_id) if isinstance(person_id, int) else None
    if target is None or target.forgotten_at is not None:
        turn.say(_("That person has already been forgotten.") + " " + _("Nothing changed."))
        return
    refusal = await forget.left_refusal(turn.session, turn.person, target, turn.roles, turn.programs, turn.now)
    if refusal:  # they joined something since
        turn.say(refusal + " " + _("Nothing changed."))
        return
    name = target.display_name
    _after_commit(turn, target.id)
    turn.say(
        _("Done: I have deleted what I held about {name}. Counts stay without their name.").format(name=name),
        title=_("Forgotten"),
    )


def _after_commit(turn: Turn, person_id: int) -> None:
    """The forgetting runs in a transaction of its own once this turn is saved (the turn holds the person's
    own rows); the answer goes out only after it committed."""
    programs, now, transaction, checkpoint = turn.programs, turn.now, turn.new_transaction, turn.checkpoint
    assert transaction is not None

    async def run() -> None:
        async with transaction() as session:
            await forget.forget(session, person_id, programs, now)
        if checkpoint is not None:
            await checkpoint()

    turn.after_commit.append(run)


def register(registry: Registry) -> None:
    registry.add_command(
        Command("forget", N_("delete what I hold about you, after a confirmation"), "forget me", start)
    )
    registry.add_dialog(ForgetDialog())
