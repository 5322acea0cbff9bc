#!/usr/bin/env bash
# `make bench`: builds the release binaries once, runs every benchmark (AI, board and
# accounts, chat) and writes BENCHMARKS.md at the repository root: a description of this
# machine, then one section per area, each written by its benchmark (`--markdown FILE`).
# Benchmarks, not tests: nothing here fails on a slow figure.
#
# Environment: CARGO (default cargo), AMQP_URL (RabbitMQ of the AI run; default the local
# guest account), OUT (default BENCHMARKS.md). The benchmarks' own settings (BENCH_SECONDS,
# …) pass through.
set -euo pipefail

cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
OUT=${OUT:-BENCHMARKS.md}

"$CARGO" build --release --workspace --bins --locked

sections=$(mktemp -d)
trap 'rm -rf "$sections"' EXIT

echo "== AI (bench-ai) ==" >&2
AGORA_TEST_AMQP_URL="$AMQP_URL" target/release/bench-ai --markdown "$sections/ai.md"
echo "== board and accounts (bench) ==" >&2
target/release/bench --markdown "$sections/board.md"
echo "== chat (chat-bench) ==" >&2
target/release/chat-bench --markdown "$sections/chat.md"

cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cpu_count=$(grep -c '^processor' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os_name=$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}") || echo unknown)
kernel=$(uname -r)
rustc_version=$(rustc --version)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
when=$(date -u '+%Y-%m-%d %H:%M UTC')

{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` (scripts/bench.sh) on $when at commit \`$commit\`."
  echo "Benchmarks, not tests: they measure this machine and assert nothing. Every figure"
  echo "comes from release builds; the load generators run on the same machine as the"
  echo "server and share its CPUs, so absolute figures are lower bounds and ratios between"
  echo "routes measured the same way are the more telling numbers."
  echo
  echo "## Machine"
  echo
  echo "| | |"
  echo "| --- | --- |"
  echo "| CPU | $cpu_model × $cpu_count |"
  echo "| memory | $mem_total |"
  echo "| OS | $os_name (Linux $kernel) |"
  echo "| Rust | $rustc_version |"
  echo "| date | $when |"
  echo
  cat "$sections/board.md"
  echo
  cat "$sections/chat.md"
  echo
  cat "$sections/ai.md"
} > "$OUT"
echo "wrote $OUT" >&2
