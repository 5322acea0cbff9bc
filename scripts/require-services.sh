#!/usr/bin/env bash
# Fails, naming the service, when PostgreSQL, MariaDB or RabbitMQ does not accept
# connections at the given URLs. The integration suite never skips a missing service.
set -euo pipefail

hostport() { # URL -> host port
  local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}
  echo "${rest%%:*} ${rest##*:}"
}

status=0
for entry in "PostgreSQL|$1" "MariaDB|$2" "RabbitMQ|$3"; do
  name=${entry%%|*}; url=${entry#*|}
  read -r host port < <(hostport "$url")
  if timeout 3 bash -c "</dev/tcp/$host/$port" 2>/dev/null; then
    echo "$name is up at $host:$port"
  else
    echo "error: $name is not reachable at $host:$port ($url)" >&2
    status=1
  fi
done
exit $status
