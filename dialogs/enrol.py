"""`enrol` (coordinators): add people who do not apply to a cohort, one by one or from a CSV file.

    coordinator: enrol lee@lib.example.org as coach aahsl Demo 2027-28
    assistant:   Enrol lee@lib.example.org as coach in AAHSL (Demo 2027-28)? [Confirm] [Cancel]
    coordinator: [Confirm]
    assistant:   Enrolled lee (lee@lib.example.org) as coach in AAHSL (Demo 2027-28); they are told.

A CSV is shared in the direct message with the assistant, with `enrol [COHORT]` as its message or with no
words at all. The preview counts who would be added, changed or refused before anything is written; the
coordinator confirms (only the valid rows, when some are refused). The rules live in bot/enrolment.py and
bot/people_csv.py.
"""

import asyncio

from bot import ending
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.enrolment import (
    Entry,
    Plan,
    a_role,
    apply,
    counts_words,
    display_name,
    plan,
    read_email,
    read_role,
    roles_words,
)
from bot.files import MAX_FILE_BYTES, FileFetchError
from bot.i18n import N_, _, ngettext, role_word
from bot.messages import SharedFile, platform_name
from bot.people_csv import CsvError, Refusal, parse_people, preview, rows_words
from bot.programs import Program
from dialogs.cohort_calendar import named_or_running
from storage.models import Cohort

NAME = "enrol"
USAGE = "`enrol EMAIL as ROLE [COHORT]`"
FETCH_TIMEOUT = 8.0  # seconds to download a shared CSV
YES = frozenset({"yes", "y", "ok", "confirm", "import"})
NO = frozenset({"no", "n", "cancel", "stop"})
NOT_COORDINATOR = N_(
    "Thanks for the file. Only a program's coordinators share CSV files with me, to enrol people; "
    "to add a file to your application, type `apply` first and share it when I ask for it."
)


async def enrol(turn: Turn, args: str) -> None:
    """`enrol EMAIL as ROLE [COHORT]`, or `enrol [COHORT]` with a CSV file attached."""
    if turn.inbound.files:
        await start_import(turn, args)
        return
    email_typed, _sep, rest = " ".join(args.split()).partition(" ")
    as_word, _sep, rest = rest.partition(" ")
    role_typed, _sep, cohort_typed = rest.partition(" ")
    if not email_typed or as_word.lower() != "as" or not role_typed:
        turn.say(
            _(
                "To add someone who did not apply: {usage} (`enrol lee@lib.example.org as coach aahsl Demo 2027-28`). "
                "To add many at once, share a CSV file here with `enrol` as its message."
            ).format(usage=USAGE)
        )
        return
    email = read_email(email_typed)
    if email is None:
        turn.say(
            _("`{email}` is not an email address. Nothing was changed. {usage}").format(
                email=email_typed[:80], usage=USAGE
            )
        )
        return
    found = await _cohorts(turn, cohort_typed, role_typed)
    if len(found) > 1:
        buttons = tuple(button(NAME, cohort_label(c, p), f"cohort|{c.id}") for c, p in found)
        data = {"email": email, "role": role_typed.lower()}
        turn.ask(NAME, "cohort", _("Which cohort?"), expects="choice", buttons=buttons, data=data)
    elif found:
        await _preview_one(turn, *found[0], email, role_typed.lower())


# Which cohort


async def _cohorts(turn: Turn, typed: str, role: str | None) -> list[tuple[Cohort, Program]]:
    """The cohorts meant (named, else the running ones where `role` fits) that have not ended; says why
    when there is none."""
    found = await named_or_running(turn, typed)
    if found is None:
        return []
    open_ = [(c, p) for c, p in found if not ending.has_ended(c, p, turn.now)]
    if found and not open_:
        turn.say(ending.refusal(found, N_("no one more is enrolled in it"), N_("Nothing was changed.")))
        return []
    fitting = [(c, p) for c, p in open_ if role is None or read_role(role, p)]
    if open_ and not fitting:
        programs = {p.id: p for _, p in open_}.values()
        roles = "; ".join(f"{p.short_name}: {roles_words(p)}" for p in programs)
        turn.say(
            _("`{role}` is not a role there. The roles are {roles}. Nothing was changed.").format(
                role=str(role)[:40], roles=roles
            )
        )
    elif not open_:
        turn.say(_("You coordinate no cohort whose calendar is still running, so there is nowhere to enrol anyone."))
    return fitting


