"""`confirm`: an accepted applicant confirms the commitment their program asks, or says they can't take part.

The request comes on acceptance, through the outbox (bot/confirmation.py), with *I confirm* / *I can't take
part*; `confirm` (or `confirm PROGRAM`) asks again here, and typing *yes* then confirms too. *I can't take
part* asks once more before the place goes to the next person waiting. A click on someone else's request,
or on a place already confirmed or ended, is answered and changes nothing.
"""

from sqlalchemy import select

from bot import confirmation
from bot.applications import STATUS_WORDS
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.confirmation import NAME, moment_words
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _
from bot.programs import Program
from bot.timezones import long_date, today_in
from storage.models import Application, Cohort

YES = ("yes", "y", "i confirm", "confirmed", "ok", "okay", "បាទ", "ចាស", "បាទ/ចាស")  # and Khmer's "yes"
NO = ("no", "n", "i can't take part", "i cannot take part", "i can't", "ទេ")


async def start(turn: Turn, args: str) -> None:
    waiting = await _waiting(turn)
    if args.strip():
        program = turn.programs.find(args)
        waiting = [found for found in waiting if program is not None and found[1].id == program.id]
    if not waiting:
        turn.say(_("You have no place waiting for your confirmation. `status` shows where your applications stand."))
        return
    if len(waiting) == 1:
        _ask(turn, *waiting[0])
        return
    buttons = tuple(button(NAME, cohort_label(c, p), f"ask|{a.id}") for a, p, c in waiting)
    turn.ask(NAME, "which", _("Which place would you like to confirm?"), expects="choice", buttons=buttons)


async def _waiting(turn: Turn) -> list[tuple[Application, Program, Cohort]]:
    query = (
        select(Application, Cohort)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(Application.person_id == turn.person.id, Application.status == "accepted")
        .where(Application.confirm_by.is_not(None), Application.confirmed_at.is_(None))
        .order_by(Application.confirm_by)
    )
    found = []
    for application, cohort in (await turn.session.execute(query)).all():
        program = turn.programs.get(cohort.program_id)
        if program is not None and confirmation.is_waiting(application, turn.now):
            found.append((application, program, cohort))
    return found


def _ask(turn: Turn, application: Application, program: Program, cohort: Cohort) -> None:
    reply = confirmation.request(application, program, cohort, turn.timezone, in_conversation=True)
    turn.ask(
        NAME,
        "answer",
        reply.text,
        title=reply.title,
        expects="choice",
        buttons=reply.buttons,
        data={"application_id": application.id},
    )


class ConfirmDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        assert turn.active is not None
        application_id = str(turn.active.data.get("application_id", ""))
        answer = text.strip().lower().rstrip(".!")
        if turn.active.step == "answer" and answer in YES:
            await _confirm(turn, application_id)
        elif turn.active.step == "answer" and answer in NO:
            await _are_you_sure(turn, application_id)
        else:
            turn.say(_("Please use the buttons above (or type `cancel` to decide later)."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _bar, application_id = value.partition("|")
        if action == "yes":
            await _confirm(turn, application_id)
        elif action == "no":
            await _are_you_sure(turn, application_id)
        elif action == "no-sure":
            await _cannot(turn, application_id)
        elif action == "keep":
            await _keep(turn, application_id)
        elif action == "ask" and (found := await _own(turn, application_id)) is not None:
            _ask(turn, *found)
        else:
            turn.say(_("That button is from an older conversation. Type `confirm` to see what is waiting."))


async def _confirm(turn: Turn, application_id: str) -> None:
    turn.finish()
    found = await _own(turn, application_id)
    if found is None:
        return
    application, program, cohort = found
    await confirmation.confirm(turn.session, application, turn.now)
    turn.say(
        _(
            "Thank you: your place in {cohort} is confirmed. The coordinators will be in touch about what comes next."
        ).format(cohort=cohort_in_sentence(cohort, program))
    )


async def _are_you_sure(turn: Turn, application_id: str) -> None:
    found = await _own(turn, application_id)
    if found is None:
        return
    application, program, cohort = found
    turn.ask(
        NAME,
        "sure",
        _(
            "Are you sure you can't take part in {cohort}? Your place would go to the next person waiting, "
            "and this can't be undone."
        ).format(cohort=cohort_in_sentence(cohort, program)),
        expects="choice",
        buttons=(
            button(NAME, _("Yes, give up my place"), f"no-sure|{application.id}", "danger"),
            button(NAME, _("No, keep my place"), f"keep|{application.id}"),
        ),
        data={"application_id": application.id},
    )


async def _cannot(turn: Turn, application_id: str) -> None:
    turn.finish()
    found = await _own(turn, application_id)
    if found is None:
        return
    application, program, cohort = found
    await confirmation.end_unconfirmed(turn.session, application, program, cohort, turn.now, lapsed=False)
    turn.say(
        _(
            "Thank you for letting us know. Your place in {cohort} goes to the next person waiting, and I have told "
            "the coordinators. We hope you will apply again another year."
        ).format(cohort=cohort_in_sentence(cohort, program))
    )


async def _keep(turn: Turn, application_id: str) -> None:
    turn.finish()
    found = await _own(turn, application_id)
    if found is None:
        return
    application, _program, _cohort = found
    assert application.confirm_by is not None
    turn.say(
        _("Fine: your place stays held for you until {until}. Type `confirm` when you are ready.").format(
            until=moment_words(application.confirm_by, turn.timezone)
        )
    )


async def _own(turn: Turn, application_id: str) -> tuple[Application, Program, Cohort] | None:
    """The person's own place still waiting for them; any other click is answered and changes nothing."""
    given_id = row_id(application_id)
    application = await turn.session.get(Application, given_id) if given_id is not None else None
    if application is None or application.person_id != turn.person.id:
        turn.finish()
        turn.say(_("That confirmation is not yours to answer. Nothing was changed."))
        return None
    cohort = await turn.session.get_one(Cohort, application.cohort_id)
    program = turn.programs.get(cohort.program_id)
    refusal = _refusal(turn, application, program, cohort)
    if refusal is not None or program is None:
        turn.finish()
        turn.say(refusal or _("That program is no longer offered. Nothing was changed."))
        return None
    return application, program, cohort


def _refusal(turn: Turn, application: Application, program: Program | None, cohort: Cohort) -> str | None:
    name = cohort_in_sentence(cohort, program)
    if application.status != "accepted":
        words = STATUS_WORDS.get(application.status)
        return _(
            "Your application to {cohort} is {status}, so there is nothing to confirm. Nothing was changed."
        ).format(cohort=name, status=_(words) if words else application.status)
    if application.confirm_by is None:
        return _("Your place in {cohort} needs no confirmation. Nothing was changed.").format(cohort=name)
    if application.confirmed_at is not None:
        day = long_date(today_in(application.confirmed_at, turn.timezone))
        return _(
            "You confirmed your place in {cohort} on {date} already. Nothing was changed. If you can no longer "
            "take part, type `withdraw`."
        ).format(cohort=name, date=day)
    if turn.now >= application.confirm_by:
        until = moment_words(application.confirm_by, turn.timezone)
        return _(
            "The time to confirm your place in {cohort} ended on {until}, so I can no longer hold it for you. "
            "Nothing was changed; please write to the coordinators."
        ).format(cohort=name, until=until)
    return None


def register(registry: Registry) -> None:
    registry.add_command(
        Command("confirm", N_("confirm the place you were offered in a program"), "confirm [PROGRAM]", start)
    )
    registry.add_dialog(ConfirmDialog())
