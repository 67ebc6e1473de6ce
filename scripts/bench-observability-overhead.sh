#!/usr/bin/env bash
# The cost of metrics and the web server (issue "Logs, Prometheus metrics and a REST API"):
# W1, W2 and W3 at parallelism 2 with heap state and 1 s checkpoints, each run once
# without and once with `--web-port` (metrics on, /metrics and /api/v1/job scraped every
# second, as Prometheus and the dashboard would), interleaved, for ROUNDS rounds. Prints
# one line per run and, per setup, the median events/s and the median CPU time of the
# process (user + system, from /usr/bin/time: on a busy machine CPU time varies far less
# than wall time), with the on/off ratios.
# Usage: scripts/bench-observability-overhead.sh [ROUNDS] (default 3); needs
# `swift build -c release --product tributary-bench` first, and /usr/bin/time (Debian `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
B=.build/release/tributary-bench
PORT=${PORT:-18081}
declare -A EVENTS=([w1]=200000000 [w2]=150000000 [w3]=60000000)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
scrape() {
  # Scrapes until the run's process ends.
  while kill -0 "$1" 2>/dev/null; do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics" || true
    curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/job" || true
    sleep 1
  done
}
for round in $(seq 1 "$ROUNDS"); do
  for w in w1 w2 w3; do
    for mode in off on; do
      args=(run --workload "$w" --events "${EVENTS[$w]}" --parallelism 2 --state heap
        --checkpoint-interval 1s --json --no-baseline)
      [ "$mode" = on ] && args+=(--web-port "$PORT")
      timeout 600 /usr/bin/time -f "%U %S" -o "$out.time" "$B" "${args[@]}" > "$out.line" 2>/dev/null &
      pid=$!
      [ "$mode" = on ] && scrape "$pid" &
      wait "$pid"
      wait
      rate=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events_per_second"])' "$out.line")
      cpu=$(awk '{print $1 + $2}' "$out.time")
      echo "round $round $w $mode $rate $cpu" | tee -a "$out"
    done
  done
done
python3 - "$out" <<'PY'
import statistics, sys
runs, cpus = {}, {}
for line in open(sys.argv[1]):
    _, _, w, mode, rate, cpu = line.split()
    runs.setdefault((w, mode), []).append(float(rate))
    cpus.setdefault((w, mode), []).append(float(cpu))
print("workload  off M events/s  on M events/s  on/off  off CPU s  on CPU s  on/off")
for w in ("w1", "w2", "w3"):
    off = statistics.median(runs[(w, "off")]) / 1e6
    on = statistics.median(runs[(w, "on")]) / 1e6
    coff = statistics.median(cpus[(w, "off")])
    con = statistics.median(cpus[(w, "on")])
    print(f"{w:8}  {off:14.2f}  {on:13.2f}  {on / off:6.3f}  {coff:9.2f}  {con:8.2f}  {con / coff:6.3f}")
PY
