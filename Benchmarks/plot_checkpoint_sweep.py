#!/usr/bin/env python3
"""Plot and tabulate the CSV of `tributary-bench sweep`.

Usage: python3 Benchmarks/plot_checkpoint_sweep.py [CSV] [PLOT]
(defaults: docs/benchmarks/checkpoint-sweep.csv and docs/benchmarks/checkpoint-sweep.svg).

Draws throughput relative to checkpointing off, and recovery time (failure until
the job is back where it was), against the checkpoint interval on a log axis
("off" to the right of the longest interval): one line per workload and backend,
solid at parallelism 1, dashed at 2; markers are medians, error bars min..max
over the repetitions; at-least-once points are hollow. Prints a Markdown table
of medians (min-max) on standard output. Needs matplotlib (Debian:
python3-matplotlib, which scripts/install-deps.sh installs).
"""

import csv
import os
import statistics
import sys

try:
    import matplotlib
except ImportError:
    # Debian's python3-matplotlib is for /usr/bin/python3; another python3 may be first on PATH.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath(
        "/usr/bin/python3"
    ):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("matplotlib is missing: install python3-matplotlib (scripts/install-deps.sh does)")

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OFF_POSITION_MS = 100_000  # where "off" sits on the log axis (right of 10 s)
COLORS = {
    ("w2", "heap"): "#1f77b4",
    ("w2", "rocksdb"): "#2ca02c",
    ("w3", "heap"): "#d62728",
    ("w3", "rocksdb"): "#ff7f0e",
}


def read_rows(path):
    """The data rows of the sweep CSV (comment lines start with '#')."""
    with open(path, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


def point_key(row):
    return (row["workload"], row["state"], int(row["parallelism"]), row["interval"], row["mode"])


def group(rows):
    """Rows grouped by point, in the order the points first appear sorted sensibly."""
    groups = {}
    for row in rows:
        groups.setdefault(point_key(row), []).append(row)

    def order(key):
        workload, state, parallelism, interval, mode = key
        ms = int(groups[key][0]["interval_ms"]) or OFF_POSITION_MS * 10
        return (workload, state, parallelism, mode != "exactly-once", -ms)

    return {key: groups[key] for key in sorted(groups, key=order)}


def stats(values):
    return statistics.median(values), min(values), max(values)


def column(rows, name, scale=1.0):
    return [float(row[name]) * scale for row in rows]


def measured(rows):
    """The rows of a point whose recovery was measured."""
    return [row for row in rows if row.get("recovery_measured", "1") == "1"]


def x_position(row):
    ms = int(row["interval_ms"])
    return ms if ms > 0 else OFF_POSITION_MS


def plot(groups, path):
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 6))
    series = {}
    for key, rows in groups.items():
        workload, state, parallelism, _, mode = key
        series.setdefault((workload, state, parallelism, mode), []).append(rows)
    parallelisms = sorted({key[2] for key in series})
    for (workload, state, parallelism, mode), points in series.items():
        points.sort(key=lambda rows: x_position(rows[0]))
        color = COLORS.get((workload, state), "black")
        # Spread the lines a little so their error bars do not hide each other.
        index = list(COLORS).index((workload, state)) if (workload, state) in COLORS else 0
        shift = 1 + 0.04 * (index - 1.5) + 0.02 * parallelisms.index(parallelism)
        xs = [x_position(rows[0]) * shift for rows in points]
        exactly = mode == "exactly-once"
        label = f"{workload.upper()} {state} p{parallelism}" + ("" if exactly else " at-least-once")
        style = dict(
            color=color,
            linestyle=("-" if parallelism == parallelisms[0] else "--") if exactly else "none",
            marker="o" if exactly else "D",
            markerfacecolor=color if exactly else "white",
            capsize=3,
            linewidth=1.4,
            markersize=5,
        )
        for axis, name, scale in ((left, "relative_throughput", 100.0), (right, "catch_up_ms", 1e-3)):
            if name == "catch_up_ms":
                # Only points whose recovery was measured.
                kept = [(x, measured(rows)) for x, rows in zip(xs, points) if measured(rows)]
                if not kept:
                    continue
                series_xs, series_points = zip(*kept)
            else:
                series_xs, series_points = xs, points
            med, lo, hi = zip(*(stats(column(rows, name, scale)) for rows in series_points))
            offs = [int(rows[0]["interval_ms"]) == 0 for rows in series_points]
            bars = axis.errorbar(
                series_xs,
                med,
                yerr=[[m - l for m, l in zip(med, lo)], [h - m for m, h in zip(med, hi)]],
                label=label,
                **style,
            )
            if exactly and any(offs) and not all(offs):
                # "off" is not an interval: join it to the longest interval with a dotted line.
                bars.lines[0].set_data(
                    [x for x, off in zip(series_xs, offs) if not off],
                    [m for m, off in zip(med, offs) if not off],
                )
                last = max(i for i, off in enumerate(offs) if not off)
                off_index = offs.index(True)
                axis.plot(
                    [series_xs[last], series_xs[off_index]],
                    [med[last], med[off_index]],
                    color=color,
                    linestyle=":",
                    linewidth=1.2,
                )
                axis.plot(
                    [series_xs[off_index]], [med[off_index]], color=color, marker="o", markersize=5
                )
    ticks = sorted({x_position(rows[0]) for rows in groups.values()})
    labels = ["off" if t == OFF_POSITION_MS else (f"{t / 1000:g} s" if t >= 500 else f"{t} ms") for t in ticks]
    for axis in (left, right):
        axis.axvspan(OFF_POSITION_MS / 2.2, OFF_POSITION_MS * 1.6, color="0.93", zorder=0)
        axis.set_xscale("log")
        axis.set_xticks(ticks)
        axis.set_xticklabels(labels, rotation=40, fontsize=8)
        axis.minorticks_off()
        axis.set_xlabel("checkpoint interval (log scale; off = no periodic checkpoints)")
        axis.grid(True, which="major", alpha=0.3)
    left.set_ylabel("throughput, % of checkpointing off (same round)")
    left.set_title("Throughput")
    right.set_yscale("log")
    right.set_ylabel("seconds from failure until back where it was")
    right.set_title("Recovery time (off: restarts from the beginning)")
    handles, names = left.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle("Tributary: checkpoint interval versus throughput and recovery (median, min..max)")
    fig.tight_layout(rect=(0, 0.13, 1, 0.95))
    fig.savefig(path)


