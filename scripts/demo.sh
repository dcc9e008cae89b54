#!/usr/bin/env bash
# Sets everything up (idempotent), creates the demo users, ingests data/ and shows how to ask.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DO_NOT_TRACK=1 RAGAS_DO_NOT_TRACK=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
DOCQA=.venv/bin/docqa

echo; echo "== demo users (demo-only passwords, see data/users.yaml)"
$DOCQA users seed --file data/users.yaml

echo; echo "== ingesting data/ as document set 'demo' (unchanged files are skipped on a second run)"
$DOCQA ingest data --set demo --prune || echo "(some files failed: see the table above)"

cat <<'MSG'

== ready. Ask as a user; answers come only from documents that user's groups may read:
   .venv/bin/docqa ask "How many home-office days per week are allowed?" --user dave
   .venv/bin/docqa ask "What is the salary band for a senior engineer?" --user alice   # hr
   .venv/bin/docqa ask "What is the salary band for a senior engineer?" --user dave    # not hr: refused
   .venv/bin/docqa docs list
The web UI arrives with the UI issue; until then `docqa ask` is the way in.
MSG
$DOCQA ask "How many home-office days per week are allowed?" --user dave || true
