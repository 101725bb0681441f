"""The HTTP API: ``create_app(settings)`` builds the aiohttp application."""
