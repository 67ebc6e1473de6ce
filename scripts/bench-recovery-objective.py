#!/usr/bin/env python3
"""The recovery-time objective, measured (issue "Choose the checkpoint interval from a
recovery-time objective"): for each workload, backend and objective, one job of
`tributary-bench recover --checkpoint-interval auto --recovery-objective D --failures N`
fails N times, each at a random phase of the interval in force (the first after a
warm-up, each later one after the previous recovery), and each real recovery time (failure
until every source is back where it was: catch_up_ms_each) is compared with the objective. Throughput with `auto` (`run`) is set beside that of each fixed interval of GRID,
and each fixed interval's own recoveries (FIXED_FAILURES per interval) tell which of them
also meet the objective.

Usage: scripts/bench-recovery-objective.py [--workloads w3] [--states heap,rocksdb]
          [--objectives 1s,2s] [--failures 20] [--fixed-failures 5] [--grid 200ms,500ms,1s,2s,5s]
          [--events N] [--warmup-ms 8000] [--parallelism 2] [--out results.json]
          [--fixed-from earlier.json] [--confirm-failures 20]
--fixed-from reuses the fixed intervals' throughput and recoveries (and confirmations) of an
earlier --out (same workloads and states) instead of measuring the grid again: to re-measure
`auto` alone.
--confirm-failures N: where `auto` is slower than the best fixed interval meeting the
objective in FIXED_FAILURES recoveries, that interval is failed N more times (as many as
`auto`, at random phases too) and must meet the objective in those as well; if it does not,
the next best is tried. Each row keeps both: best_fixed_* from the grid alone, and
confirmed_best_fixed_* after the confirmation.
Needs `swift build -c release --product tributary-bench`.
"""
import argparse, json, random, statistics, subprocess, sys

p = argparse.ArgumentParser()
p.add_argument("--bench", default=".build/release/tributary-bench")
p.add_argument("--workloads", default="w3")
p.add_argument("--states", default="heap,rocksdb")
p.add_argument("--objectives", default="1s,2s")
p.add_argument("--failures", type=int, default=20)
p.add_argument("--fixed-failures", type=int, default=5)
p.add_argument("--grid", default="200ms,500ms,1s,2s,5s")
p.add_argument("--events", type=int, default=60_000_000)
p.add_argument("--warmup-ms", type=int, default=8000)
p.add_argument("--parallelism", type=int, default=2)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--out")
p.add_argument("--fixed-from")
p.add_argument("--confirm-failures", type=int, default=0)
a = p.parse_args()
rng = random.Random(a.seed)

def ms(text):
    return int(text[:-2]) if text.endswith("ms") else int(text[:-1]) * 1000

def bench(*args):
    out = subprocess.run([a.bench, *args, "--json"], capture_output=True, text=True, timeout=900)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"failed: {' '.join(args)}\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])

def recover(w, s, interval, extra, failures):
    return bench("recover", "--workload", w, "--state", s, "--parallelism", str(a.parallelism),
                 "--checkpoint-interval", interval, "--warmup-ms", str(a.warmup_ms),
                 "--phase", f"{rng.random() * 0.999:.3f}", "--failures", str(failures),
                 "--seed", str(rng.randrange(1, 1 << 30)), *extra)

def run(w, s, interval, extra):
    return bench("run", "--workload", w, "--state", s, "--parallelism", str(a.parallelism),
                 "--events", str(a.events), "--checkpoint-interval", interval, "--no-baseline",
                 *extra)

def share_within(times, objective):
    return sum(1 for t in times if t <= ms(objective)) / len(times)

def save(rows):
    # After every measurement, so a failure later loses nothing (a row with
    # objective None holds a grid measured so far).
    if a.out:
        json.dump(rows, open(a.out, "w"), indent=1)

