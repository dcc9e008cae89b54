#!/usr/bin/env bash
# Sets everything up (idempotent), creates the demo users, ingests data/, shows how to ask and
# opens the web UI (`docqa ui`; DOCQA_DEMO_NO_UI=1 skips it). Runs in demo mode (DOCQA_DEMO_MODE=true):
# only then may the demo users, whose passwords are published in data/users.yaml, be created and the
# engine start with them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DO_NOT_TRACK=1 RAGAS_DO_NOT_TRACK=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export DOCQA_DEMO_MODE=true
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
MSG
$DOCQA ask "How many home-office days per week are allowed?" --user dave || true

UI_PORT=${DOCQA_UI_PORT:-8501}
cat <<MSG

== the web UI: http://localhost:$UI_PORT  (Ctrl-C stops it, and the engine it started)
   demo logins (demo-only passwords, from data/users.yaml):
     alice / demo-alice   hr employee          bob   / demo-bob    engineering employee
     carol / demo-carol   finance employee     dave  / demo-dave   everyone (plain employee)
     frank / demo-frank   reviewer (Review)    heidi / demo-heidi  reads every group
     erin  / demo-erin    admin                grace / demo-grace  evaluator
   Set DOCQA_DEMO_NO_UI=1 to end the demo here instead; later: DOCQA_DEMO_MODE=true .venv/bin/docqa ui
MSG
if [ -z "${DOCQA_DEMO_NO_UI:-}" ]; then
  exec $DOCQA ui --port "$UI_PORT"
fi
