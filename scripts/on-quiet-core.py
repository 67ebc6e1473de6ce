#!/usr/bin/env python3
"""Runs a benchmark command only while no other process uses a given core, and runs it
again when one did meanwhile: on a machine shared with others' builds, a benchmark pinned
to a core is worthless while a compiler runs on the same core.

Usage: scripts/on-quiet-core.py CORE COMMAND [ARG ...]
Waits until processes outside this command's tree used CORE for under 5 % of 4 s in a
row, runs COMMAND, and meanwhile samples (every 0.5 s, from /proc) the CPU time of every
process outside its tree that last ran on CORE. If they used more than 2 % of the run's
wall time, the run is discarded and repeated (at most 5 tries, then the last run stands
and a note says so on stderr). COMMAND's stdout and exit code are those of the kept run;
each try is noted on stderr (and appended to the file $QUIET_CORE_LOG if set).

Use it as bench-recovery-objective.py's --bench through a wrapper, e.g.
    printf '#!/bin/sh\\nexec scripts/on-quiet-core.py 0 .build/release/tributary-bench "$@"\\n' > q
"""
import os, subprocess, sys, threading, time

core, command = int(sys.argv[1]), sys.argv[2:]
tick = os.sysconf("SC_CLK_TCK")
me = os.getpid()


def note(text):
    print(f"on-quiet-core: {text}", file=sys.stderr, flush=True)
    if os.environ.get("QUIET_CORE_LOG"):
        with open(os.environ["QUIET_CORE_LOG"], "a") as log:
            log.write(time.strftime("%H:%M:%S ") + text + "\n")


def processes():
    """pid -> (parent pid, CPU seconds, last core) of every process."""
    table = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            stat = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2:].split()
        table[int(p)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick, int(f[36]))
    return table


def foreign_use(seconds, root):
    """CPU seconds that processes outside `root`'s tree (and this one) used on the core,
    sampled every 0.5 s over `seconds` (or until `root` ends when seconds is None)."""
    used, before = 0.0, processes()
    start = time.monotonic()
    while seconds is None or time.monotonic() - start < seconds:
        time.sleep(0.5)
        now = processes()
        mine = {me}
        if root is not None:
            mine.add(root.pid)
        grew = True
        while grew:  # the tree of this process (and the command)
            grew = False
            for pid, (ppid, _, _) in now.items():
                if ppid in mine and pid not in mine:
                    mine.add(pid)
                    grew = True
        for pid, (_, cpu, last) in now.items():
            if pid in before and pid not in mine and last == core:
                used += max(0.0, cpu - before[pid][1])
        before = now
        if root is not None and root.poll() is not None:
            break
    return used


for attempt in range(1, 6):
    while foreign_use(4, None) > 0.05 * 4:
        note(f"core {core} busy, waiting")
    started = time.monotonic()
    run = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    result = {}
    reader = threading.Thread(target=lambda: result.update(out=run.stdout.read()))
    reader.start()
    foreign = foreign_use(None, run)
    run.wait()
    reader.join()
    wall = time.monotonic() - started
    share = foreign / max(wall, 1e-9)
    note(f"try {attempt}: others used core {core} {share:.1%} of {wall:.1f} s: "
         + " ".join(command[1:6]))
    if share <= 0.02 or attempt == 5:
        if share > 0.02:
            note("still disturbed after 5 tries; keeping the last run")
        sys.stdout.write(result.get("out", ""))
        sys.exit(run.returncode)
