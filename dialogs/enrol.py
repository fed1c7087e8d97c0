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
from bot.enrolment import Entry, Plan, apply, counts_words, display_name, plan, read_email, read_role, roles_words
from bot.files import MAX_FILE_BYTES, FileFetchError
from bot.messages import PLATFORM_NAMES, SharedFile
from bot.people_csv import CsvError, Refusal, parse_people, preview, rows_words
from bot.programs import Program
from dialogs.cohort_calendar import named_or_running
from storage.models import Cohort

NAME = "enrol"
USAGE = "`enrol EMAIL as ROLE [COHORT]`"
FETCH_TIMEOUT = 8.0  # seconds to download a shared CSV
YES = frozenset({"yes", "y", "ok", "confirm", "import"})
NO = frozenset({"no", "n", "cancel", "stop"})
NOT_COORDINATOR = (
    "Thanks for the file. Only a program's coordinators share CSV files with me, to enrol people; "
    "to add a file to your application, type `apply` first and share it when I ask for it."
)


async def enrol(turn: Turn, args: str) -> None:
    """`enrol EMAIL as ROLE [COHORT]`, or `enrol [COHORT]` with a CSV file attached."""
    if turn.inbound.files:
        await start_import(turn, args)
        return
    email_typed, _, rest = " ".join(args.split()).partition(" ")
    as_word, _, rest = rest.partition(" ")
    role_typed, _, cohort_typed = rest.partition(" ")
    if not email_typed or as_word.lower() != "as" or not role_typed:
        turn.say(
            f"To add someone who did not apply: {USAGE} (`enrol lee@lib.example.org as coach aahsl Demo 2027-28`). "
            "To add many at once, share a CSV file here with `enrol` as its message."
        )
        return
    email = read_email(email_typed)
    if email is None:
        turn.say(f"`{email_typed[:80]}` is not an email address. Nothing was changed. {USAGE}")
        return
    found = await _cohorts(turn, cohort_typed, role_typed)
    if len(found) > 1:
        buttons = tuple(button(NAME, cohort_label(c, p), f"cohort|{c.id}") for c, p in found)
        data = {"email": email, "role": role_typed.lower()}
        turn.ask(NAME, "cohort", "Which cohort?", expects="choice", buttons=buttons, data=data)
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
        turn.say(ending.refusal(found, "no one more is enrolled in it", "Nothing was changed."))
        return []
    fitting = [(c, p) for c, p in open_ if role is None or read_role(role, p)]
    if open_ and not fitting:
        programs = {p.id: p for _, p in open_}.values()
        roles = "; ".join(f"{p.short_name}: {roles_words(p)}" for p in programs)
        turn.say(f"`{str(role)[:40]}` is not a role there. The roles are {roles}. Nothing was changed.")
    elif not open_:
        turn.say("You coordinate no cohort whose calendar is still running, so there is nowhere to enrol anyone.")
    return fitting


async def _own_cohort(turn: Turn, cohort_id: str) -> tuple[Cohort, Program] | None:
    """The cohort of a click, if the person coordinates it and it has not ended; else they are told."""
    given = row_id(cohort_id)
    cohort = await turn.session.get(Cohort, given) if given is not None else None
    program = turn.programs.get(cohort.program_id) if cohort else None
    turn.finish()
    if cohort is None or program is None or not turn.roles.coordinates_cohort(cohort):
        turn.say("Only the coordinators of a cohort can enrol people in it, and you do not coordinate that one.")
        return None
    if ending.has_ended(cohort, program, turn.now):
        turn.say(ending.refusal([(cohort, program)], "no one more is enrolled in it", "Nothing was changed."))
        return None
    return cohort, program


# One person


async def _preview_one(turn: Turn, cohort: Cohort, program: Program, email: str, role: str) -> None:
    entry = Entry(email=email, role=role)
    done = await plan(turn.session, cohort, program, [entry])
    where = cohort_in_sentence(cohort, program)
    if not done.added:
        turn.finish()
        turn.say(f"{email} is already {_as(role)} in {where}. Nothing was changed.")
        return
    known = (
        "" if done.added[0].person_id is not None else f" They are new here: I will call them {display_name(entry)}."
    )
    turn.ask(
        NAME,
        "confirm",
        f"Enrol {email} as {role} in {where}? They will be told how to start.{known}",
        expects="choice",
        buttons=_confirm_buttons(cohort, "Confirm"),
        data={"cohort": cohort.id, "entries": [entry.to_json()], "one": True},
    )


# A CSV file


async def on_files(turn: Turn) -> bool:
    """Files shared with no words: a coordinator's CSV of people to enrol. Other files are not ours."""
    if not any(f.name.lower().endswith(".csv") for f in turn.inbound.files):
        return False
    if not turn.roles.coordinator_of:
        turn.say(NOT_COORDINATOR)
        return True
    await start_import(turn, "")
    return True


