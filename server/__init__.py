"""FakeWatch server: the one brain that scores links, media and messages and explains why."""

import os

# numpy's OpenBLAS would start a thread per core for every matrix product. The server already
# spreads its CPU work over its own executors, and on a busy 2-core host OpenBLAS's spinning
# threads stalled small products (a 32x216 by 216x205 product: up to 28 ms under load against
# 0.09 ms on one thread; on a quieter moment, worst of 300 runs 8.6 ms against 0.6 ms). Set
# before numpy is first imported; an operator's own value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
