"""Progress through the real server: a partner on Slack reads their pair's progress in `status`, and a
coordinator on Teams reads the report with the pairs behind pace (the clock moved on into February, when
a SIG-ALICE pair that has booked nothing is behind the two sessions then due)."""

from sqlalchemy import select

from storage.models import Cohort, Pair, Person
from tests.conftest import FIXED_NOW
from tests.server import running_server
from tests.test_progress import answered, coaching_session
from tests.test_relay_platforms import slack_api, teams_api  # noqa: F401 (fixtures)
from tests.test_selection_platforms import SlackUser, TeamsUser
from tests.test_slack import slack_env
from tests.year import utc

SOKHA_SLACK, CASEY_TEAMS = "U07SOKHA001", "29:1casey-teams-aad"


async def sig_alice_pair(db, email: str) -> Pair:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        query = (
            select(Pair)
            .join(Cohort, Cohort.id == Pair.cohort_id)
            .join(Person, Person.id == Pair.guided_id)
            .where(Cohort.program_id == "iatul-sig-alice", Cohort.name == "Demo 2026-27", Person.email == email)
        )
        return (await session.execute(query)).scalar_one()


async def test_status_on_slack_shows_the_pairs_progress(database_url, slack_api, teams_api):  # noqa: F811
    slack_api.add_user(SOKHA_SLACK, "partner@demo.example", "Sokha Partner", "Asia/Phnom_Penh")
    async with running_server(database_url, slack_env(slack_api)) as server:
        pair = await sig_alice_pair(server.db, "partner@demo.example")
        async with server.db.transaction() as session:
            session.add(coaching_session(pair, utc(2026, 10, 5, 13), 60, "held"))
            session.add(answered(pair, pair.guided_id, FIXED_NOW.date().replace(day=1), sessions=2))
            session.add(coaching_session(pair, utc(2026, 12, 7, 13), 60))
        shown = await SlackUser(server, slack_api, SOKHA_SLACK).command("status")
        assert "your coach is Cora Coach; 2 sessions held, 1 booked (the program asks for at least 6)" in shown


async def test_the_report_on_teams_shows_the_pairs_behind_pace(database_url, slack_api, teams_api):  # noqa: F811
    teams_api.add_member(CASEY_TEAMS, "coordinator@demo.example", "Casey Coordinator")
    async with running_server(database_url, slack_env(slack_api)) as server:
        on_pace = await sig_alice_pair(server.db, "partner@demo.example")
        async with server.db.transaction() as session:
            session.add_all(coaching_session(on_pace, utc(2026, 10, 5 + 7 * n, 13), 60, "held") for n in range(2))
        server.engine.clock = lambda: utc(2027, 2, 1, 15)  # 130 days of 365: two sessions due by now
        casey = TeamsUser(server, teams_api, CASEY_TEAMS, "Casey Coordinator", "America/Chicago")
        await casey.say("report")
        shown = await casey.click("SIG-ALICE Demo 2026-27")
        assert "Report: SIG-ALICE Demo 2026-27" in shown
        assert "0 of 2 pairs at or above the minimum of 6 sessions (held or reported); 1 behind pace" in shown
