"""FakeWatch server: the one brain that scores links, media and messages and explains why."""

__version__ = "0.1.0"
