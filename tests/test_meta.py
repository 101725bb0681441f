"""What the server says about itself, and how it refuses a setting it cannot read."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, load_settings
from tests.support.server import RunningServer


def test_healthz_lists_the_detectors_of_every_kind(server: RunningServer) -> None:
    health = server.request("GET", "/healthz", key=None).json()
    assert health["ok"] is True
    # Links, text and media: an operator checking a deployment sees all of them.
    assert {"lists", "lookalike", "scam_text", "text_patterns", "known_fakes"} <= set(
        health["detectors"]
    )


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("FAKEWATCH_PORT", "abc", "FAKEWATCH_PORT='abc': must be a whole number"),
        ("FAKEWATCH_GC_FREEZE_S", "soon", "FAKEWATCH_GC_FREEZE_S='soon': must be a number"),
    ],
)
def test_a_setting_that_is_not_a_number_is_refused_in_plain_words(
    name: str, raw: str, says: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({name: raw})
    assert str(refused.value) == says
