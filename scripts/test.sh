#!/usr/bin/env bash
# The whole check a submission must pass: lint, format, types, then every test.
# Called by `make test` (after it builds .venv) and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== ruff (lint)"
$BIN/ruff check server bot tests bench scripts
echo "== ruff (format)"
$BIN/ruff format --check server bot tests bench scripts
echo "== mypy (server, bot)"
$BIN/mypy
echo "== node --test (extension)"
command -v node >/dev/null || { echo "Node.js 20+ is needed for the extension's unit tests" >&2; exit 1; }
node --test extension/test/
echo "== pytest"
export NO_PROXY=127.0.0.1,localhost
# Two workers, one per core: most tests wait on a real server, a bot or a browser. --dist loadfile
# keeps a module's tests (and the server its fixture started) in one worker. `-n 0` runs serially.
$BIN/pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