async def start_import(turn: Turn, cohort_typed: str) -> None:
    shared = next((f for f in turn.inbound.files if f.name.lower().endswith(".csv")), None)
    if shared is None:
        turn.say("To enrol people from a file, share a .csv file (CSV UTF-8) with the columns email and role.")
        return
    if not turn.roles.coordinator_of:
        turn.say(NOT_COORDINATOR)
        return
    found = await _cohorts(turn, cohort_typed, None)
    if len(found) > 1:
        buttons = tuple(button(NAME, cohort_label(c, p), f"cohort|{c.id}") for c, p in found)
        file = {"name": shared.name, "url": shared.url, "download_url": shared.download_url}
        turn.ask(
            NAME, "cohort", f"Which cohort are the people in {shared.name} for?", buttons=buttons, data={"file": file}
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
        turn.say(f"{error} Nothing was imported.")
        return
    done = await plan(turn.session, cohort, program, parsed.entries)
    summary, lines = preview(done, parsed.refused)
    title = f"Import into {cohort_label(cohort, program)}: {shared.name}"
    if not done.writes:
        turn.say(f"{summary} Nothing would change, so nothing was written.", title=title, lines=tuple(lines))
        return
    label = "Confirm" if not parsed.refused else f"Import only the valid {rows_words(len(parsed.entries))}"
    ask = "Nothing is written until you confirm." if not parsed.refused else _partial_words(parsed.refused)
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
    return (
        f"{len(refused):,} rows are refused (listed with why). Nothing is written yet: import the valid rows "
        "only, or cancel, correct the file and share it again."
    )


async def _download(turn: Turn, shared: SharedFile) -> bytes | None:
    platform = PLATFORM_NAMES[turn.inbound.platform]
    if turn.fetch_file is None:
        turn.say(f"I can't read files in {platform}: use `python app.py people import FILE.csv --cohort ...`.")
        return None
    try:
        return await asyncio.wait_for(turn.fetch_file(shared), FETCH_TIMEOUT)
    except FileFetchError as error:
        if error.too_large:
            turn.say(f"{shared.name} is larger than {MAX_FILE_BYTES // 1_000_000} MB: split it into smaller files.")
        else:
            turn.say(f"I could not download {shared.name} from {platform}. Please share it again as a file.")
    except Exception:  # a timeout or a dropped connection: the platform did not hand the file over
        turn.say(f"I could not download {shared.name} from {platform} just now. Please share it again in a minute.")
    return None


# Answers and clicks


async def _confirm(turn: Turn, cohort_id: str) -> None:
    data = turn.active.data if turn.active is not None and turn.active.step == "confirm" else None
    if data is None or str(data.get("cohort")) != cohort_id:
        turn.say("That preview is no longer open, so nothing was changed. Type `enrol` to start again.")
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
            f"Enrolled {display_name(entry)} ({entry.email}) as {entry.role} in {where}; they are told how to start."
        )
    elif data.get("one"):
        turn.say(f"{entries[0].email} is already {_as(entries[0].role)} in {where}. Nothing was changed.")
    else:
        turn.say(_imported_words(done, where))


def _imported_words(done: Plan, where: str) -> str:
    if not done.writes:
        return f"Nothing changed in {where}: everyone in the file is there already as it says."
    return f"Imported into {where}: {counts_words(done)}. Everyone added is told how to start."


def _as(role: str) -> str:
    return "a coordinator" if role == "coordinator" else f"{'an' if role[:1] in 'aeiou' else 'a'} {role}"


def _confirm_buttons(cohort: Cohort, label: str) -> tuple:  # type: ignore[type-arg]
    return (button(NAME, label, f"confirm|{cohort.id}", "primary"), button(NAME, "Cancel", "cancel"))


class EnrolDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        active = turn.active
        answer = text.strip().lower()
        if active is not None and active.step == "confirm" and answer in YES:
            await _confirm(turn, str(active.data.get("cohort")))
        elif answer in NO:
            turn.finish()
            turn.say("Cancelled. Nothing was changed.")
        else:
            turn.say("Please choose with the buttons above, or type `cancel`.")

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _, argument = value.partition("|")
        if action == "confirm":
            await _confirm(turn, argument)
        elif action == "cohort":
            await self._chosen(turn, argument)
        else:
            turn.finish()
            turn.say("Cancelled. Nothing was changed.")

    async def _chosen(self, turn: Turn, cohort_id: str) -> None:
        data = turn.active.data if turn.active is not None and turn.active.step == "cohort" else None
        if data is None:
            turn.say("That question is no longer open, so nothing was changed. Type `enrol` to start again.")
            return
        own = await _own_cohort(turn, cohort_id)
        if own is None:
            return
        if "file" in data:
            file = data["file"]
            shared = SharedFile(name=file["name"], url=file["url"], download_url=file.get("download_url"))
            await _preview_file(turn, *own, shared)
        elif read_role(data["role"], own[1]) is None:
            turn.say(f"`{data['role']}` is not a role in the {own[1].short_name}: {roles_words(own[1])}.")
        else:
            await _preview_one(turn, *own, data["email"], data["role"])


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            verb=NAME,
            summary="add someone who did not apply to a cohort, or many from a CSV file",
            usage="enrol EMAIL as ROLE [COHORT]",
            run=enrol,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(EnrolDialog())
    registry.set_file_handler(on_files)
