"""English and Khmer: the catalog is complete, times typed in Khmer are read, program files give their own
Khmer, and each person's language is theirs (the platform's locale, then `language km` / `language en`)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from sqlalchemy import select

from bot.i18n import ENGLISH, KHMER, _, language_of_locale, ngettext, program_words, read_catalog, speaking
from bot.khmer_dates import from_khmer, has_khmer
from bot.programs import ProgramError, load_program
from bot.translation_check import Sentence, latin_words, marked_sentences, problems
from bot.when import parse_time
from storage.models import Application, CoachingSession, OutboxMessage, Person

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
PHNOM_PENH = "Asia/Phnom_Penh"
SOKHA = "partner@demo.example"
MONDAY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 on Monday 23 November in Phnom Penh


# The catalog


def test_every_marked_sentence_has_a_khmer_translation_with_the_same_placeholders():
    sentences = marked_sentences()
    assert len(sentences) > 1000  # the whole code is marked, not a sample
    missing = problems(KHMER, sentences)
    assert missing == [], "\n".join(str(problem) for problem in missing[:40])


def test_the_catalog_holds_only_sentences_the_code_still_has():
    marked = {sentence.key for sentence in marked_sentences()}
    stale = [message.id for message in read_catalog(KHMER) if message.id and _key(message.id) not in marked]
    assert stale == []


def test_khmer_translations_keep_english_words_only_in_backticks_and_names():
    catalog = read_catalog(KHMER)
    allowed = {"SIG", "ALICE", "IATUL", "Slack", "Teams", "CSV", "PDF", "JSON", "UTC", "ICS", "URL", "OAuth"}
    left = {
        _key(message.id): words
        for message in catalog
        if message.id
        for string in _strings(message.string)
        if (words := [w for w in latin_words(string) if w not in allowed])
    }
    assert len(left) <= len(catalog) // 50, sorted(left.items())[:20]  # a few proper names at most


def test_the_check_finds_a_missing_translation_and_a_changed_placeholder():
    catalog = Catalog(locale=KHMER)
    catalog.add("Booked with {name}.", "បានកក់ជាមួយ {who}។")
    catalog.add("{count} session", ("{count} វគ្គ",))
    sentences = [
        Sentence("Booked with {name}.", "a.py:1"),
        Sentence("Not translated.", "a.py:2"),
        Sentence(("{count} session", "{count} sessions"), "a.py:3"),
    ]
    found = problems(KHMER, sentences, catalog)
    assert [(problem.kind, problem.sentence.where) for problem in found] == [
        ("placeholders", "a.py:1"),
        ("untranslated", "a.py:2"),
    ]


def test_an_untranslated_sentence_falls_back_to_english_and_plurals_follow_the_language():
    with speaking(KHMER):
        assert _("A sentence nobody marked.") == "A sentence nobody marked."
        assert has_khmer(_("Type `help` to see what you can do."))
        one = ngettext("{count} session", "{count} sessions", 1)
    with speaking(ENGLISH):
        assert ngettext("{count} session", "{count} sessions", 2) == "{count} sessions"
    assert "{count}" in one


# Times typed in Khmer


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("ថ្ងៃអង្គារក្រោយ ម៉ោង៣រសៀល", datetime(2026, 11, 24, 15, 0)),  # next Tuesday, 3 in the afternoon
        ("ស្អែក ម៉ោង ១០ ព្រឹក", datetime(2026, 11, 24, 10, 0)),  # tomorrow 10 am, Khmer digits
        ("ថ្ងៃទី៨ ខែធ្នូ ម៉ោង 15:00", datetime(2026, 12, 8, 15, 0)),
        ("ថ្ងៃសុក្រ ម៉ោង ៩ កន្លះ ព្រឹក", datetime(2026, 11, 27, 9, 30)),  # half past nine in the morning
        ("ម៉ោង ២ រសៀល ថ្ងៃពុធ", datetime(2026, 11, 25, 14, 0)),
        ("next Tuesday 3pm", datetime(2026, 11, 24, 15, 0)),  # English still works for a Khmer reader
    ],
)
def test_a_khmer_reader_s_times_are_read(typed: str, local: datetime):
    with speaking(KHMER):
        parsed = parse_time(typed, PHNOM_PENH, MONDAY)
    assert parsed is not None and not parsed.ambiguous
    assert parsed.at == local.replace(tzinfo=_zone()).astimezone(UTC)


def test_khmer_words_without_a_time_are_refused_and_an_english_reader_gets_no_khmer_reading():
    with speaking(KHMER):
        assert parse_time("សួស្តី", PHNOM_PENH, MONDAY) is None
        day_only = parse_time("ថ្ងៃអង្គារ", PHNOM_PENH, MONDAY)
    assert day_only is not None and day_only.ambiguous and has_khmer(day_only.why or "")
    with speaking(ENGLISH):
        assert parse_time("ថ្ងៃអង្គារក្រោយ ម៉ោង៣រសៀល", PHNOM_PENH, MONDAY) is None
    assert from_khmer("១០:៣០") == "10:30"


# Program files


def test_sig_alice_gives_its_partner_questions_in_khmer(catalog):
    iatul = catalog.get("iatul-sig-alice")
    question = iatul.application.questions[0].question
    with speaking(KHMER):
        assert has_khmer(program_words(question))
        assert all(has_khmer(program_words(objective)) for objective in iatul.objectives)
        assert all(has_khmer(program_words(q.text)) for q in iatul.surveys[0].questions)
    with speaking(ENGLISH):
        assert program_words(question) == question


def test_a_translation_with_nothing_beside_it_or_of_another_shape_is_refused(tmp_path: Path):
    text = (PROGRAMS / "iatul-sig-alice.toml").read_text(encoding="utf-8")
    text = text.replace('objectives_km = [\n  "អគារ និងកន្លែងបណ្ណាល័យ",\n', "objectives_km = [\n")
    text = text.replace('name_km = "ការជ្រើសរើស និងការផ្គូផ្គង"', 'title_km = "ការជ្រើសរើស"')
    path = tmp_path / "iatul-sig-alice.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProgramError) as refused:
        load_program(path)
    said = "\n".join(refused.value.problems)
    assert "key 'objectives_km': must be like 'objectives'" in said
    assert "title_km': translates 'title', which is not set beside it" in said


# Each person's language


async def language_of(db, email: str) -> tuple[str, bool]:
    async with db.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == email))).scalar_one()
        return person.language, person.language_chosen


async def test_language_km_switches_and_language_en_switches_back(chat, db):
    sokha = chat("partner@demo.example")
    shown = await sokha.say("language")
    assert "English" in shown and "ខ្មែរ" in shown
    assert [button.label for button in sokha.console.buttons] == ["English", "ខ្មែរ (Khmer)"]
    shown = await sokha.click("ខ្មែរ")
    assert has_khmer(shown) and "`language en`" in shown
    assert await language_of(db, "partner@demo.example") == (KHMER, True)
    assert has_khmer(await sokha.say("help"))
    shown = await sokha.say("language en")
    assert shown.startswith("Done: I write to you in English from now on.")
    assert await language_of(db, "partner@demo.example") == (ENGLISH, True)


async def test_an_unknown_language_is_refused_and_changes_nothing(chat, db):
    sokha = chat("partner@demo.example")
    shown = await sokha.say("language french")
    assert shown == (
        "I can write in English (`language en`) or Khmer (`language km`), not `french`. Nothing was changed."
    )
    assert await language_of(db, "partner@demo.example") == (ENGLISH, False)


def _zone():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(PHNOM_PENH)


def _key(msgid: object) -> str:
    return str(msgid[0]) if isinstance(msgid, tuple | list) else str(msgid)


def _strings(string: object) -> list[str]:
    return [str(part) for part in string] if isinstance(string, tuple | list) else [str(string or "")]


# Switching mid-dialog


async def test_switching_to_khmer_mid_application_asks_the_open_question_again_and_keeps_the_answers(chat, db):
    sokha = chat("partner@demo.example")
    await sokha.say("apply iatul")
    asked = await sokha.click("Partner")
    assert "Which one objective would you like the coaching to work towards?" in asked
    shown = await sokha.say("language km")
    assert "តើលោកអ្នកចង់ឱ្យការបង្វឹកឆ្ពោះទៅរកគោលដៅមួយណា?" in shown  # the same question, in Khmer
    assert "ធនធានមនុស្ស និងតម្រូវការបណ្តុះបណ្តាល" in [button.label for button in sokha.console.buttons]
    summary = await sokha.click("ធនធានមនុស្ស")
    assert has_khmer(summary) and "Human resources" not in summary
    await sokha.click(sokha.console.buttons[0].label)  # submit, whatever its Khmer label
    async with db.transaction() as session:
        applied = (
            await session.execute(
                select(Application).join(Person, Person.id == Application.person_id).where(Person.email == SOKHA)
            )
        ).scalars()
        application = next(a for a in applied if a.status == "submitted")
    assert application.roles == ["partner"]
    assert application.answers == {"objective": "Human resources and training needs"}  # stored as the file says


async def test_switching_language_while_booking_keeps_the_booking_going_and_the_coach_reads_english(chat, db):
    sokha = chat("partner@demo.example")
    assert "When would you like to meet?" in await sokha.say("book")
    shown = await sokha.say("language km")
    assert has_khmer(shown) and len(sokha.console.buttons) == 5  # the free times, offered again
    assert all(has_khmer(button.label) for button in sokha.console.buttons)
    booked = await sokha.say("ថ្ងៃពុធ ម៉ោង ៩ យប់")  # Wednesday 9 pm: 09:00 for Cora in New York
    assert has_khmer(booked) and "Booked" not in booked
    async with db.transaction() as session:
        [held] = (await session.execute(select(CoachingSession))).scalars().all()
    assert held.starts_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    told = await chat("coach@demo.example").say("sessions")
    assert "Sokha Partner booked a session with you: Wednesday 25 November, 09:00 Eastern Time" in told
    assert not has_khmer(told)


# Messages to others


async def test_an_announcement_reaches_each_reader_in_their_language_around_the_coordinator_s_own_words(chat, db):
    assert has_khmer(await chat(SOKHA).say("language km"))
    casey = chat("coordinator@demo.example")
    await casey.say("announce")
    await casey.click("SIG-ALICE Demo 2026-27")
    await casey.click("Everyone")
    words = "Welcome to the kick-off call on Friday. សូមស្វាគមន៍!"
    asked = await casey.say(words)
    assert "Preview: SIG-ALICE coaching: from Casey Coordinator" in asked and not has_khmer(asked.replace(words, ""))
    await casey.click("Send to")
    async with db.transaction() as session:
        query = (
            select(Person.email, OutboxMessage.reply)
            .join(OutboxMessage, OutboxMessage.person_id == Person.id)
            .where(OutboxMessage.kind == "announcement")
        )
        sent = {email: reply for email, reply in (await session.execute(query)).all()}
    assert sent[SOKHA]["text"] == sent["coach@demo.example"]["text"] == words  # never translated or changed
    assert has_khmer(sent[SOKHA]["title"]) and sent[SOKHA]["language"] == KHMER
    assert sent["coach@demo.example"]["title"] == "SIG-ALICE coaching: from Casey Coordinator"
    assert "language" not in sent["coach@demo.example"]  # English rows keep their shape


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("km-KH", "km"),
        ("km_KH", "km"),
        ("KM", "km"),
        ("en-GB", "en"),
        ("fr-FR", None),
        ("", None),
        (None, None),
        ("x" * 5000, None),
        ("-", None),
        (7, None),
        ({"km": 1}, None),
    ],
)
def test_a_platform_s_locale_of_any_shape_names_a_language_or_none(locale: object, language: str | None):
    assert language_of_locale(locale) == language  # type: ignore[arg-type]
