#!/usr/bin/env bash
# Drops the databases a test run created on PostgreSQL and MariaDB: agora_t_<run>_*, or
# every agora_t_* when the run is "all".
set -uo pipefail
pg_url=$1; mysql_url=$2; run=${3:-all}
if [ "$run" = all ]; then prefix='agora\_t\_'; else prefix="agora\_t\_${run}\_"; fi

if command -v psql >/dev/null; then
  for db in $(psql "$pg_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'" 2>/dev/null); do
    psql "$pg_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
fi
if command -v mariadb >/dev/null || command -v mysql >/dev/null; then
  client=$(command -v mariadb || command -v mysql)
  rest=${mysql_url#*://}; creds=${rest%%@*}; hostport=${rest#*@}; hostport=${hostport%%/*}
  user=${creds%%:*}; host=${hostport%%:*}; port=${hostport##*:}
  for db in $("$client" -h "$host" -P "$port" -u "$user" -Nse "SHOW DATABASES LIKE '${prefix}%'" 2>/dev/null); do
    "$client" -h "$host" -P "$port" -u "$user" -e "DROP DATABASE IF EXISTS \`$db\`" 2>/dev/null || true
  done
fi
exit 0
