"""The network's resource library: everyone in the network reads it, filtered by career stage and topic;
its coordinators add (by dialog or in one line) and curate (edit, feature, retire, restore). Bad links,
duplicates and people who may not do something change nothing.

The demo library holds four resources, numbered in the order added, one a day, the first featured:
1. Mentoring agreement template (toolkit; early and mid career; mentoring practice), featured
2. Guide to a first year in academic libraries (guide; student, early career; job search, public services)
3. Leading through change (training; mid career, senior; leadership, management)
4. Writing for publication in LIS (link; all career stages; research and publishing)"""

import re

from sqlalchemy import select

from bot import resources
from bot.demo import NETWORK, seed_demo
from bot.identity import get_or_create_person
from bot.messages import Inbound
from bot.resources import Draft
from storage.db import Database
from storage.models import DialogState, Person, Resource
from tests.conftest import FIXED_NOW, Chat

CASEY, NORA = "coordinator@demo.example", "northeast@demo.example"  # national and regional coordinators
CORA, PAT = "coach@demo.example", "participant@demo.example"  # mentor and mentee in the network
DANA, SOKHA = "participant2@demo.example", "partner@demo.example"  # in other programs only
ONE_LINE = (
    'resources add "Mentoring agreement template" https://example.org/agreement toolkit '
    "stages: early career, mid career topics: mentoring practice"
)


def shown(answer: str) -> list[int]:
    """The numbers of the resources a list shows, top to bottom."""
    return [int(n) for n in re.findall(r"^  - (\d+)\. ", answer, re.MULTILINE)]


async def ready(chat, email: str) -> Chat:  # type: ignore[no-untyped-def]
    """A person who has said hello, so the demo's waiting messages (a survey invitation) are behind them."""
    person = chat(email)
    await person.say("me")
    return person


def labels(person: Chat) -> list[str]:
    return [button.label for button in person.console.buttons]


async def library(db: Database) -> list[tuple[int, str, str, str, list[str], list[str], str, bool]]:
    """Every resource of the network's library as (number, title, url, kind, stages, topics, status, featured)."""
    async with db.transaction() as session:
        query = select(Resource).where(Resource.program_id == NETWORK).order_by(Resource.number)
        return [
            (r.number, r.title, r.url, r.kind, r.career_stages, r.topics, r.status, r.featured)
            for r in (await session.execute(query)).scalars()
        ]


async def test_the_library_lists_featured_first_then_the_newest(chat, db):
    pat = await ready(chat, PAT)
    answer = await pat.say("resources")
    assert "Coordinator network resource library" in answer and "4 resources" in answer
    assert shown(answer) == [1, 4, 3, 2]
    assert (
        "1. *Mentoring agreement template (demo)* (toolkit, featured): https://example.org/demo/mentoring-agreement "
        "For: early career, mid career. Topics: mentoring practice." in answer
    )
    assert "4. *Writing for publication in LIS (demo)* (link)" in answer and "For: all career stages." in answer
    assert labels(pat) == ["By career stage", "By topic"]  # a mentee does not curate: no Add button
    assert "resources retire" not in answer
    cora = await ready(chat, CORA)
    assert shown(await cora.say("resources")) == [1, 4, 3, 2] and labels(cora) == ["By career stage", "By topic"]


async def test_typed_filters_match_stages_and_topics_by_the_start_of_their_words(chat):
    pat = await ready(chat, PAT)
    assert shown(await pat.say("resources early career")) == [1, 4, 2]  # 4 is for every stage
    assert shown(await pat.say("resources leadership")) == [3]
    assert shown(await pat.say("resources mid career leadership")) == [3]
    assert shown(await pat.say("resources Mid Lead")) == [3]
    assert shown(await pat.say("/coaching resources research publishing")) == [4]
    answer = await pat.say("resources late career job search")
    assert "Nothing in the library fits late career job search yet." in answer
    assert labels(pat) == ["By career stage", "By topic", "All resources"]
    assert shown(await pat.click("All resources")) == [1, 4, 3, 2]


async def test_the_filter_buttons_combine_a_stage_and_a_topic(chat):
    pat = await ready(chat, PAT)
    await pat.say("resources")
    assert "Which career stage?" in await pat.click("By career stage")
    assert labels(pat) == ["student", "early career", "mid career", "senior", "late career", "All career stages"]
    answer = await pat.click("mid career")
    assert "resource library: mid career" in answer and shown(answer) == [1, 4, 3]
    await pat.click("By topic")
    answer = await pat.click("management")
    assert "resource library: mid career management" in answer and shown(answer) == [3]
    await pat.click("By career stage")
    assert shown(await pat.click("All career stages")) == [3]  # the topic stays


