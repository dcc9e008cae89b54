#!/usr/bin/env bash
# Sets everything up (idempotent) and runs the checks CI runs: ruff, the whole test suite, then the
# randomised leak suite (docqa eval leaks, seeded).
# Extra arguments go to pytest, e.g. scripts/test.sh -m unit
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DO_NOT_TRACK=1 RAGAS_DO_NOT_TRACK=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

echo; echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo; echo "== import contracts (import-linter; [tool.importlinter] in pyproject.toml)"
.venv/bin/lint-imports

echo; echo "== types (mypy --strict on the modules [tool.mypy] lists)"
.venv/bin/mypy

echo; echo "== pytest"
mkdir -p test-artifacts
set +e
.venv/bin/python -m pytest -q --durations=15 --junitxml=test-artifacts/junit.xml "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests"; rc=0   # exit 5 = "no tests collected": not a failure of the code
fi
[ "$rc" -eq 0 ] || exit "$rc"

if [ $# -eq 0 ]; then  # the whole suite (CI): also the randomised leak suite, seeded, smaller than the full 10000
  echo; echo "== leak suite (docqa eval leaks)"
  .venv/bin/docqa eval leaks --checks "${DOCQA_CI_LEAK_CHECKS:-1000}" --seed "${DOCQA_CI_LEAK_SEED:-7}"
fi
