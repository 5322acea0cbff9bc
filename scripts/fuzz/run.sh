#!/usr/bin/env bash
# API fuzzing with schemathesis 4 against a live server: every operation of
# /api-docs/openapi.json with valid and invalid data, as a user and then as an admin.
# Fails on any 5xx and any response that contradicts the document.
#
#   scripts/fuzz/run.sh [examples-per-operation]      (default 40)
set -euo pipefail
cd "$(dirname "$0")/../.."
examples=${1:-40}
venv=${AGORA_FUZZ_VENV:-target/fuzz-venv}
work=$(mktemp -d)
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
cargo build --workspace --bins --locked

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export APP_ENV=test APP__SERVER__PORT=$port APP__DATABASE__URL="sqlite://$work/agora.db?mode=rwc" \
  APP__STORAGE__DIR="$work/files" APP__MAIL__TRANSPORT=file APP__MAIL__DIR="$work/mail" \
  APP__RATE_LIMIT__AUTH_PER_MINUTE=0 APP__LOG__LEVEL=warn
./target/debug/agora > "$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/health/ready" >/dev/null && break; sleep 0.2; done

curl -fs -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"name":"fuzz_user","email":"fuzz_user@example.com","password":"fuzz-password-1"}' >/dev/null
echo 'fuzz-admin-password-1' | ./target/debug/admin-cli create-admin --name fuzz_admin \
  --email fuzz_admin@example.com --password-stdin >/dev/null

run() { # user password
  echo "== schemathesis as $1 =="
  AGORA_FUZZ_BASE="$base" AGORA_FUZZ_USER="$1" AGORA_FUZZ_PASSWORD="$2" \
  SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/fuzz \
    "$venv/bin/schemathesis" run "$base/api-docs/openapi.json" \
      --max-examples "$examples" \
      --checks all --exclude-checks positive_data_acceptance \
      --seed 20261126 \
      --request-timeout 30 \
      --no-color
}
status=0
run fuzz_user fuzz-password-1 || status=1
run fuzz_admin fuzz-admin-password-1 || status=1
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked during fuzzing:" >&2; grep -A5 panicked "$work/server.log" >&2; status=1
fi
exit $status