async def test_an_unknown_or_unclear_filter_word_gets_the_names_to_choose_from(chat):
    pat = await ready(chat, PAT)
    answer = await pat.say("resources cataloguing")
    assert "I don't know `cataloguing` as a career stage or topic." in answer
    assert "Career stages: student, early career, mid career, senior, late career." in answer
    assert "Topics: leadership, management, research and publishing," in answer
    assert shown(answer) == []
    assert "`s` could be student or senior: type more of it." in await pat.say("resources s")


async def test_a_coordinator_adds_a_resource_step_by_step(chat, db):
    casey = await ready(chat, CASEY)
    await casey.say("resources")
    assert "Add a resource" in labels(casey)
    assert "What is the resource called?" in await casey.click("Add a resource")
    assert "Paste its link" in await casey.say("Help for new mentors: a first-meeting checklist")
    assert "What kind of resource is it?" in await casey.say("https://Example.ORG/checklist/")
    assert labels(casey) == ["toolkit", "guide", "training", "link"]
    assert "Which career stages is it for?" in await casey.click("guide")
    await casey.click("mid career")
    answer = await casey.click("early career")
    assert "Chosen so far: mid career, early career." in answer
    assert labels(casey)[1:3] == ["✓ early career", "✓ mid career"]
    await casey.click("student")
    await casey.click("✓ student")  # and off again
    assert "Which topics is it for?" in await casey.click("Done")
    assert len(await library(db)) == 4  # nothing is stored until the last answer
    answer = await casey.say("mentoring, leader")  # typed instead of clicked
    assert "Added to the Coordinator network library as number 5" in answer
    assert (
        "5. *Help for new mentors: a first-meeting checklist* (guide): https://example.org/checklist "
        "For: early career, mid career. Topics: leadership, mentoring practice." in answer
    )
    assert (await library(db))[-1] == (
        5,
        "Help for new mentors: a first-meeting checklist",
        "https://example.org/checklist",
        "guide",
        ["early career", "mid career"],
        ["leadership", "mentoring practice"],
        "listed",
        False,
    )
    async with db.transaction() as session:
        added = (await session.execute(select(Resource).where(Resource.number == 5))).scalar_one()
        casey_id = (await session.execute(select(Person.id).where(Person.email == CASEY))).scalar_one()
        assert (added.added_by_id, added.added_at, added.updated_by_id) == (casey_id, FIXED_NOW, casey_id)
        assert (await session.execute(select(DialogState))).first() is None  # the dialog is over
    assert shown(await chat(PAT).say("resources")) == [1, 5, 4, 3, 2]  # the newest after the featured one


async def test_a_title_may_start_with_resources_and_reading_the_list_keeps_the_question(chat, db):
    casey = await ready(chat, CASEY)
    await casey.say("resources add")
    assert "Paste its link" in await casey.say("Resources for first-time mentors")  # a title, not the command
    assert shown(await casey.say("resources leadership")) == [3]  # a look at the list in between
    assert "What kind of resource is it?" in await casey.say("https://example.org/first-time")
    await casey.click("guide")
    await casey.click("All career stages")
    await casey.click("All topics")
    assert (await library(db))[-1][1:3] == ("Resources for first-time mentors", "https://example.org/first-time")


async def test_an_old_button_of_the_add_dialog_leaves_another_question_open(engine, chat, db):
    casey = await ready(chat, CASEY)
    await casey.say("resources add Old question")
    assert "Which cohort is the announcement for?" in await casey.say("/coaching announce")  # a new question
    stale = Inbound("console", CASEY, "console", action="resources:kind|0")
    replies = await engine.handle(stale, casey.console.directory)
    assert "That question is closed." in replies[0].text and "Nothing changed." in replies[0].text
    async with db.transaction() as session:
        assert (await session.execute(select(DialogState.dialog))).scalar_one() == "announce"
    assert len(await library(db)) == 4


async def test_all_stages_and_all_topics_store_an_empty_list(chat, db):
    casey = await ready(chat, CASEY)
    await casey.say('resources add "Library careers podcast" https://example.org/podcast link')
    await casey.click("All career stages")
    answer = await casey.click("All topics")
    assert "For: all career stages. Topics: all topics." in answer
    assert (await library(db))[-1][4:6] == ([], [])
    assert 5 in shown(await chat(PAT).say("resources late career job search"))


