"""Alerts when a case is confirmed: polled (``GET /v1/alerts``), pushed to signed webhooks,
and retroactive for clients that asked to hear about an item they checked."""
