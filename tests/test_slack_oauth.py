""" "Add to Slack" end to end, on both databases: the real server with SLACK_CLIENT_ID, SLACK_CLIENT_SECRET
and SLACK_TOKEN_KEY, bolt's real OAuth flow and authorize step, and a fake Slack (oauth.v2.access for two
workspaces, each bot token answering for its own workspace) on 127.0.0.1 that records the token of every
call. Installations and states live in our own database, the tokens encrypted.
"""

import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text, update

from bot import outbox
from bot.config import ConfigError, load_settings
from bot.messages import Reply
from server import SLACK_SENDER
from storage.models import OutboxMessage, Person, SlackInstaller, SlackOAuthState, SlackWorkspace
from tests.fakes.slack_api import SIGNING_SECRET, FakeSlackApi
from tests.server import RunningServer, running_server
from tests.test_selection_platforms import eventually
from tests.test_slack import SLASH, load_payload, post

CLIENT_ID, CLIENT_SECRET = "5835290082337.6153920478211", "9e1f0c4b7a2d83e6f5a9c1b0d7e4a632"
TOKEN_KEY = Fernet.generate_key().decode()
PUBLIC_URL = "https://coaching.example.org"
ALPHA, BRAVO = "T05QJ8K2M9A", "T07BRAVO2XY"  # two workspaces
PAT, CORY = "U05QK1B7XJP", "U07CORY4KQ2"  # participant@demo.example in Alpha, coach@demo.example in Bravo
COOKIE = "slack-app-oauth-state"
MANIFEST = Path(__file__).resolve().parent.parent / "manifests" / "slack" / "manifest.json"


def oauth_env(fake: FakeSlackApi) -> dict[str, str]:
    return {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_TOKEN_KEY": TOKEN_KEY,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.base_url,
        "PUBLIC_URL": PUBLIC_URL,
    }


@pytest.fixture
async def fake():  # type: ignore[no-untyped-def]
    api = FakeSlackApi()
    await api.start()
    api.client_credentials = (CLIENT_ID, CLIENT_SECRET)
    api.add_user(PAT, "participant@demo.example", "Pat Participant", "America/Los_Angeles", team_id=ALPHA)
    api.add_user(CORY, "coach@demo.example", "Cory Coach", "Asia/Phnom_Penh", team_id=BRAVO)
    yield api
    await api.stop()


@pytest.fixture
async def server(database_url: str, fake: FakeSlackApi):  # type: ignore[no-untyped-def]
    async with running_server(database_url, oauth_env(fake)) as running:
        yield running


async def start_install(server: RunningServer) -> tuple[str, str]:
    """GET /slack/install: the authorize URL behind its "Add to Slack" button, and the state cookie."""
    async with server.http.get(server.url + "/slack/install") as response:
        assert response.status == 200
        page = await response.text()
        cookie = response.headers["Set-Cookie"]
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page)
    assert link, page
    state = re.match(rf"{COOKIE}=([^;]+);", cookie)
    assert state, cookie
    return html.unescape(link.group(1)), state.group(1)


async def come_back(server: RunningServer, query: dict[str, str], state_cookie: str | None) -> tuple[int, str]:
    """The installer's browser back at GET /slack/oauth_redirect; the page's status and text."""
    headers = {"Cookie": f"{COOKIE}={state_cookie}"} if state_cookie else {}
    url = f"{server.url}/slack/oauth_redirect?{urlencode(query)}"
    async with server.http.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text()


async def install(server: RunningServer, fake: FakeSlackApi, team: str, name: str, **extra: Any) -> str:
    """A whole "Add to Slack" for workspace `team`; its bot token."""
    bot_token = fake.add_installation(f"code-{team}", team, name, installer=f"U{team[1:]}ADM", **extra)
    authorize_url, state = await start_install(server)
    assert parse_qs(urlsplit(authorize_url).query)["state"] == [state]
    status, page = await come_back(server, {"code": f"code-{team}", "state": state}, state)
    assert status == 200 and "Thank you!" in page, page
    return bot_token


async def slash_from(server: RunningServer, fake: FakeSlackApi, team: str, user: str, words: str) -> dict[str, Any]:
    fields = {"team_id": team, "user_id": user, "channel_id": "D" + user[1:], "text": words}
    status, answer = await post(server, urlencode({**SLASH, **fields, "response_url": fake.response_url}))
    assert status == 200, answer
    return json.loads(answer) if answer else {}


def tokens_of(fake: FakeSlackApi, method: str, since: int = 0) -> list[str | None]:
    return [call.token for call in fake.calls[since:] if call.method == method]


async def count(server: RunningServer, table: type) -> int:
    async with server.db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def raw_rows(server: RunningServer) -> str:
    """Every value of the installation tables as the database holds it, in one string."""
    async with server.db.transaction() as session:
        found = []
        for table in ("slack_workspaces", "slack_installers"):
            found += [repr(tuple(row)) for row in await session.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(found)


async def queue_for(server: RunningServer, email: str, words: str) -> int:
    async with server.db.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == email))).scalar_one()
        outbox.queue(session, person.id, Reply(words), kind="announcement", now=server.engine.clock())
        await session.flush()
        return (await session.execute(select(func.max(OutboxMessage.id)))).scalar_one()