async def _own_cohort(turn: Turn, cohort_id: str) -> tuple[Cohort, Program] | None:
    """The cohort of a click, if the person coordinates it and it has not ended; else they are told."""
    given = row_id(cohort_id)
    cohort = await turn.session.get(Cohort, given) if given is not None else None
    program = turn.programs.get(cohort.program_id) if cohort else None
    turn.finish()
    if cohort is None or program is None or not turn.roles.coordinates_cohort(cohort):
        turn.say(_("Only the coordinators of a cohort can enrol people in it, and you do not coordinate that one."))
        return None
    if ending.has_ended(cohort, program, turn.now):
        turn.say(ending.refusal([(cohort, program)], N_("no one more is enrolled in it"), N_("Nothing was changed.")))
        return None
    return cohort, program


# One person


async def _preview_one(turn: Turn, cohort: Cohort, program: Program, email: str, role: str) -> None:
    entry = Entry(email=email, role=role)
    done = await plan(turn.session, cohort, program, [entry])
    where = cohort_in_sentence(cohort, program)
    if not done.added:
        turn.finish()
        turn.say(
            _("{email} is already {role} in {cohort}. Nothing was changed.").format(
                email=email, role=a_role(role), cohort=where
            )
        )
        return
    question = _("Enrol {email} as {role} in {cohort}? They will be told how to start.").format(
        email=email, role=role_word(role), cohort=where
    )
    if done.added[0].person_id is None:
        question += " " + _("They are new here: I will call them {name}.").format(name=display_name(entry))
    turn.ask(
        NAME,
        "confirm",
        question,
        expects="choice",
        buttons=_confirm_buttons(cohort, _("Confirm")),
        data={"cohort": cohort.id, "entries": [entry.to_json()], "one": True},
    )


# A CSV file


async def on_files(turn: Turn) -> bool:
    """Files shared with no words: a coordinator's CSV of people to enrol. Other files are not ours."""
    if not any(f.name.lower().endswith(".csv") for f in turn.inbound.files):
        return False
    if not turn.roles.coordinator_of:
        turn.say(_(NOT_COORDINATOR))
        return True
    await start_import(turn, "")
    return True


async def start_import(turn: Turn, cohort_typed: str) -> None:
    shared = next((f for f in turn.inbound.files if f.name.lower().endswith(".csv")), None)
    if shared is None:
        turn.say(_("To enrol people from a file, share a .csv file (CSV UTF-8) with the columns email and role."))
        return
    if not turn.roles.coordinator_of:
        turn.say(_(NOT_COORDINATOR))
        return
    found = await _cohorts(turn, cohort_typed, None)
    if len(found) > 1:
        buttons = tuple(button(NAME, cohort_label(c, p), f"cohort|{c.id}") for c, p in found)
        file = {"name": shared.name, "url": shared.url, "download_url": shared.download_url}
        turn.ask(
            NAME,
            "cohort",
            _("Which cohort are the people in {file} for?").format(file=shared.name),
            buttons=buttons,
            data={"file": file},
        )
    elif found:
        await _preview_file(turn, *found[0], shared)


async def _preview_file(turn: Turn, cohort: Cohort, program: Program, shared: SharedFile) -> None:
    turn.finish()
    data = await _download(turn, shared)
    if data is None:
        return
    try:
        parsed = parse_people(data, program)
    except CsvError as error:
        turn.say(f"{error} " + _("Nothing was imported."))
        return
    done = await plan(turn.session, cohort, program, parsed.entries)
    summary, lines = preview(done, parsed.refused)
    title = _("Import into {cohort}: {file}").format(cohort=cohort_label(cohort, program), file=shared.name)
    if not done.writes:
        nothing = _("Nothing would change, so nothing was written.")
        turn.say(f"{summary} {nothing}", title=title, lines=tuple(lines))
        return
    if parsed.refused:
        label = _("Import only the valid {rows}").format(rows=rows_words(len(parsed.entries)))
        ask = _partial_words(parsed.refused)
    else:
        label, ask = _("Confirm"), _("Nothing is written until you confirm.")
    turn.ask(
        NAME,
        "confirm",
        f"{summary} {ask}",
        expects="choice",
        title=title,
        lines=tuple(lines),
        buttons=_confirm_buttons(cohort, label),
        data={"cohort": cohort.id, "entries": [e.to_json() for e in parsed.entries], "refused": len(parsed.refused)},
    )


def _partial_words(refused: list[Refusal]) -> str:
    return ngettext(
        "{count} row is refused (listed with why). Nothing is written yet: import the valid rows "
        "only, or cancel, correct the file and share it again.",
        "{count} rows are refused (listed with why). Nothing is written yet: import the valid rows "
        "only, or cancel, correct the file and share it again.",
        len(refused),
    ).format(count=f"{len(refused):,}")


