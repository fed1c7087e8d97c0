"""The baseline for bench/slack_help.py: an aiohttp server that only verifies the Slack signature.

POST /slack/events: 401 when the signature is wrong, else a small ephemeral JSON message.
Listens on 127.0.0.1:PORT; SLACK_SIGNING_SECRET is the secret. Stops on SIGTERM or SIGINT.
"""

import os

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

ANSWER = {"response_type": "ephemeral", "text": "What I can do for you: `help`"}


def build_app(signing_secret: str) -> web.Application:
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        # slack_sdk raises ValueError on a missing or non-numeric timestamp: that is a bad signature too.
        if not timestamp.isdigit() or not verifier.is_valid(body, timestamp, signature):
            return web.Response(status=401)
        return web.json_response(ANSWER)

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return app


def main() -> None:
    app = build_app(os.environ["SLACK_SIGNING_SECRET"])
    web.run_app(app, host="127.0.0.1", port=int(os.environ["PORT"]), access_log=None, print=None)


if __name__ == "__main__":
    main()
