"""SQLite through one door: migrations, one writer thread, a pool of readers (``database``),
and every SQL statement in ``queries``."""
