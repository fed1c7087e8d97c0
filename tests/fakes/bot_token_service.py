"""A fake of the Bot Framework's token service on 127.0.0.1: the OpenID metadata and signing keys (JWKS)
botbuilder fetches to check the bearer token of each request to /api/messages, and tokens signed with
its key, as the Bot Framework service would send them, or forged.

botbuilder fetches the keys with `requests`, synchronously, on the event loop's thread: this fake runs in
a thread of its own, or that call would wait for a server the blocked loop could never run.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from botframework.connector.auth import AuthenticationConstants, ChannelValidation
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CHANNEL_ISSUER = "https://api.botframework.com"  # who issues the tokens Teams' requests carry
KEY_ID = "fake-signing-key"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeBotTokenService:
    def __init__(self) -> None:
        self.key = new_key()
        self._server: ThreadingHTTPServer | None = None
        self.metadata_url = ""
        # botbuilder caches keys by the metadata URL for the whole process: a later fake on the same port
        # must not be served this one's key.
        self.prefix = f"/{uuid.uuid4().hex}"

    def start(self) -> str:
        """Serve the metadata and keys; the metadata document's URL (botbuilder's open_id_metadata_endpoint)."""
        jwk = {**json.loads(RSAAlgorithm.to_jwk(self.key.public_key())), "kid": KEY_ID, "endorsements": ["msteams"]}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents = {
                    f"{service.prefix}/v1/.well-known/openidconfiguration": {
                        "issuer": CHANNEL_ISSUER,
                        "jwks_uri": f"{service.base_url}{service.prefix}/v1/.well-known/keys",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    },
                    f"{service.prefix}/v1/.well-known/keys": {"keys": [jwk]},
                }
                document = documents.get(self.path)
                body = json.dumps(document).encode()
                self.send_response(200 if document is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the test reads its own log
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.metadata_url = f"{self.base_url}{self.prefix}/v1/.well-known/openidconfiguration"
        return self.metadata_url

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def token(
        self,
        app_id: str,
        service_url: str,
        *,
        key: rsa.RSAPrivateKey | None = None,
        expires_in: float = 3600,
        headers: dict[str, Any] | None = None,
        **changes: Any,
    ) -> str:
        """A token as the Bot Framework service signs it for `app_id`, for a request whose activity has
        `service_url`; `key`, `expires_in`, `headers` and `changes` alter it (another key, expired, ...)."""
        return self.sign(claims(app_id, service_url, expires_in=expires_in, **changes), key, headers)

    def sign(
        self, payload: dict[str, Any], key: rsa.RSAPrivateKey | None = None, headers: dict[str, Any] | None = None
    ) -> str:
        """`payload` signed RS256 with this service's key (or `key`), its key id in the header."""
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": KEY_ID, **(headers or {})})


def claims(app_id: str, service_url: str, *, expires_in: float = 3600, **changes: Any) -> dict[str, Any]:
    """The claims of a token the Bot Framework service sends with a request to the bot `app_id`."""
    now = int(time.time())
    return {
        "iss": CHANNEL_ISSUER,
        "aud": app_id,
        "serviceurl": service_url,
        "nbf": now - 60,
        "iat": now - 60,
        "exp": int(now + expires_in),
        **changes,
    }


def point_botbuilder_at(monkeypatch: pytest.MonkeyPatch, metadata_url: str) -> None:
    """botbuilder reads Microsoft's OpenID metadata (and so the signing keys) from `metadata_url` instead."""
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", metadata_url)
    monkeypatch.setattr(AuthenticationConstants, "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL", metadata_url)
