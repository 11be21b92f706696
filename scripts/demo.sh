#!/usr/bin/env bash
# The demo: sample data -> train -> register -> promote -> export -> rank a brief -> serve it over HTTP.
# Run through `make demo` (which creates .venv and puts it first on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
DATA=${DEMO_DATA:-data/market}
SEED=${DEMO_SEED:-7}
N_INFLUENCERS=${DEMO_INFLUENCERS:-2000}
N_BRIEFS=${DEMO_BRIEFS:-1200}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/6 simulate a market of ${N_INFLUENCERS} creators and ${N_BRIEFS} briefs (seed ${SEED})"
matcher simulate --out "$DATA" --seed "$SEED" --influencers "$N_INFLUENCERS" --briefs "$N_BRIEFS"

step "2/6 train (embed with all-MiniLM-L6-v2, fit LightGBM), evaluate on held-out briefs, log to MLflow, register"
matcher train --data "$DATA" --out models/latest

step "3/6 promote the new version if it passes the gate (the first version always does)"
matcher promote

step "4/6 export the champion for serving without an MLflow server"
matcher export --alias champion --out models/

step "5/6 rank a sample brief with the library (examples/brief.json)"
matcher match --model models/champion --brief-file examples/brief.json --k 10

step "6/6 serve the champion with BentoML and send the same brief over HTTP, with an API key"
# the service needs 'Authorization: Bearer <key>'; a brand key acts for its brand only (docs/security.md)
BRAND=$(python -c 'import json; print(json.load(open("examples/brief.json"))["brand_id"])')
MATCHER_API_KEY=$(matcher keys add --brand "$BRAND")
export MATCHER_API_KEY
echo "API key for brand $BRAND (keys.db): $MATCHER_API_KEY"
python scripts/serve_demo.py --model models/champion --brief examples/brief.json

step "the web app for brands (docs/webapp.md)"
echo "run \`make serve\`, open http://127.0.0.1:3000/app and sign in as brand $BRAND with this API key:"
echo "  $MATCHER_API_KEY"
