"""Record ``golden.json``: YuNet's raw outputs for synthetic pictures fed through the
server's own preprocessing (``server.media.faces.detector_input``) and loader
(``server.onnx_runtime``). ``tests/test_media_faces.py`` replays them, so a changed model
file, onnxruntime upgrade or preprocessing change shows up as a drift.

    .venv/bin/python models/yunet/golden.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from server.media.faces import MODEL_NAME, golden_feeds  # noqa: E402
from server.onnx_runtime import ModelStore  # noqa: E402

#: Small inputs keep the file short (a 96x64 input has 126 anchors); the oval with two eyes
#: in ``synthetic_picture`` gives non-trivial scores.
CASES = (
    {"name": "landscape_96x64", "seed": 1, "size": [192, 128], "side": 96},
    {"name": "square_128", "seed": 2, "size": [300, 300], "side": 128},
)


def main() -> int:
    model = ModelStore().get(MODEL_NAME)
    cases = []
    for case in CASES:
        spec = {k: v for k, v in case.items() if k != "name"}
        outputs = model.run(golden_feeds(spec))
        cases.append(
            {
                "name": case["name"],
                "input": spec,
                "outputs": {
                    name: [[[round(float(v), 5) for v in row] for row in value[0]]]
                    for name, value in outputs.items()
                },
            }
        )
    golden = {"sha256": model.metadata.sha256, "atol": 1e-4, "cases": cases}
    (HERE / "golden.json").write_text(json.dumps(golden, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} cases to {HERE / 'golden.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
