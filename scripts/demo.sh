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

step "6/6 serve the champion with BentoML and send the same brief over HTTP"
python scripts/serve_demo.py --model models/champion --brief examples/brief.json
