"""The server runs numpy on one BLAS thread: its own executors spread the CPU work, and
OpenBLAS's extra spinning threads stalled small matrix products on a busy 2-core host."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="counts threads in /proc")

COUNT = "import os; print(len(os.listdir('/proc/self/task')))"


def _threads(code: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_importing_the_server_first_keeps_numpy_to_its_calling_thread() -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: OpenBLAS starts no extra threads anyway")
    assert _threads("import numpy; " + COUNT) > 1  # what numpy alone does on this machine
    assert _threads("import server, numpy; " + COUNT) == 1
