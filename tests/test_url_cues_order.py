"""The words a link's reasons name come out in the same order in every process.

Verdicts are cached, exported and compared by clients (and the extension keeps rendered
copies), so a reason must not change its wording with Python's per-process hash seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

_PROGRAM = """
import json
from server.engine import Engine
from server.settings import Settings
engine = Engine.build(Settings(bundled_blocklist=False))
urls = ["https://claimbonus-rewardsnow.xyz/", "https://bonusclaim.live/airdrop-giveaway"]
results = engine.check_links_sync(urls)
print(json.dumps([
    [r["details"] for r in verdict["reasons"] if r["detector"] == "url_cues"]
    for verdict in engine.render_links(results, "en")
]))
"""


def _cues_under_hash_seed(seed: int) -> list[object]:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_lure_words_are_named_in_one_order_whatever_the_hash_seed() -> None:
    first = _cues_under_hash_seed(0)
    words = [d["words"] for cues in first for d in cues if "words" in d]
    assert {"bonus", "claim"} <= set(words[0])  # the equal-length words this is about
    for seed in (1, 2, 3):
        assert _cues_under_hash_seed(seed) == first, f"PYTHONHASHSEED={seed}"
