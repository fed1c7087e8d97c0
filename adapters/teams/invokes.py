"""Invoke activities by name: Teams asks for an answer in the HTTP response (a card's Action.Execute, a
dialog's fetch and submit, a file's consent). Each kind is answered by its own module, registered here;
a name nobody registered gets a plain 400."""

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from bot.engine import Engine

# One handler per invoke name: it reads the activity, runs the engine if it must, and returns the body.
InvokeHandler = Callable[[TurnContext, Engine], Awaitable[InvokeResponse]]


def answer(body: Any = None, status: HTTPStatus = HTTPStatus.OK) -> InvokeResponse:
    return InvokeResponse(status=int(status), body=body)


REFUSED = answer(status=HTTPStatus.BAD_REQUEST)


class Invokes:
    def __init__(self) -> None:
        self._handlers: dict[str, InvokeHandler] = {}

    def add(self, name: str, handler: InvokeHandler) -> None:
        if name in self._handlers:
            raise ValueError(f"two handlers claim the invoke {name!r}")
        self._handlers[name] = handler

    async def answer(self, turn_context: TurnContext, engine: Engine) -> InvokeResponse:
        handler = self._handlers.get(str(turn_context.activity.name or ""))
        if handler is None:
            return REFUSED
        return await handler(turn_context, engine)
