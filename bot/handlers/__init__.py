"""What the bot does with each update. Handlers log ids and error types, never content.

One small module per kind of update, and a few they share; ``routes.install`` registers them:

- ``limits``: the numbers the handlers keep to (links and text per message, checks waiting,
  rate limits, retroactive alerts, media turns).
- ``services``: ``Services``, everything handlers reach, with its parts (``ModCards``,
  ``MediaSlots``), and which language a person or a group reads.
- ``notice``: ``Notice``, something to tell the person instead of a verdict.
- ``parts``: what a message holds (links, text, media), cut to what the server takes.
- ``checks``: asking the server about a message's parts; which failure to tell.
- ``private``: checks in a private chat, one at a time per person, and /check.
- ``watches``: retroactive alerts for links not (yet) known as scams.
- ``verdict_buttons``: "Why?" and "Report" under a verdict.
- ``reports``: sending one report (a link, text, or a picture or video) to the server.
- ``report_flow``: the /report conversation: what, where, category, consent.
- ``commands``: /start /help /privacy /lang /subscribe /unsubscribe /link /unlink.
- ``admins``: who may change a group's settings; whether the bot is an admin there.
- ``guard``: the group guard on links and media posted in groups, and /guard.
- ``moderators``: new-case cards' buttons for moderators.
- ``errors``: the one error handler, and the one error line for a key the server refuses.
- ``routes``: ``install``, which registers all of the above on the Application.

``limits``, ``notice``, ``parts`` and ``services`` are the floor: they import only one
another, never a handler. Nothing but this file imports ``routes``. Only what is used outside the package is re-exported here.
"""

from bot.handlers.errors import log_key_refused
from bot.handlers.limits import (
    CHECKS_WAITING,
    MEDIA_AT_ONCE,
    MEDIA_WAITING,
    WATCHES_PER_CHAT,
    WATCHES_PER_MESSAGE,
)
from bot.handlers.moderators import case_buttons
from bot.handlers.parts import _bare_links
from bot.handlers.report_flow import CATEGORIES
from bot.handlers.routes import install
from bot.handlers.services import Services

__all__ = [
    "CATEGORIES",
    "CHECKS_WAITING",
    "MEDIA_AT_ONCE",
    "MEDIA_WAITING",
    "WATCHES_PER_CHAT",
    "WATCHES_PER_MESSAGE",
    "Services",
    "_bare_links",
    "case_buttons",
    "install",
    "log_key_refused",
]
