#!/usr/bin/env bash
# Drops the agora_t_* databases that test runs created on PostgreSQL and MariaDB.
set -uo pipefail
pg_url=$1; mysql_url=$2

if command -v psql >/dev/null; then
  for db in $(psql "$pg_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'agora\_t\_%'" 2>/dev/null); do
    psql "$pg_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
fi
if command -v mariadb >/dev/null || command -v mysql >/dev/null; then
  client=$(command -v mariadb || command -v mysql)
  rest=${mysql_url#*://}; creds=${rest%%@*}; hostport=${rest#*@}; hostport=${hostport%%/*}
  user=${creds%%:*}; host=${hostport%%:*}; port=${hostport##*:}
  for db in $("$client" -h "$host" -P "$port" -u "$user" -Nse "SHOW DATABASES LIKE 'agora\\_t\\_%'" 2>/dev/null); do
    "$client" -h "$host" -P "$port" -u "$user" -e "DROP DATABASE IF EXISTS \`$db\`" 2>/dev/null || true
  done
fi
exit 0
