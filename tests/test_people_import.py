"""Enrolling people from a CSV: the file's checks, the preview before anything is written, one
transaction for the whole import, the same file twice writing nothing; in chat (a file shared in the DM,
read through the engine's fetch port) and from the command line."""

from pathlib import Path

from sqlalchemy import func, select

from adapters.console import ConsoleDirectory
from bot.demo import next_cohort
from bot.engine import Engine
from bot.files import FileFetchError
from bot.messages import Inbound, SharedFile
from bot.people_cli import people_import
from bot.people_csv import MAX_ROWS, NOT_UTF8, CsvError, parse_people
from storage.db import Database
from storage.models import Membership, OutboxMessage, Person, Profile
from tests.conftest import FIXED_NOW, ROOT
from tests.test_cli import run

AAHSL = "aahsl-coaching-pilot"
CASEY = "coordinator@demo.example"
GOOD = (
    "Email,Name,Role,Time zone,Capacity,Expertise,Languages\n"
    "ana@lib.example.org,Ana Ruiz,coach,Europe/Madrid,3,leadership; budgets,Spanish; English\n"
    "ben@lib.example.org,Ben Ode,participant,America/Chicago,,,\n"
    "coach@demo.example,Cora Coach,coach,,2,change management,English\n"
)
SHEET = SharedFile("people.csv", "https://files.example/people.csv", download_url="https://files.example/dl")


async def counts(db: Database) -> tuple[int, ...]:
    async with db.transaction() as session:
        return tuple(
            [
                (await session.execute(select(func.count()).select_from(m))).scalar_one()
                for m in (Person, Membership, OutboxMessage, Profile)
            ]
        )


def served(data: bytes):  # type: ignore[no-untyped-def]
    async def fetch(shared: SharedFile) -> bytes:
        assert shared.download_url == SHEET.download_url
        if len(data) > 2_000_000:
            raise FileFetchError("too_large", too_large=True)
        return data

    return fetch


async def share(engine: Engine, data: bytes, text: str = "", action: str | None = None) -> str:
    """The coordinator shares the CSV (or clicks) in the terminal, with a fetch port serving `data`."""
    engine.fetchers["console"] = served(data)
    files = (SHEET,) if action is None else ()
    inbound = Inbound("console", CASEY, "console", text=text, files=files, action=action)
    replies = await engine.handle(inbound, ConsoleDirectory(CASEY))
    return "\n".join(
        reply.plain_text() + "".join(f"\n[{b.label}|{b.value}]" for b in reply.buttons) for reply in replies
    )


def value_of(shown: str, label: str) -> str:
    for line in shown.splitlines():
        if line.startswith(f"[{label}"):
            return line.rsplit("|", 2)[-2] + "|" + line.rsplit("|", 1)[-1].rstrip("]")
    raise AssertionError(f"no button {label} in {shown}")


async def cohort_words(engine: Engine) -> str:
    async with engine.db.transaction() as session:
        cohort = (await session.execute(next_cohort(AAHSL))).scalar_one()
    return f"aahsl {cohort.name}"


async def test_a_shared_csv_is_previewed_then_imported_once(engine, db):
    before = await counts(db)
    shown = await share(engine, GOOD.encode(), f"enrol {await cohort_words(engine)}")
    assert "3 rows: 2 to add, 1 to change, 0 unchanged." in shown
    assert "ADDED row 2: Ana Ruiz <ana@lib.example.org> as coach" in shown
    assert "CHANGED row 4: coach@demo.example (profile)" in shown
    assert await counts(db) == before  # nothing before the confirmation
    done = await share(engine, b"", action=value_of(shown, "Confirm"))
    assert "2 to add, 1 to change" in done and "Everyone added is told" in done
    async with db.transaction() as session:
        ana = (await session.execute(select(Person).where(Person.email == "ana@lib.example.org"))).scalar_one()
        profile = await session.get_one(Profile, ana.id)
        told = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "enrolment"))).scalars().all()
    assert (ana.display_name, ana.timezone) == ("Ana Ruiz", "Europe/Madrid")
    assert (profile.expertise, profile.languages, profile.capacity) == (
        "leadership; budgets",
        ["Spanish", "English"],
        3,
    )
    assert len(told) == 2  # Ana and Ben; Cora was in the cohort already
    after = await counts(db)
    again = await share(engine, GOOD.encode(), f"enrol {await cohort_words(engine)}")
    assert "0 to add, 0 to change, 3 unchanged" in again and "Nothing would change" in again
    assert await counts(db) == after


async def test_refused_rows_are_named_and_only_the_valid_rows_are_offered(engine, db):
    text = (
        "email,role,timezone,capacity\n"
        "ok@lib.example.org,participant,,\n"
        "not-an-email,coach,,\n"
        "dup@lib.example.org,coach,,\n"
        "x@lib.example.org,caoch,Mars/Base,51\n"
        "dup@lib.example.org,participant,,\n"
    )
    before = await counts(db)
    shown = await share(engine, text.encode(), f"enrol {await cohort_words(engine)}")
    assert "5 rows: 1 to add, 0 to change, 0 unchanged, 4 refused." in shown
    assert "REFUSED row 3: not-an-email: not an email address" in shown
    assert "REFUSED row 4: dup@lib.example.org: appears twice, rows 4 and 6" in shown
    assert "unknown role 'caoch'" in shown and "unknown time zone 'Mars/Base'" in shown
    assert "capacity must be a whole number from 1 to 50, not '51'" in shown
    assert await counts(db) == before
    done = await share(engine, b"", action=value_of(shown, "Import only the valid 1 row"))
    assert "1 to add" in done
    assert (await counts(db))[1] == before[1] + 1


