"""Compares fundsim_numpy.py's printout with a fundsim run's summary.csv.

For every metric both report: the two means with their MCSEs and
z = (numpy − fundsim) / sqrt(mcse_numpy² + mcse_fundsim²). The two draw different random
numbers, so z is the difference in combined Monte Carlo standard errors; |z| above about 3
is a disagreement to explain.

    python3 benches/numpy/fundsim_numpy.py --replications 4000 > /tmp/numpy.txt
    fundsim run --no-uncertainty -n 4000 --out /tmp/fs --force --quiet
    python3 benches/numpy/compare.py /tmp/numpy.txt /tmp/fs/summary.csv
"""
import csv, math, re, sys
np_out, summary = sys.argv[1], sys.argv[2]
numpy = {}
cur = None
for line in open(np_out):
    m = re.match(r"(\S+): \d+ replications", line)
    if m: cur = m.group(1); continue
    m = re.match(r"\s+(\S+)\s+mean (\S+)\s+mcse (\S+)", line)
    if m and cur: numpy[(cur, m.group(1))] = (float(m.group(2)), float(m.group(3)))
fs = {}
for r in csv.DictReader(open(summary)):
    if r["mean"]:
        fs[(r["strategy"], r["metric"])] = (float(r["mean"]), float(r["mcse"] or 0))
print("| metric | strategy | numpy | fundsim | z |")
print("|---|---|---|---|---|")
worst = 0
for (s, k), (a, ea) in numpy.items():
    if (s, k) not in fs: print(f"| `{k}` | {s} | not in summary.csv | | |"); continue
    b, eb = fs[(s, k)]
    se = math.hypot(ea, eb)
    z = (a - b) / se if se > 0 else (0.0 if abs(a - b) < 1e-9 * max(1, abs(b)) else float("inf"))
    worst = max(worst, abs(z))
    fmt = lambda x, e: f"{x:.6g} ± {e:.2g}"
    print(f"| `{k}` | {s} | {fmt(a, ea)} | {fmt(b, eb)} | {z:+.2f} |")
print(f"\nlargest |z|: {worst:.2f}")