async def settled(server: RunningServer, message_id: int) -> OutboxMessage | None:
    async with server.db.transaction() as session:
        message = await session.get_one(OutboxMessage, message_id)
    return message if message.status in ("sent", "failed") else None


async def test_two_workspaces_install_and_each_is_answered_and_written_to_with_its_own_token(server, fake):
    alpha = await install(server, fake, ALPHA, "Library Coaching")
    bravo = await install(server, fake, BRAVO, "Bravo Libraries", user_token=True)
    assert await count(server, SlackWorkspace) == 2 and await count(server, SlackInstaller) == 2
    # oauth.v2.access was called with the app's credentials and the redirect URL Slack saw
    exchanges = fake.calls_to("oauth.v2.access")
    assert [call.args["redirect_uri"] for call in exchanges] == [f"{PUBLIC_URL}/slack/oauth_redirect"] * 2

    # No token in clear in the rows: neither the bot tokens, nor Bravo's installer's user token
    stored = await raw_rows(server)
    assert ALPHA in stored and BRAVO in stored
    for secret in (alpha, bravo, f"xoxp-{BRAVO}-U{BRAVO[1:]}ADM", "xoxb-", "xoxp-"):
        assert secret not in stored
    if server.db.is_sqlite:  # the file itself, and its write-ahead log
        path = Path(str(server.db.url.database))
        on_disk = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert ALPHA.encode() in on_disk and b"xoxb-" not in on_disk and b"xoxp-" not in on_disk

    # A slash command from each workspace: bolt authorizes it with that workspace's token, and the profile
    # look-up and the answer use it too
    before = len(fake.calls)
    pat = await slash_from(server, fake, ALPHA, PAT, "me")
    assert "participant@demo.example" in pat["text"]
    assert set(tokens_of(fake, "users.info", before)) == {alpha}
    assert set(tokens_of(fake, "auth.test", before)) == {alpha}
    before = len(fake.calls)
    cory = await slash_from(server, fake, BRAVO, CORY, "me")
    assert "coach@demo.example" in cory["text"]
    assert set(tokens_of(fake, "users.info", before)) == {bravo}

    # The outbox writes to each person with their own workspace's bot
    before = len(fake.calls)
    for_pat = await queue_for(server, "participant@demo.example", "News for the Alpha cohort")
    for_cory = await queue_for(server, "coach@demo.example", "News for the Bravo coaches")
    assert (await eventually(lambda: settled(server, for_pat), "Pat's message")).status == "sent"
    assert (await eventually(lambda: settled(server, for_cory), "Cory's message")).status == "sent"
    posts = {call.args["text"]: call.token for call in fake.calls[before:] if call.method == "chat.postMessage"}
    assert posts == {"News for the Alpha cohort": alpha, "News for the Bravo coaches": bravo}


async def test_people_who_never_wrote_are_looked_up_in_each_workspace_in_turn(server, fake):
    alpha = await install(server, fake, ALPHA, "Library Coaching")
    bravo = await install(server, fake, BRAVO, "Bravo Libraries")
    sender = server.web_app[SLACK_SENDER]
    before = len(fake.calls)
    assert await sender.find_by_email("coach@demo.example") == (f"{BRAVO}:{CORY}", "Asia/Phnom_Penh")
    assert tokens_of(fake, "users.lookupByEmail", before) == [alpha, bravo]  # Alpha first: installed first
    with pytest.raises(outbox.DeliveryError) as unknown:
        await sender.find_by_email("nobody@demo.example")
    assert (unknown.value.reason, unknown.value.permanent) == ("users_not_found", True)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("forged", "has expired or has already been used"),
        ("reused", "has expired or has already been used"),
        ("expired", "has expired or has already been used"),
        ("other browser", "must be opened in the browser that started the installation"),
        ("cancelled", "the installation was cancelled in Slack"),
    ],
)
async def test_a_redirect_without_a_good_state_is_refused_in_words_and_stores_nothing(server, fake, how, reason):
    await install(server, fake, ALPHA, "Library Coaching")  # a state used once already
    fake.add_installation("code-bravo", BRAVO, "Bravo Libraries", installer="U07ADMIN")
    _, state = await start_install(server)
    query, cookie = {"code": "code-bravo", "state": state}, state
    if how == "forged":
        query["state"] = cookie = "c2xhY2stYXBwLW9hdXRoLXN0YXRlLWZvcmdlZA"
    elif how == "reused":
        _, used = await start_install(server)
        assert (await come_back(server, {"code": "code-nothing", "state": used}, used))[0] == 401  # used once
        query["state"] = cookie = used
    elif how == "expired":
        async with server.db.transaction() as session:
            past = datetime.now(UTC) - timedelta(seconds=1)
            await session.execute(update(SlackOAuthState).where(SlackOAuthState.state == state).values(expires_at=past))
    elif how == "other browser":
        cookie = None
    else:
        query = {"error": "access_denied", "state": state}
    exchanges = len(fake.calls_to("oauth.v2.access"))
    status, page = await come_back(server, query, cookie)
    assert status in (200, 400, 401) and "The app was not added to Slack" in page
    assert reason in html.unescape(page) and 'href="/slack/install"' in page
    assert len(fake.calls_to("oauth.v2.access")) == exchanges  # Slack was never asked for a token
    async with server.db.transaction() as session:
        teams = (await session.execute(select(SlackWorkspace.team_id))).scalars().all()
    assert teams == [ALPHA]


