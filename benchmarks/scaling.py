#!/usr/bin/env python3
"""How the cost of an R1 run grows with its trials (issue 6).

Runs `mcrisk run configs/triborough_2010.yaml` at each trial count, timing it
and reading its peak resident memory (GNU time's %M: the maximum RSS in KiB,
from wait4), and writes the table as JSON and as Markdown:

  /usr/bin/python3 benchmarks/scaling.py --mcrisk build/engine/mcrisk \
      --trials 1e5 1e6 1e7 1e8 --threads 2 --json results/benchmarks/scaling.json

Statistics are `auto` by default (exact up to ~370,000 R1 trials, streaming
beyond); --statistics streaming forces flat memory at every size.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def run_once(mcrisk, config, trials, threads, statistics, out_dir):
    summary_dir = os.path.join(out_dir, f"n{trials}")
    command = ["/usr/bin/time", "-f", "%e %M", mcrisk, "run", config, "--trials", str(trials), "--threads", str(threads),
               "--statistics", statistics, "--quiet", "--out", summary_dir]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"scaling.py: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    last = done.stderr.strip().splitlines()[-1].split()
    with open(os.path.join(summary_dir, "summary.json")) as f:
        summary = json.load(f)
    return {
        "trials": trials,
        "threads": threads,
        "statistics": summary.get("statistics", {}).get("mode", statistics),
        "wall_seconds": wall,
        "peak_rss_mib": int(last[1]) / 1024.0,
        "trials_per_second": trials / wall,
        "memory_estimate_mib": summary.get("statistics", {}).get("memory_estimate_bytes", 0) / 2**20,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mcrisk", default="build/engine/mcrisk")
    parser.add_argument("--config", default="configs/triborough_2010.yaml")
    parser.add_argument("--trials", nargs="+", default=["1e5", "1e6", "1e7", "1e8"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--statistics", default="auto", choices=["auto", "exact", "streaming"])
    parser.add_argument("--json", help="write the rows here (atomically)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mcrisk-scaling-") as out_dir:
        for text in args.trials:
            trials = int(float(text))
            row = run_once(args.mcrisk, args.config, trials, args.threads, args.statistics, out_dir)
            rows.append(row)
            print(f"  {trials:>11,} trials: {row['wall_seconds']:8.1f} s, {row['peak_rss_mib']:7.0f} MiB peak RSS "
                  f"({row['statistics']})", file=sys.stderr, flush=True)
    print("| trials | statistics | wall time (s) | trials/s | peak RSS (MiB) | mcrisk's estimate (MiB) |")
    print("|---:|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['trials']:,} | {row['statistics']} | {row['wall_seconds']:.1f} | {row['trials_per_second']:,.0f} | "
              f"{row['peak_rss_mib']:.0f} | {row['memory_estimate_mib']:.0f} |")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        partial = args.json + ".tmp"
        with open(partial, "w") as f:
            json.dump({"config": args.config, "threads": args.threads, "rows": rows}, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, args.json)


if __name__ == "__main__":
    main()
