"""`announce` (coordinators): a message to a whole cohort, or to one role in it, on Slack and Teams.

The coordinator picks the cohort and who should get it, types the message, sees a preview with the
number of recipients, and confirms. The message then goes through the outbox to each person's own
platform. `announce status` shows, for recent announcements, how many were delivered, are pending or
failed.
"""

from collections import defaultdict

from sqlalchemy import func, select

from bot import ending, outbox
from bot.cohorts import cohort_in_sentence, cohort_label, has_members
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _, role_word, speaking
from bot.languages import languages_of
from bot.messages import Button, Form, FormField, Reply
from bot.outbox.notices import failures_by_ref
from bot.programs import Program
from bot.roles import other_cohort_refusal
from bot.timezones import local_time
from storage.models import Cohort, Membership, OutboxMessage

NAME = "announce"
ENDED = N_("announcements are no longer sent")
EVERYONE = "everyone"
MAX_CHARACTERS = 3000
STATUS_SHOWN = 5


async def start(turn: Turn, args: str) -> None:
    if args.strip().lower() == "status":
        await _status(turn)
        return
    cohorts = await _cohorts(turn)
    if not cohorts:
        turn.say(_("The programs you coordinate have no cohorts yet."))
        return
    running = [c for c in cohorts if not ending.has_ended(c, _program(turn, c), turn.now)]
    if not running:
        turn.say(ending.refusal([(c, _program(turn, c)) for c in cohorts], _(ENDED), _("Nothing was sent.")))
        return
    cohorts = running
    if len(cohorts) == 1:
        await _ask_audience(turn, cohorts[0])
        return
    buttons = tuple(button(NAME, cohort_label(c, _program(turn, c)), f"cohort|{c.id}") for c in cohorts)
    turn.ask(NAME, "cohort", _("Which cohort is the announcement for?"), expects="choice", buttons=buttons)


def _audiences(turn: Turn, cohort: Cohort) -> tuple[Button, ...]:
    roles = [role for role in _program(turn, cohort).roles if role != "coordinator"]
    everyone = button(NAME, _("Everyone in the cohort"), f"audience|{cohort.id}|{EVERYONE}")
    return (
        everyone,
        *(
            button(NAME, _("The {roles}").format(roles=role_word(role, 2)), f"audience|{cohort.id}|{role}")
            for role in roles
        ),
    )


async def _ask_audience(turn: Turn, cohort: Cohort) -> None:
    buttons = _audiences(turn, cohort)
    if turn.inbound.platform != "console":  # Slack and Teams can take the audience and the text at once
        buttons += (Button(_("Write it in a form"), f"{NAME}:form|{cohort.id}", opens_form=True),)
    turn.ask(
        NAME,
        "audience",
        _("Who should get it, in {cohort}?").format(cohort=cohort_in_sentence(cohort, _program(turn, cohort))),
        expects="choice",
        buttons=buttons,
        data={"cohort_id": cohort.id},
    )


class AnnounceDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        data = turn.active.data if turn.active else {}
        if not turn.active or turn.active.step != "message":
            turn.refuse(_("Please use the buttons above, or type `announce` to start again."))
            return
        message = text.strip()
        if not message or len(message) > MAX_CHARACTERS:
            turn.refuse(
                _("Please type the announcement as one message of at most {count} characters.").format(
                    count=MAX_CHARACTERS
                )
            )
            return
        cohort = await _coordinated(turn, str(data.get("cohort_id")))
        if cohort is None:
            return
        recipients = await _recipients(turn, cohort, str(data.get("audience")))
        preview = _announcement(turn, cohort, message)
        turn.say(preview.text, title=_("Preview: {title}").format(title=preview.title))
        audience, where = str(data.get("audience")), cohort_in_sentence(cohort, _program(turn, cohort))
        if audience == EVERYONE:
            question = _("Send this to {count} people, everyone of {cohort}?")
        else:
            question = _("Send this to {count} people, the {roles} of {cohort}?")
        turn.ask(
            NAME,
            "confirm",
            question.format(count=len(recipients), roles=role_word(audience, 2), cohort=where),
            expects="choice",
            buttons=(
                button(NAME, _("Send to {count} people").format(count=len(recipients)), "send", "primary"),
                button(NAME, _("Don't send"), "stop"),
            ),
            data={**data, "message": message},
        )

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, rest = value.partition("|")
        if action == "cohort":
            cohort = await _coordinated(turn, rest)
            if cohort is not None:
                await _ask_audience(turn, cohort)
        elif action == "audience":
            cohort_id, _sep, audience = rest.partition("|")
            cohort = await _coordinated(turn, cohort_id)
            if cohort is not None:
                if audience == EVERYONE:
                    question = _("Type the announcement for everyone of {cohort}.")
                else:
                    question = _("Type the announcement for the {roles} of {cohort}.")
                turn.ask(
                    NAME,
                    "message",
                    question.format(
                        roles=role_word(audience, 2), cohort=cohort_in_sentence(cohort, _program(turn, cohort))
                    ),
                    data={"cohort_id": cohort.id, "audience": audience},
                )
        elif action == "form":
            cohort = await _coordinated(turn, rest)
            if cohort is not None:
                turn.show_form(
                    _form(turn, cohort), _("Write the announcement in the form: you'll see it before it goes.")
                )
        elif action == "send":
            await _send(turn)
        elif action == "stop":
            turn.finish()
            turn.say(_("Fine: nothing was sent."))


