#!/usr/bin/env python3
"""Plots what scripts/bench-recovery-objective.py measured: for each workload and
backend, every real recovery time with `--checkpoint-interval auto` against its
objective (a dot per recovery on a log scale, a red bar at the objective). Writes an
SVG with no dependency beyond Python.

Usage: scripts/plot-recovery-objective.py OUT.svg RESULTS.json [RESULTS.json ...]
(each RESULTS.json is one `--out` of bench-recovery-objective.py)
"""
import json, math, sys

out, inputs = sys.argv[1], sys.argv[2:]
rows = [row for path in inputs for row in json.load(open(path))]
panels = []
for row in rows:
    key = (row["workload"], row["state"])
    if key not in [p[0] for p in panels]:
        panels.append((key, []))
    dict(panels)[key].append(row)

def ms(text):
    return int(text[:-2]) if text.endswith("ms") else int(text[:-1]) * 1000

W, H, LEFT, TOP, PW, PH, GAP = 900, 330, 60, 40, 190, 230, 20
LO, HI = math.log10(50), math.log10(40_000)
def y(value):
    v = min(max(math.log10(max(value, 1)), LO), HI)
    return TOP + PH - (v - LO) / (HI - LO) * PH

svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
       'font-family="sans-serif" font-size="11">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{W/2}" y="16" text-anchor="middle" font-size="13">Recoveries with '
       '--checkpoint-interval auto (dots) against the objective (red), log scale</text>']
for i, ((workload, state), group) in enumerate(panels):
    x0 = LEFT + i * (PW + GAP)
    svg.append(f'<rect x="{x0}" y="{TOP}" width="{PW}" height="{PH}" fill="none" '
               'stroke="#999"/>')
    svg.append(f'<text x="{x0 + PW/2}" y="{TOP - 6}" text-anchor="middle">'
               f'{workload.upper()} {state}</text>')
    if i == 0:
        for tick in [100, 300, 1000, 3000, 10000, 30000]:
            label = f"{tick} ms" if tick < 1000 else f"{tick // 1000} s"
            svg.append(f'<text x="{x0 - 4}" y="{y(tick) + 4}" text-anchor="end">{label}</text>')
    for tick in [100, 300, 1000, 3000, 10000, 30000]:
        svg.append(f'<line x1="{x0}" x2="{x0 + PW}" y1="{y(tick)}" y2="{y(tick)}" '
                   'stroke="#eee"/>')
    group = sorted(group, key=lambda r: ms(r["objective"]))
    step = PW / len(group)
    for j, row in enumerate(group):
        cx = x0 + step * (j + 0.5)
        objective = ms(row["objective"])
        svg.append(f'<line x1="{cx - step * 0.4}" x2="{cx + step * 0.4}" y1="{y(objective)}" '
                   f'y2="{y(objective)}" stroke="red" stroke-width="2"/>')
        times = row["recoveries_ms"]
        for k, t in enumerate(times):
            dx = (k / max(1, len(times) - 1) - 0.5) * step * 0.6
            colour = "#1f5fbf" if t <= objective else "#e07000"
            svg.append(f'<circle cx="{cx + dx:.1f}" cy="{y(t):.1f}" r="2.2" fill="{colour}"/>')
        within = sum(1 for t in times if t <= objective) / len(times)
        svg.append(f'<text x="{cx}" y="{TOP + PH + 14}" text-anchor="middle">'
                   f'{row["objective"]}</text>')
        svg.append(f'<text x="{cx}" y="{TOP + PH + 28}" text-anchor="middle" '
                   f'fill="#555">{within:.0%}</text>')
svg.append(f'<text x="{LEFT}" y="{H - 6}">objective, and the share of recoveries within it; '
           'orange: a recovery over the objective</text>')
svg.append('</svg>')
open(out, "w").write("\n".join(svg) + "\n")
