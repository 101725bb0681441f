"""Blocklist feeds: read a source, parse its format, import it as the list ``feed:NAME``.

The CLI (``fakewatch feeds import``) calls, in order::

    data = fetch.read_source(source, max_bytes=settings.feed_max_bytes,
                             timeout_s=settings.feed_timeout_s)
    summary = importer.import_feed(db, data, name=..., fmt=..., source=source, action=...,
                                   parser=resources.parser,
                                   popular=frozenset(resources.top_sites))
    print(summary.describe())

and catches ``errors.FeedError``, whose message is safe to print. ``formats.FORMATS`` lists
every ``--format`` with a line of help.
"""