def _form(turn: Turn, cohort: Cohort) -> Form:
    """Who gets it and what it says, at once; sent, it is the same conversation (a preview comes next)."""
    fields = (
        FormField("audience", _("Who should get it"), "choice", choices=_audiences(turn, cohort)),
        FormField("message", _("The announcement"), "long_text", max_length=MAX_CHARACTERS),
    )
    return Form(title=_("Announcement"), start=f"{NAME}:cohort|{cohort.id}", fields=fields, submit=_("Preview"))


async def _send(turn: Turn) -> None:
    data = turn.active.data if turn.active and turn.active.dialog == NAME else {}
    turn.finish()
    if "message" not in data:
        turn.say(_("That announcement is no longer waiting to be sent. Type `announce` to write one."))
        return
    cohort = await _coordinated(turn, str(data["cohort_id"]))
    if cohort is None:
        return
    recipients = await _recipients(turn, cohort, str(data["audience"]))
    ref = f"announcement:{cohort.id}:{data['audience']}:{int(turn.now.timestamp())}"
    # The coordinator's words go as they were typed; the title around them is in each recipient's language.
    languages = await languages_of(turn.session, recipients)
    replies = {}
    for language in sorted(set(languages.values())):
        with speaking(language):
            replies[language] = _announcement(turn, cohort, str(data["message"]))
    messages = [outbox.Queued(person_id, replies[languages[person_id]], ref=ref) for person_id in recipients]
    await outbox.queue_each(turn.session, messages, kind="announcement", now=turn.now)
    turn.say(
        _("Sent to {count} people. `announce status` shows how many have received it.").format(count=len(recipients))
    )


def _announcement(turn: Turn, cohort: Cohort, message: str) -> Reply:
    """The announcement as its recipients read it, in the language being spoken (the text as typed)."""
    program = _program(turn, cohort)
    return Reply(
        message, title=_("{program}: from {name}").format(program=program.short_name, name=turn.person.display_name)
    )


async def _status(turn: Turn) -> None:
    cohorts = {c.id: c for c in await _cohorts(turn)}
    if not cohorts:
        turn.say(_("The programs you coordinate have no cohorts yet."))
        return
    query = (
        select(OutboxMessage.ref, OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.kind == "announcement", OutboxMessage.ref.like("announcement:%"))
        .group_by(OutboxMessage.ref, OutboxMessage.status)
    )
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    created = {}
    for ref, status, count, first in (await turn.session.execute(query)).all():
        _kind, cohort_id, _audience, _stamp = ref.split(":")
        if int(cohort_id) in cohorts:
            counts[ref][status] += count
            created[ref] = first
    if not counts:
        turn.say(_("You have sent no announcements yet. Type `announce` to write one."))
        return
    lines = []
    shown = sorted(counts, key=lambda r: created[r], reverse=True)[:STATUS_SHOWN]
    failures = await failures_by_ref(turn.session, shown)
    for ref in shown:
        _kind, cohort_id, audience, _stamp = ref.split(":")
        by_status, cohort = counts[ref], cohorts[int(cohort_id)]
        lines.append(
            _("{when}, {cohort}, {audience}: {delivered} delivered, {pending} pending, {failed} failed").format(
                when=local_time(created[ref], turn.timezone),
                cohort=cohort_label(cohort, _program(turn, cohort)),
                audience=_audience_words(audience),
                delivered=by_status["sent"],
                pending=by_status["pending"] + by_status["sending"],
                failed=by_status["failed"],
            )
        )
        lines.extend(failures.get(ref, []))
    turn.say("", title=_("Your recent announcements"), lines=tuple(lines))


async def _recipients(turn: Turn, cohort: Cohort, audience: str) -> list[int]:
    query = select(Membership.person_id).where(Membership.cohort_id == cohort.id).distinct()
    if audience != EVERYONE:
        query = query.where(Membership.role == audience)
    return sorted(set((await turn.session.execute(query)).scalars()) - {turn.person.id})


def _audience_words(audience: str) -> str:
    """ "everyone", "the coaches": who an announcement went to, in a list of them."""
    return _("everyone") if audience == EVERYONE else _("the {roles}").format(roles=role_word(audience, 2))


async def _cohorts(turn: Turn) -> list[Cohort]:
    programs = [p.id for p in turn.programs if turn.roles.coordinates(p.id)]
    query = (
        select(Cohort)
        .where(Cohort.program_id.in_(programs), turn.roles.coordinated_cohorts(), has_members())
        .order_by(Cohort.program_id, Cohort.starts_on.desc())
    )
    return list((await turn.session.execute(query)).scalars())


async def _coordinated(turn: Turn, cohort_id: str) -> Cohort | None:
    given_id = row_id(cohort_id)
    cohort = await turn.session.get(Cohort, given_id) if given_id is not None else None
    if cohort is None or not turn.roles.coordinates(cohort.program_id):
        turn.finish()
        turn.say(_("Only coordinators of a cohort's program can announce to it. Nothing was sent."))
        return None
    if not turn.roles.coordinates_cohort(cohort):
        turn.finish()
        turn.say(other_cohort_refusal(_program(turn, cohort), cohort, _("announce to it"), _("Nothing was sent.")))
        return None
    if ending.has_ended(cohort, _program(turn, cohort), turn.now):
        turn.finish()
        turn.say(ending.refusal([(cohort, _program(turn, cohort))], _(ENDED), _("Nothing was sent.")))
        return None
    return cohort


def _program(turn: Turn, cohort: Cohort) -> Program:
    program = turn.programs.get(cohort.program_id)
    if program is None:
        raise LookupError("the cohort's program file was removed")
    return program


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("send a message to a cohort, or to one role in it; `announce status` for delivery"),
            "announce | announce status",
            start,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(AnnounceDialog())