def fmt(values, digits=0):
    med, lo, hi = stats(values)
    if lo == hi:
        return f"{med:,.{digits}f}"
    return f"{med:,.{digits}f} ({lo:,.{digits}f}–{hi:,.{digits}f})"


def table(groups):
    header = [
        "workload",
        "state",
        "p",
        "interval",
        "M events/s",
        "% of off",
        "ckpts",
        "ckpt ms p50 / max",
        "sync pause max ms",
        "alignment max ms",
        "size full / incr. MB",
        "latency ms p50 / p99 / p99.9",
        "peak RSS MiB",
        "events replayed (M)",
        "restore ms",
        "recovery s",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (workload, state, parallelism, interval, mode), rows in groups.items():
        med = lambda name, scale=1.0: statistics.median(column(rows, name, scale))  # noqa: E731
        recovered = measured(rows)
        recovery = (
            [
                fmt(column(recovered, "events_replayed", 1e-6), 2),
                fmt(column(recovered, "restore_ms"), 0),
                fmt(column(recovered, "catch_up_ms", 1e-3), 2),
            ]
            if recovered
            else ["–", "–", "–"]
        )
        lines.append(
            "| "
            + " | ".join(
                [
                    workload.upper(),
                    state,
                    str(parallelism),
                    interval + ("" if mode == "exactly-once" else " ALO"),
                    fmt(column(rows, "events_per_second", 1e-6), 2),
                    fmt(column(rows, "relative_throughput", 100.0), 0),
                    f"{med('checkpoints_completed'):.0f}",
                    f"{med('checkpoint_ms_p50'):.0f} / {med('checkpoint_ms_max'):.0f}",
                    f"{med('sync_pause_ms_max'):.0f}",
                    f"{med('alignment_ms_max'):.0f}",
                    f"{med('checkpoint_bytes_full', 1e-6):.1f} / {med('checkpoint_bytes_incremental', 1e-6):.1f}",
                    f"{med('latency_ms_p50'):.1f} / {med('latency_ms_p99'):.1f} / {med('latency_ms_p999'):.1f}",
                    f"{med('peak_rss_bytes', 1 / 2**20):.0f}",
                ]
                + recovery
            )
            + " |"
        )
    return "\n".join(lines)


def main():
    csv_path = sys.argv[1] if len(sys.argv) > 1 else "docs/benchmarks/checkpoint-sweep.csv"
    plot_path = sys.argv[2] if len(sys.argv) > 2 else "docs/benchmarks/checkpoint-sweep.svg"
    groups = group(read_rows(csv_path))
    if not groups:
        sys.exit(f"{csv_path} has no data rows")
    plot(groups, plot_path)
    print(table(groups))


if __name__ == "__main__":
    main()