async def test_a_coordinator_adds_a_resource_in_one_line(chat, db):
    casey = await ready(chat, CASEY)
    answer = await casey.say(ONE_LINE)
    assert "Added to the Coordinator network library as number 5" in answer
    assert (await library(db))[-1][:6] == (
        5,
        "Mentoring agreement template",
        "https://example.org/agreement",
        "toolkit",
        ["early career", "mid career"],
        ["mentoring practice"],
    )
    # Whatever the line leaves out is asked: here the kind, the stages and the topics.
    assert "What kind of resource is it?" in await casey.say(
        "resources add “Peer mentoring circles” https://example.org/circles"
    )
    await casey.click("guide")
    await casey.click("All career stages")
    await casey.click("mentoring practice")
    assert "number 6" in await casey.click("Done")
    assert (await library(db))[-1][:4] == (6, "Peer mentoring circles", "https://example.org/circles", "guide")


async def test_links_that_are_not_web_links_are_refused_and_nothing_changes(chat, db):
    casey = await ready(chat, CASEY)
    before = await library(db)
    refused = {
        '"Agreement" ftp://example.org/agreement toolkit': "not `ftp:`",
        '"Agreement" javascript:alert(1) toolkit': "not `javascript:`",
        '"Agreement" www.example.org/agreement toolkit': "Please give the whole link, starting with https://",
        '"Agreement" https://user:secret@example.org/agreement': "without a user name or password",
        '"Agreement" https://intranet/agreement': "does not name a web site people can open",
        '"Agreement" https://example.org:99999/agreement': "a port that is not a number",
        '"Agreement" https://example.org/agreement potato': "The kind is one of toolkit, guide, training or link.",
        '"Agreement" https://example.org/a stages: early, veteran': "`veteran` is not one of the career stages",
        "Agreement stages: early career": "Put the title in quotes",
        '"Ag" https://example.org/agreement': "a title of at least 3 characters",
        f'"{"x" * 151}" https://example.org/agreement': "keep the title to 150 characters",
    }
    for typed, expected in refused.items():
        answer = await casey.say(f"resources add {typed}")
        assert expected in answer and "Nothing was added." in answer, (typed, answer)
    assert await library(db) == before
    # In the dialog, a bad link keeps the question open.
    await casey.say("resources add Agreement template")
    answer = await casey.say("mailto:casey@demo.example")
    assert "not `mailto:`" in answer and "Paste another link, or type `cancel`." in answer
    assert "has no spaces" in await casey.say("https://example.org/my agreement")
    assert "What kind of resource is it?" in await casey.say("<https://example.org/agreement|example.org/agreement>")
    assert await library(db) == before


async def test_a_link_already_in_the_library_points_to_its_entry(chat, db):
    casey = await ready(chat, CASEY)
    before = await library(db)
    answer = await casey.say('resources add "Publishing again" HTTPS://EXAMPLE.ORG/demo/writing-for-publication/ link')
    assert "That link is already in the library as 4. Writing for publication in LIS (demo)." in answer
    assert "To change it, type `resources edit 4`. Nothing was added." in answer
    await casey.say("resources add Leading change again")
    answer = await casey.say("https://example.org/demo/leading-change")
    assert "already in the library as 3. Leading through change: training module (demo)" in answer
    assert "Paste another link" in answer
    await casey.say("resources retire 3")  # a retired entry still holds its link
    assert "already in the library as 3." in await casey.say(
        'resources add "Leading change" https://example.org/demo/leading-change'
    )
    assert [r[:3] for r in await library(db)] == [r[:3] for r in before]


async def test_people_who_do_not_coordinate_cannot_add_or_curate(engine, chat, db):
    before = await library(db)
    for email in (PAT, CORA):
        person = await ready(chat, email)
        for typed in ("resources add", ONE_LINE, "resources retire 1", "resources feature 2", "resources edit 1"):
            answer = await person.say(typed)
            assert "Only the coordinators of Coordinator network" in answer and "Nothing changed." in answer, typed
        assert "Only the coordinators" in await person.say("resources retired")
    # A click on a curating button never shown to them (forged) is refused the same way.
    forged = Inbound("console", PAT, "console", action=f"resources:do|{NETWORK}|retire|1")
    replies = await engine.handle(forged, chat(PAT).console.directory)
    assert "Only the coordinators of Coordinator network" in replies[0].text
    assert await library(db) == before


async def test_people_outside_the_network_are_told_who_the_library_is_for(engine, chat, db):
    for email in (DANA, SOKHA, "newcomer@example.org"):
        answer = await chat(email).say("resources")
        assert (
            "The resource library is for the mentors, mentees and coordinators of Coordinator network, and you are "
            "not in it yet. Type `programs` to see how to apply." in answer
        ), email
        assert "The resource library is for the mentors" in await chat(email).say("resources add")
    forged = Inbound("console", DANA, "console", action=f"resources:show|{NETWORK}|0|;")
    replies = await engine.handle(forged, chat(DANA).console.directory)
    assert "The resource library is for" in replies[0].text and "Mentoring agreement" not in replies[0].text