results = []
for w in a.workloads.split(","):
    for s in a.states.split(","):
        fixed = {}
        confirmations = {}  # interval -> its --confirm-failures recoveries
        if a.fixed_from:
            earlier = [row for row in json.load(open(a.fixed_from))
                       if row["workload"] == w and row["state"] == s]
            if not earlier:
                raise SystemExit(f"no {w} {s} rows in {a.fixed_from}")
            fixed = {i: (f["events_per_second"], f["recoveries_ms"])
                     for i, f in earlier[0]["fixed"].items()}
            for row in earlier:  # and the confirmations measured then
                confirmations.update(row.get("confirmation_recoveries_ms") or {})
        for interval in [] if a.fixed_from else a.grid.split(","):
            r = run(w, s, interval, [])
            rec = recover(w, s, interval, [], a.fixed_failures)["catch_up_ms_each"]
            fixed[interval] = (r["events_per_second"], rec)
            save(results + [{"workload": w, "state": s, "objective": None, "fixed": {
                i: {"events_per_second": e, "recoveries_ms": rec} for i, (e, rec) in fixed.items()}}])
            print(f"{w} {s} fixed {interval}: {r['events_per_second']/1e6:.2f} M/s, "
                  f"recoveries ms {sorted(round(x) for x in rec)}", flush=True)
        for objective in a.objectives.split(","):
            extra = ["--recovery-objective", objective]
            r = run(w, s, "auto", extra)
            rec = recover(w, s, "auto", extra, a.failures)
            times = rec["catch_up_ms_each"]
            within = share_within(times, objective)
            meeting = [i for i, (_, rec) in fixed.items() if share_within(rec, objective) >= 0.95]
            best = max((fixed[i][0] for i in meeting), default=None)
            confirmed, confirmed_best = None, best
            if a.confirm_failures and best is not None and r["events_per_second"] < best:
                confirmed_best = None
                for i in sorted(meeting, key=lambda i: -fixed[i][0]):
                    if i not in confirmations:
                        confirmations[i] = recover(w, s, i, [], a.confirm_failures)["catch_up_ms_each"]
                        print(f"{w} {s} fixed {i} confirmation: recoveries ms "
                              f"{sorted(round(x) for x in confirmations[i])}", flush=True)
                    if share_within(confirmations[i], objective) >= 0.95:
                        confirmed, confirmed_best = i, fixed[i][0]
                        break
            row = {
                "workload": w, "state": s, "objective": objective,
                "auto_events_per_second": r["events_per_second"],
                "auto_interval_ms_final": r.get("checkpoint_interval_ms_final"),
                "auto_predicted_recovery_ms": r.get("predicted_recovery_ms"),
                "recoveries_ms": times,
                "recovery_ms_p50": statistics.median(times),
                "recovery_ms_max": max(times),
                "within_objective": within,
                "intervals_at_failure_ms": rec.get("checkpoint_interval_ms_at_failure_each"),
                "predicted_at_failure_ms": rec.get("predicted_recovery_ms_each"),
                "fixed_meeting_objective": meeting,
                "best_fixed_events_per_second": best,
                "fixed": {i: {"events_per_second": e, "recoveries_ms": rec}
                          for i, (e, rec) in fixed.items()},
                "confirmation_recoveries_ms": dict(confirmations),
                "confirmed_best_fixed": confirmed,
                "confirmed_best_fixed_events_per_second": confirmed_best,
            }
            results.append(row)
            save(results)
            print(f"{w} {s} auto {objective}: {r['events_per_second']/1e6:.2f} M/s "
                  f"(final interval {row['auto_interval_ms_final']} ms, predicted "
                  f"{row['auto_predicted_recovery_ms']} ms); recoveries p50 "
                  f"{row['recovery_ms_p50']:.0f} ms max {row['recovery_ms_max']:.0f} ms, "
                  f"{within:.0%} within; fixed intervals meeting it: {meeting}, best "
                  f"{(best or 0)/1e6:.2f} M/s; confirmed best {confirmed} "
                  f"{(confirmed_best or 0)/1e6:.2f} M/s", flush=True)
save(results)
