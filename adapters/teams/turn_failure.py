"""What a Teams turn does when it ends in an exception: say so in the log (type and place, never the
message, which can quote what was typed) and apologise when the Bot Connector can still be reached.

By then the engine has usually committed the turn, so the failure is in delivering its answer; the
engine answers its own faults with an apology and never raises.
"""

import logging

from botbuilder.core import TurnContext
from msrest.exceptions import ClientRequestError, DeserializationError, HttpOperationError

from bot.engine import fault_place
from bot.i18n import N_, _, language_of_locale, speaking

log = logging.getLogger(__name__)

SORRY = N_("Sorry, something went wrong on my side. Please try again in a moment.")


async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """Never raises: an exception from here would reach aiohttp as a 500 with a traceback."""
    if isinstance(error, ClientRequestError):
        # No HTTP answer at all (refused, DNS, TLS, timeout) after msrest's retries: an apology would
        # only wait through the same retries to fail the same way.
        log.warning("teams answer not delivered: connector unreachable error=%s", type(error).__name__)
        return
    # The connector answered with an error status, or with a body that is no JSON (a proxy's error page).
    if isinstance(error, HttpOperationError | DeserializationError):
        log.warning("teams answer not delivered error=%s status=%s", type(error).__name__, _status(error))
    else:
        log.error("teams turn failed error=%s at %s", type(error).__name__, fault_place(error))
    try:
        with speaking(language_of_locale(getattr(turn_context.activity, "locale", None))):  # their Teams client's
            sorry = _(SORRY)
        await turn_context.send_activity(sorry)
    except Exception as apology_error:
        log.warning("teams apology not delivered error=%s", type(apology_error).__name__)


def _status(error: Exception) -> int | str:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None) or getattr(response, "status", None) or "unknown"