async def _download(turn: Turn, shared: SharedFile) -> bytes | None:
    platform = platform_name(turn.inbound.platform)
    if turn.fetch_file is None:
        turn.say(
            _("I can't read files in {platform}: use `python app.py people import FILE.csv --cohort ...`.").format(
                platform=platform
            )
        )
        return None
    try:
        return await asyncio.wait_for(turn.fetch_file(shared), FETCH_TIMEOUT)
    except FileFetchError as error:
        if error.too_large:
            turn.say(
                _("{file} is larger than {size} MB: split it into smaller files.").format(
                    file=shared.name, size=MAX_FILE_BYTES // 1_000_000
                )
            )
        else:
            turn.say(
                _("I could not download {file} from {platform}. Please share it again as a file.").format(
                    file=shared.name, platform=platform
                )
            )
    except Exception:  # a timeout or a dropped connection: the platform did not hand the file over
        turn.say(
            _("I could not download {file} from {platform} just now. Please share it again in a minute.").format(
                file=shared.name, platform=platform
            )
        )
    return None


# Answers and clicks


async def _confirm(turn: Turn, cohort_id: str) -> None:
    data = turn.active.data if turn.active is not None and turn.active.step == "confirm" else None
    if data is None or str(data.get("cohort")) != cohort_id:
        turn.say(_("That preview is no longer open, so nothing was changed. Type `enrol` to start again."))
        return
    own = await _own_cohort(turn, cohort_id)
    if own is None:
        return
    cohort, program = own
    entries = [Entry.from_json(item) for item in data.get("entries", [])]
    done = await plan(turn.session, cohort, program, entries)
    await apply(turn.session, done, cohort, program, turn.person, turn.now)
    where = cohort_in_sentence(cohort, program)
    if data.get("one") and done.added:
        entry = done.added[0].entry
        turn.say(
            _("Enrolled {name} ({email}) as {role} in {cohort}; they are told how to start.").format(
                name=display_name(entry), email=entry.email, role=role_word(entry.role), cohort=where
            )
        )
    elif data.get("one"):
        turn.say(
            _("{email} is already {role} in {cohort}. Nothing was changed.").format(
                email=entries[0].email, role=a_role(entries[0].role), cohort=where
            )
        )
    else:
        turn.say(_imported_words(done, where))


def _imported_words(done: Plan, where: str) -> str:
    if not done.writes:
        return _("Nothing changed in {cohort}: everyone in the file is there already as it says.").format(cohort=where)
    return _("Imported into {cohort}: {counts}. Everyone added is told how to start.").format(
        cohort=where, counts=counts_words(done)
    )


def _confirm_buttons(cohort: Cohort, label: str) -> tuple:  # type: ignore[type-arg]
    return (button(NAME, label, f"confirm|{cohort.id}", "primary"), button(NAME, _("Cancel"), "cancel"))


class EnrolDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        active = turn.active
        answer = text.strip().lower()
        if active is not None and active.step == "confirm" and answer in YES:
            await _confirm(turn, str(active.data.get("cohort")))
        elif answer in NO:
            turn.finish()
            turn.say(_("Cancelled. Nothing was changed."))
        else:
            turn.say(_("Please choose with the buttons above, or type `cancel`."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, argument = value.partition("|")
        if action == "confirm":
            await _confirm(turn, argument)
        elif action == "cohort":
            await self._chosen(turn, argument)
        else:
            turn.finish()
            turn.say(_("Cancelled. Nothing was changed."))

    async def _chosen(self, turn: Turn, cohort_id: str) -> None:
        data = turn.active.data if turn.active is not None and turn.active.step == "cohort" else None
        if data is None:
            turn.say(_("That question is no longer open, so nothing was changed. Type `enrol` to start again."))
            return
        own = await _own_cohort(turn, cohort_id)
        if own is None:
            return
        if "file" in data:
            file = data["file"]
            shared = SharedFile(name=file["name"], url=file["url"], download_url=file.get("download_url"))
            await _preview_file(turn, *own, shared)
        elif read_role(data["role"], own[1]) is None:
            turn.say(
                _("`{role}` is not a role in the {program}: {roles}.").format(
                    role=data["role"], program=own[1].short_name, roles=roles_words(own[1])
                )
            )
        else:
            await _preview_one(turn, *own, data["email"], data["role"])


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            verb=NAME,
            summary=N_("add someone who did not apply to a cohort, or many from a CSV file"),
            usage="enrol EMAIL as ROLE [COHORT]",
            run=enrol,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(EnrolDialog())
    registry.set_file_handler(on_files)
