"""``python -m server`` is the ``fakewatch`` command."""

from server.cli import main

raise SystemExit(main())