async def test_uninstalling_forgets_the_workspace_and_its_messages_fail_for_good(server, fake):
    await install(server, fake, ALPHA, "Library Coaching")
    bravo = await install(server, fake, BRAVO, "Bravo Libraries")
    await slash_from(server, fake, ALPHA, PAT, "me")  # each has an account in their workspace
    await slash_from(server, fake, BRAVO, CORY, "me")

    status, _ = await post(server, load_payload("app_uninstalled.json"))  # from Alpha
    assert status == 200
    async with server.db.transaction() as session:
        left = (await session.execute(select(SlackWorkspace.team_id))).scalars().all()
        installers = (await session.execute(select(SlackInstaller.workspace))).scalars().all()
    assert left == [BRAVO] and installers == [f"-:{BRAVO}"]

    for_pat = await queue_for(server, "participant@demo.example", "News Alpha can no longer get")
    for_cory = await queue_for(server, "coach@demo.example", "News Bravo still gets")
    failed = await eventually(lambda: settled(server, for_pat), "Pat's message to fail")
    assert (failed.status, failed.error) == ("failed", "app_not_installed")
    assert (await eventually(lambda: settled(server, for_cory), "Cory's message")).status == "sent"
    posted = [call for call in fake.calls_to("chat.postMessage") if "News" in str(call.args.get("text"))]
    assert [(call.args["text"], call.token) for call in posted] == [("News Bravo still gets", bravo)]

    # A command from the uninstalled workspace is not answered with anyone's token
    before = len(fake.calls)
    await slash_from(server, fake, ALPHA, PAT, "me")
    assert tokens_of(fake, "users.info", before) == [] and tokens_of(fake, "auth.test", before) == []


async def test_revoked_tokens_are_removed(server, fake):
    await install(server, fake, ALPHA, "Library Coaching", user_token=True)
    revoked = load_payload("tokens_revoked.json")
    revoked["event"]["tokens"] = {"oauth": [f"U{ALPHA[1:]}ADM"]}  # the installer's user token only
    assert (await post(server, revoked))[0] == 200
    assert await count(server, SlackInstaller) == 0 and await count(server, SlackWorkspace) == 1
    revoked = load_payload("tokens_revoked.json")
    revoked["event"]["tokens"] = {"bot": ["UBOT9A"]}
    revoked["event_id"] = "Ev06AB3REVOK"
    assert (await post(server, revoked))[0] == 200
    assert await count(server, SlackWorkspace) == 0


async def test_a_misshapen_revocation_is_refused_and_changes_nothing(server, fake):
    await install(server, fake, ALPHA, "Library Coaching")
    revoked = load_payload("tokens_revoked.json")
    revoked["event"]["tokens"] = {"bot": "UBOT9A"}
    status, reason = await post(server, revoked)
    assert (status, reason) == (400, "`event.tokens.bot` must be a list of Slack ids")
    assert await count(server, SlackWorkspace) == 1


BASE = {"PROGRAMS_DIR": "programs", "SLACK_SIGNING_SECRET": "s"}
FULL = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_TOKEN_KEY": TOKEN_KEY}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_CLIENT_ID": CLIENT_ID}, "SLACK_CLIENT_SECRET and SLACK_TOKEN_KEY are not set"),
        ({"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "x"}, "SLACK_TOKEN_KEY is not set"),
        ({"SLACK_TOKEN_KEY": TOKEN_KEY}, "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not set"),
        ({**FULL, "SLACK_TOKEN_KEY": "not-a-key"}, "SLACK_TOKEN_KEY must be a Fernet key"),
        ({**FULL, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set"),
        ({**FULL, "SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
    ],
)
def test_half_an_add_to_slack_configuration_is_refused_at_start(env, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_settings({**BASE, **env})


def test_a_full_configuration_redirects_to_the_public_url_and_takes_several_keys():
    older = Fernet.generate_key().decode()
    settings = load_settings({**BASE, **FULL, "SLACK_TOKEN_KEY": f"{TOKEN_KEY}, {older}", "PUBLIC_URL": PUBLIC_URL})
    assert settings.slack is not None and settings.slack.bot_token is None and settings.slack.oauth is not None
    assert settings.slack.oauth.token_keys == (TOKEN_KEY, older)
    assert settings.slack.oauth.redirect_uri == f"{PUBLIC_URL}/slack/oauth_redirect"


def test_the_manifest_lists_the_scopes_the_install_asks_for_its_redirect_and_the_revocation_events():
    from adapters.slack.oauth import BOT_SCOPES

    manifest = json.loads(MANIFEST.read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert manifest["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
