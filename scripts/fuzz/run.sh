#!/usr/bin/env bash
# API fuzzing with schemathesis 4 against a live server: every operation of
# /api-docs/openapi.json with valid and invalid data, as a user and then as an admin.
# Fails on any 5xx and any response that contradicts the document, and first on a document
# that openapi-spec-validator refuses (generators such as openapi-generator refuse it too).
#
#   scripts/fuzz/run.sh [examples-per-operation] [server-url]
#
# examples-per-operation defaults to 40. server-url names a PostgreSQL or MySQL/MariaDB
# server (postgres://user@host:port/db, mysql://user@host:port/db): a fresh database
# agora_fuzz_<pid> is made on it for the run and dropped afterwards. Without it the
# server runs on a SQLite file. Each engine refuses different input (PostgreSQL cannot
# store NUL, MariaDB compares with its collation), so CI fuzzes all three.
set -euo pipefail
cd "$(dirname "$0")/../.."
examples=${1:-40}
server_url=${2:-}
venv=${AGORA_FUZZ_VENV:-target/fuzz-venv}
work=$(mktemp -d)
fuzz_db="agora_fuzz_$$"
drop_db() { :; }
trap 'kill "${server_pid:-0}" 2>/dev/null || true; wait "${server_pid:-0}" 2>/dev/null || true; drop_db; rm -rf "$work"' EXIT

case "$server_url" in
  "") database_url="sqlite://$work/agora.db?mode=rwc" ;;
  postgres://*|postgresql://*)
    psql "$server_url" -qc "CREATE DATABASE \"$fuzz_db\"" >/dev/null
    drop_db() { psql "$server_url" -qc "DROP DATABASE IF EXISTS \"$fuzz_db\" WITH (FORCE)" >/dev/null 2>&1 || true; }
    database_url="${server_url%/*}/$fuzz_db" ;;
  mysql://*)
    rest=${server_url#*://}; creds=${rest%%@*}; hostport=${rest#*@}; hostport=${hostport%%/*}
    mysql_args=(-h "${hostport%%:*}" -P "${hostport##*:}" -u "${creds%%:*}")
    [ "${creds#*:}" != "$creds" ] && mysql_args+=("-p${creds#*:}")
    mysql "${mysql_args[@]}" -e "CREATE DATABASE \`$fuzz_db\`"
    drop_db() { mysql "${mysql_args[@]}" -e "DROP DATABASE IF EXISTS \`$fuzz_db\`" 2>/dev/null || true; }
    database_url="${server_url%/*}/$fuzz_db" ;;
  *) echo "unknown database server URL: $server_url" >&2; exit 2 ;;
esac
echo "== fuzzing on ${server_url:-SQLite} =="

if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  "$venv/bin/pip" install --quiet 'openapi-spec-validator>=0.7'
fi
cargo build --workspace --bins --locked

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export APP_ENV=test APP__SERVER__PORT=$port APP__DATABASE__URL="$database_url" \
  APP__STORAGE__DIR="$work/files" APP__MAIL__TRANSPORT=file APP__MAIL__DIR="$work/mail" \
  APP__RATE_LIMIT__AUTH_PER_MINUTE=0 APP__LOG__LEVEL=warn
./target/debug/agora > "$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/health/ready" >/dev/null && break; sleep 0.2; done
curl -fsS "$base/api-docs/openapi.json" -o "$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

curl -fs -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"name":"fuzz_user","email":"fuzz_user@example.com","password":"fuzz-password-1"}' >/dev/null
echo 'fuzz-admin-password-1' | ./target/debug/admin-cli create-admin --name fuzz_admin \
  --email fuzz_admin@example.com --password-stdin >/dev/null

# Seed one of everything, so that path ids can name things that exist.
api() { # method path token [json]
  curl -fsS -X "$1" "$base/api/v1$2" -H "authorization: Bearer $3" -H 'content-type: application/json' ${4:+-d "$4"}
}
token() { # name password
  curl -fsS -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
user_token=$(token fuzz_user fuzz-password-1)
admin_token=$(token fuzz_admin fuzz-admin-password-1)
user_id=$(api GET /users/me "$user_token" | field '["id"]')
board=$(api POST /admin/boards "$admin_token" '{"name":"fuzz board","information":"seeded","is_visible":true,"is_available":true,"access":"public"}' | field '["id"]')
post=$(api POST "/boards/$board/posts" "$user_token" '{"title":"seeded post","content":"seeded content"}' | field '["id"]')
comment=$(api POST "/posts/$post/comments" "$user_token" '{"content":"seeded comment"}' | field '["id"]')
printf 'seeded file\n' > "$work/seed.txt"
attachment=$(curl -fsS -X POST "$base/api/v1/posts/$post/attachments" -H "authorization: Bearer $user_token" \
  -F "file=@$work/seed.txt;type=text/plain" | field '[0]["id"]')
session=$(api POST /chat/sessions "$user_token" '{"name":"seeded session","information":"seeded"}' | field '["id"]')
message=$(api POST "/chat/sessions/$session/messages" "$user_token" '{"content":"seeded message"}' | field '["id"]')
model=$(api POST /ai/models "$admin_token" '{"name":"fuzz_model","description":"seeded","algorithm":"linear_regression","is_visible":true}' | field '["id"]')
for _ in $(seq 1 100); do
  [ "$(api GET "/ai/models/$model" "$admin_token" | field '["status"]')" = ready ] && break; sleep 0.2
done
job=$(api POST "/ai/models/$model/inferences" "$user_token" '{"inputs":[[1,2,3,4,5,6,7,8]]}' | field '["id"]')
export AGORA_FUZZ_IDS="user=$user_id,board=$board,post=$post,comment=$comment,attachment=$attachment,session=$session,message=$message,model=$model,job=$job"
echo "seeded: $AGORA_FUZZ_IDS"

run() { # role user password
  echo "== schemathesis as $2 ($1) =="
  AGORA_FUZZ_BASE="$base" AGORA_FUZZ_ROLE="$1" AGORA_FUZZ_USER="$2" AGORA_FUZZ_PASSWORD="$3" \
  SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/fuzz \
    "$venv/bin/schemathesis" run "$base/api-docs/openapi.json" \
      --max-examples "$examples" \
      --checks all --exclude-checks positive_data_acceptance \
      --seed 20261126 \
      --request-timeout 30 \
      --no-color
}
status=0
run user fuzz_user fuzz-password-1 || status=1
run admin fuzz_admin fuzz-admin-password-1 || status=1
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked during fuzzing:" >&2; grep -A5 panicked "$work/server.log" >&2; status=1
fi
exit $status
