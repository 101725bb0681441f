"""The numbers the handlers keep to: links and text sent per message, checks waiting, rate
limits, retroactive alerts, media turns, and how long the bot trusts its rights in a group.

One table, apart from the code that applies each number, so a limit is read beside the ones
it is weighed against (a check's links against the server's own caps, a group's budget
against one member's).
"""

#: Links per message sent to the server, in one request: the server's default
#: ``max_urls_per_request``. More than that are never dropped silently: the reply (and the
#: group guard) says how many were not checked.
MAX_LINKS = 100
#: Longest link sent (the server's default ``max_url_length``); a longer one is sent as its
#: site, ``scheme://host/`` (the lists, look-alike and domain checks judge the host), instead
#: of making the server refuse the whole batch; only one with no such site (not http(s), or
#: no host) is counted as not checked.
MAX_URL_LENGTH = 4096
#: Text sent to the text check: the server's ``max_text_chars`` (``BotConfig.max_text_chars``
#: reads the same setting). A longer message is sent as its first and last halves, and the
#: answer says so. A /report's text is cut at what the reports endpoint takes (REPORT_TEXT).
MAX_TEXT = 10_000
#: Checks one person may have waiting behind the running one (a multi-select forward sends
#: each message as its own update); past that they are told, once, to send the rest again.
CHECKS_WAITING = 5
#: An unanswered /report ends after this long (the next message is checked again).
REPORT_TIMEOUT_S = 600.0
#: Private checks per person per minute, and guard checks per group per minute.
USER_CHECKS_PER_MINUTE = 20
GROUP_CHECKS_PER_MINUTE = 60
#: Guard checks per member of a group per minute: one member posting (or editing) links
#: non-stop spends their own budget, not the checks the rest of the group relies on.
GROUP_CHECKS_PER_SENDER = 10
BUTTON_PRESSES_PER_MINUTE = 10
#: Retroactive alerts: links watched per checked message, live watches per chat (the bot's key
#: shares the server's ``alert_subscriptions_per_key`` among all chats), how long one is
#: assumed to live until the server's answer gives its ``expires_at`` (an older server that
#: does not say: its default ``alert_subscription_days``), and how long a full key pauses asking.
WATCHES_PER_MESSAGE = 3
WATCHES_PER_CHAT = 10
WATCH_DAYS_UNSAID = 30
WATCH_PAUSE_S = 3600.0
#: Media downloaded and checked at once (bot-wide), how many more may wait for a turn (each
#: waiting one may hold one of PTB's update slots; past that the person is told to send it again),
#: and guard checks in flight per group member.
MEDIA_AT_ONCE = 2
MEDIA_WAITING = 4
GUARD_IN_FLIGHT_PER_SENDER = 2
#: How long the bot trusts what it learned about its own rights in a group.
ADMIN_CACHE_S = 600.0
