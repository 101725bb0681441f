"""Confirmed items shared between FakeWatch instances as a signed, versioned feed."""