async def test_files_refused_as_a_whole(engine, db, catalog):
    aahsl = catalog.get(AAHSL)
    before = await counts(db)
    latin = "email,role,name\nzoe@lib.example.org,coach,Zoë\n".encode("latin-1")
    assert NOT_UTF8 in await share(engine, latin, f"enrol {await cohort_words(engine)}")
    assert NOT_UTF8 in await share(engine, GOOD.encode("utf-16"), f"enrol {await cohort_words(engine)}")
    missing = await share(engine, b"name,capacity\nAna,2\n", f"enrol {await cohort_words(engine)}")
    assert "The header row has no email and no role column" in missing
    big = "email,role\n" + "".join(f"p{n}@lib.example.org,participant\n" for n in range(10_000))
    shown = await share(engine, big.encode(), f"enrol {await cohort_words(engine)}")
    assert "This file has 10,000 rows; at most 5,000 can be imported at once" in shown
    too_large = await share(engine, b"x" * 2_000_001, f"enrol {await cohort_words(engine)}")
    assert "larger than 2 MB" in too_large
    assert await counts(db) == before
    with_bom = parse_people("\ufeffEMAIL,Role,TIME_ZONE\nzoe@lib.example.org,coach,Europe/Paris\n".encode(), aahsl)
    assert [(e.email, e.timezone) for e in with_bom.entries] == [("zoe@lib.example.org", "Europe/Paris")]
    long = parse_people(f"email,role,interests\nq@lib.example.org,coach,{'x' * 501}\n".encode(), aahsl)
    assert long.refused[0].why == "interests is longer than 500 characters"
    exactly = "email,role\n" + "".join(f"p{n}@lib.example.org,participant\n" for n in range(MAX_ROWS))
    assert len(parse_people(exactly.encode(), aahsl).entries) == MAX_ROWS
    try:
        parse_people(b"", aahsl)
    except CsvError as error:
        assert "empty" in str(error)


async def test_a_csv_from_someone_who_coordinates_nothing_gets_an_answer(engine, db):
    engine.fetchers["console"] = served(GOOD.encode())
    inbound = Inbound("console", "coach@demo.example", "console", files=(SHEET,))
    replies = await engine.handle(inbound, ConsoleDirectory("coach@demo.example"))
    assert "Only a program's coordinators share CSV files with me" in replies[0].text


async def test_a_csv_with_no_words_asks_which_cohort(engine, db):
    shown = await share(engine, GOOD.encode())
    assert "Which cohort are the people in people.csv for?" in shown
    preview = await share(engine, GOOD.encode(), action=value_of(shown, "AAHSL Demo 2027-28"))
    assert "2 to add, 1 to change" in preview


async def test_the_command_line_previews_and_writes_only_with_yes(engine, db, catalog, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD, encoding="utf-8")
    async with db.transaction() as session:
        cohort = (await session.execute(next_cohort(AAHSL))).scalar_one()
    before = await counts(db)
    printed: list[str] = []
    status = await people_import(db, catalog, path, str(cohort.id), None, yes=False, now=FIXED_NOW, out=printed.append)
    assert status == 0 and "Add --yes to import" in printed[-1] and await counts(db) == before
    assert "2 to add, 1 to change" in printed[0]
    printed.clear()
    status = await people_import(db, catalog, path, cohort.name, AAHSL, yes=True, now=FIXED_NOW, out=printed.append)
    assert status == 0 and "Imported: 2 to add" in printed[-1]
    after = await counts(db)
    assert after[1] == before[1] + 2
    printed.clear()
    await people_import(db, catalog, path, str(cohort.id), None, yes=True, now=FIXED_NOW, out=printed.append)
    assert "Nothing would change" in printed[-1] and await counts(db) == after
    printed.clear()
    status = await people_import(db, catalog, path, cohort.name, None, yes=True, now=FIXED_NOW, out=printed.append)
    assert status == 2 and "several cohorts are called" in printed[-1]


def test_the_command_line_in_a_subprocess(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD, encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", "PROGRAMS_DIR": str(ROOT / "programs")}
    assert run(["demo"], env).returncode == 0
    preview = run(["people", "import", str(path), "--cohort", "Demo 2027-28", "--program", "aahsl"], env)
    assert preview.returncode == 0, preview.stderr
    assert "ADDED row 2: Ana Ruiz <ana@lib.example.org> as coach" in preview.stdout
    assert "Add --yes to import" in preview.stdout and "alembic" not in preview.stderr.lower()
    done = run(["people", "import", str(path), "--cohort", "Demo 2027-28", "--program", "aahsl", "--yes"], env)
    assert "Imported: 2 to add, 1 to change" in done.stdout
    again = run(["people", "import", str(path), "--cohort", "Demo 2027-28", "--program", "aahsl", "--yes"], env)
    assert "Nothing would change" in again.stdout
    Path(path).write_bytes("email,role\nx@y.org,coach\n".encode("utf-16"))
    bad = run(["people", "import", str(path), "--cohort", "Demo 2027-28", "--program", "aahsl"], env)
    assert bad.returncode == 2 and "not UTF-8" in bad.stdout
