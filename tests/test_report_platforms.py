"""Surveys and reports through the real server: a participant answers on Slack and another on Teams; a
coordinator reads the report with its chart uploaded to Slack and inline on Teams, reads the survey's
results and downloads the anonymous answers as CSV from the link, which stops working after 30 minutes."""

import asyncio
import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from adapters.console import ConsoleChat
from storage.models import Cohort
from tests.conftest import FIXED_NOW
from tests.crowd import add_crowd
from tests.server import RunningServer, running_server
from tests.test_relay_platforms import slack_api, teams_api  # noqa: F401 (fixtures)
from tests.test_selection_platforms import SlackUser, TeamsUser, slack_buttons
from tests.test_slack import slack_env

CASEY_SLACK, PAT_SLACK = "U07CASEY001", "U07PAT00001"
CASEY_TEAMS, DANA_TEAMS = "29:1casey-teams-aad", "29:1dana-teams-aad"
FINAL = "Final evaluation of the coaching program (for NNLM and AAHSL)"
PNG = b"\x89PNG\r\n\x1a\n"


async def click_starting(user: SlackUser, prefix: str) -> str:
    """A click on the Slack button whose label starts with `prefix` (Slack cuts labels at 75 characters)."""
    buttons = slack_buttons(user.shown)
    label = next((label for label in buttons if label.startswith(prefix)), None)
    assert label is not None, f"no button starting {prefix!r} in {list(buttons)}"
    return await user.click_button(buttons[label], ephemeral=user.shown_ephemeral)


async def uploaded(fake, count: int = 1, within: float = 10.0):  # type: ignore[no-untyped-def]
    """The fake Slack's shared files, once `count` have arrived (the upload runs after Slack's answer)."""
    for _ in range(int(within / 0.05)):
        if len(fake.uploads) >= count:
            return fake.uploads
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(fake.uploads)} of {count} uploads arrived")


async def test_a_coordinator_reads_the_report_with_its_chart_on_slack_and_teams(database_url, slack_api, teams_api):  # noqa: F811
    slack_api.add_user(CASEY_SLACK, "coordinator@demo.example", "Casey Coordinator", "America/Chicago")
    teams_api.add_member(CASEY_TEAMS, "coordinator@demo.example", "Casey Coordinator")
    async with running_server(database_url, slack_env(slack_api), open_survey=True) as server:
        casey = SlackUser(server, slack_api, CASEY_SLACK)
        assert "Which cohort?" in await casey.command("report")
        shown = await casey.click("AAHSL Demo 2026-27")
        assert "Report: AAHSL Demo 2026-27" in shown
        assert "Pairs:* 1 active, 0 ended; 1 participant without a coach" in shown
        assert "0 of 4 answered (0%)" in shown and "chart" in shown.lower()
        [upload] = await uploaded(slack_api)
        assert upload.channel_id == casey.channel and upload.filename.endswith(".png")
        assert upload.data.startswith(PNG) and Image.open(io.BytesIO(upload.data)).size[0] >= 400
        assert "one-to-one sessions" in upload.title
        # The same on Teams: the chart travels inline with the answer.
        casey_teams = TeamsUser(server, teams_api, CASEY_TEAMS, "Casey Coordinator", "America/Chicago")
        await casey_teams.say("report")
        shown = await casey_teams.click("AAHSL Demo 2026-27")
        assert "Report: AAHSL Demo 2026-27" in shown
        images = [image for sent in teams_api.sent for image in sent.images]
        assert len(images) == 1 and images[0][1].startswith(PNG)
        assert Image.open(io.BytesIO(images[0][1])).size == Image.open(io.BytesIO(upload.data)).size


async def test_a_participant_is_refused_the_report(database_url, slack_api, teams_api):  # noqa: F811
    slack_api.add_user(PAT_SLACK, "participant@demo.example", "Pat Participant", "America/Los_Angeles")
    async with running_server(database_url, slack_env(slack_api), open_survey=True) as server:
        shown = await SlackUser(server, slack_api, PAT_SLACK).command("report")
        assert "Report:" not in shown and "coordinator" in shown.lower()
        assert slack_api.uploads == []


async def answer_on_console(server: RunningServer, email: str, overall: str) -> None:
    person = ConsoleChat(server.engine, email, write=lambda _text: None)
    for typed in ("survey", overall, "4", "3", "Yes", "skip"):
        if typed == "survey":
            await person.say(typed)
            labels = [b.label for b in person.buttons]
            if FINAL in labels:
                await person.say(str(labels.index(FINAL) + 1))
            continue
        await person.say(typed)


async def test_answers_on_slack_and_teams_then_results_and_the_csv(database_url, slack_api, teams_api):  # noqa: F811
    slack_api.add_user(CASEY_SLACK, "coordinator@demo.example", "Casey Coordinator", "America/Chicago")
    slack_api.add_user(PAT_SLACK, "participant@demo.example", "Pat Participant", "America/Los_Angeles")
    teams_api.add_member(DANA_TEAMS, "participant2@demo.example", "Dana Participant")
    async with running_server(database_url, slack_env(slack_api), open_survey=True) as server:
        pat = SlackUser(server, slack_api, PAT_SLACK)
        shown = await pat.command("survey")
        if "question 1 of 5" not in shown:
            shown = await click_starting(pat, FINAL[:60])
        assert "question 1 of 5" in shown
        assert "question 2 of 5" in await pat.click("4")
        dana = TeamsUser(server, teams_api, DANA_TEAMS, "Dana Participant", "America/Denver")
        shown = await dana.say("survey")
        if "question 1 of 5" not in shown:
            shown = await dana.click(FINAL)
        assert "question 2 of 5" in await dana.click("5")
        async with server.db.transaction() as session:
            cohorts = (await session.execute(select(Cohort))).scalars()
            aahsl = next(c for c in cohorts if c.program_id == "aahsl-coaching-pilot")
        await add_crowd(server.db, aahsl.id, 4, FIXED_NOW)
        for n in range(1, 5):
            await answer_on_console(server, f"crowd{n}@example.org", str(n))
        casey = SlackUser(server, slack_api, CASEY_SLACK)
        shown = await casey.command("report survey")
        if "Which survey?" in shown:
            shown = await click_starting(casey, FINAL[:60])
        assert "4 of 8 people answered (50%), 2 part way" in shown
        assert "average 3.2 of 5 from 6 answers (1: 1, 2: 1, 3: 1, 4: 2, 5: 1)" in shown
        assert "One thing about the program's organisation" in shown and "coaching topics.* — hidden" in shown
        assert "0 of the 5" not in shown
        shown = await casey.click("Download the answers (CSV)")
        link = re.search(r"http://\S+/exports/(\S+)\.csv", shown)
        assert link is not None
        url = f"{server.url}/exports/{link.group(1)}.csv"
        async with server.http.get(url) as response:
            assert response.status == 200 and response.content_type == "text/csv"
            lines = (await response.text()).splitlines()
        assert lines[0] == "cohort,survey,question_id,question,role,answer"
        assert [line.rsplit(",", 1)[1] for line in lines if ",overall," in line] == ["1", "2", "3", "4", "4", "5"]
        assert not any(",format_improvement," in line for line in lines)  # nobody wrote: hidden, left out
        async with server.http.get(f"{server.url}/exports/not-a-token.csv") as response:
            assert response.status == 404
        server.engine.clock = lambda: FIXED_NOW + timedelta(minutes=31)
        async with server.http.get(url) as response:
            assert response.status == 404 and "expired" in await response.text()