async def test_retire_restore_feature_and_unfeature(chat, db):
    casey, pat = await ready(chat, CASEY), await ready(chat, PAT)
    answer = await casey.say("resources retire 1")
    assert "1. Mentoring agreement template (demo) is retired." in answer
    assert shown(await pat.say("resources")) == [4, 3, 2]
    assert shown(await casey.say("resources retired")) == [1]
    assert "is already retired. Nothing changed." in await casey.say("resources retire 1")
    assert "is restored" in await casey.say("resources restore 1")
    assert "is already in the list. Nothing changed." in await casey.say("resources restore 1")
    assert "No resource of the library is retired." in await casey.say("resources retired")
    assert "now shows at the top" in await casey.say("resources feature 2")
    assert shown(await pat.say("resources")) == [2, 1, 4, 3]  # both featured: the newer first
    await casey.say("resources unfeature 1")
    assert "no longer featured" in await casey.say("resources unfeature 2")
    assert shown(await pat.say("resources")) == [4, 3, 2, 1]
    await casey.say("resources retire 4")
    assert shown(await casey.click("Undo (restore)")) == [] and (await library(db))[3][6] == "listed"
    assert "There is no resource 9 in the Coordinator network library" in await casey.say("resources feature 9")
    assert "Which one? Give the number `resources` shows" in await casey.say("resources retire")
    assert [(r[0], r[6], r[7]) for r in await library(db)] == [
        (1, "listed", False),
        (2, "listed", False),
        (3, "listed", False),
        (4, "listed", False),
    ]


async def test_edit_changes_one_thing_at_a_time(chat, db):
    casey = await ready(chat, CASEY)
    assert "What would you like to change in 2. Guide to a first year" in await casey.say("resources edit 2")
    assert labels(casey) == ["Title", "Link", "Kind", "Career stages", "Topics"]
    await casey.click("Title")
    answer = await casey.say("First year in an academic library")
    assert "2. *First year in an academic library* (guide)" in answer
    await casey.say("resources edit 2")
    answer = await casey.click("Career stages")
    assert "Chosen so far: student, early career." in answer  # starts from what it has
    await casey.click("✓ student")
    await casey.click("late career")
    assert "For: early career, late career." in await casey.click("Done")
    await casey.say("resources edit 2")
    await casey.say("link")
    assert "already in the library as 1." in await casey.say("https://example.org/demo/mentoring-agreement")
    await casey.say("https://example.org/demo/first-year")
    await casey.say("resources edit 2")
    await casey.click("Kind")
    await casey.click("toolkit")
    assert (await library(db))[1][1:7] == (
        "First year in an academic library",
        "https://example.org/demo/first-year",
        "toolkit",
        ["early career", "late career"],
        ["job search", "public services"],
        "listed",
    )


async def test_a_long_library_is_shown_ten_at_a_time(chat, db):
    async with db.transaction() as session:
        casey = await get_or_create_person(session, CASEY, "Casey Coordinator", "America/Chicago", FIXED_NOW)
        for n in range(20):
            draft = Draft(f"Toolkit {n + 5}", f"https://example.org/toolkit-{n + 5}", "toolkit", ("senior",), ())
            await resources.add(session, NETWORK, draft, casey.id, FIXED_NOW)
    pat = await ready(chat, PAT)
    first = await pat.say("resources")
    assert "24 resources, 1-10 shown here." in first
    assert shown(first)[0] == 1 and len(shown(first)) == 10
    second = await pat.click("More (14)")
    assert "11-20 shown here" in second and len(shown(second)) == 10
    third = await pat.click("More (4)")
    assert "21-24 shown here" in third and "More" not in " ".join(labels(pat))
    assert sorted(shown(first) + shown(second) + shown(third)) == list(range(1, 25))
    senior = await pat.say("resources senior")  # a filtered list pages too, and keeps its filter
    assert "22 resources, 1-10 shown here." in senior
    page = await pat.click("More (12)")
    assert "resource library: senior" in page and "11-20 shown here" in page


async def test_the_demo_library_is_seeded_once(engine, catalog, db):
    await seed_demo(db, catalog, FIXED_NOW)
    titles = [r[1] for r in await library(db)]
    assert len(titles) == 4 and all(title.endswith("(demo)") for title in titles)
    assert all(r[2].startswith("https://example.org/") for r in await library(db))
