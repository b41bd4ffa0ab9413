#!/usr/bin/python3
"""The MPI build under mpirun gives the plain build's results bit for bit.

For each case (run exact, run lhs, run --precision, run streaming, scenarios,
sensitivity, batch) the plain mcrisk writes the reference; the MPI mcrisk then runs
under `mpirun --oversubscribe --allow-run-as-root -np K` for every K in
--ranks, and each result file must equal the reference once the run's
metadata (ranks, threads, wall time, the memory estimate that depends on
threads) is removed: every number is compared by its exact text, which
nlohmann-json writes with enough digits to round-trip a double. CSV files are
compared byte for byte.

mcrisk-mpi without mpirun must equal mcrisk too. Then the failure cases: a
missing config (an error on every rank), and one rank throwing or killed by
SIGKILL, must end the whole job with a non-zero exit within the timeout, and
leave no result file.

Usage: mpi_determinism_test.py --plain PLAIN_MCRISK --mpi MPI_MCRISK --source SRC [--ranks 1,2,3,4]
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

# Run metadata, not results: where and how fast the run ran.
METADATA = {("run", "threads"), ("run", "ranks"), ("run", "wall_seconds"), ("statistics", "memory_estimate_bytes")}
TIMEOUT = 300  # seconds for any one command; a hang fails the test instead of stalling CI


def strip_metadata(document):
    for section, key in METADATA:
        if isinstance(document.get(section), dict):
            document[section].pop(key, None)
    return document


def load_json(path):
    # Floats kept as their text: comparing text compares bits (shortest round-trip form).
    with open(path) as f:
        return strip_metadata(json.load(f, parse_float=str))


def first_difference(a, b, where=""):
    if type(a) is not type(b):
        return f"{where}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}/{key}: present in only one"
            found = first_difference(a[key], b[key], f"{where}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{where}: {a!r} vs {b!r}"


def run(command, env=None):
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    return result, time.monotonic() - start


def mpirun(ranks, *args):
    return ["mpirun", "--oversubscribe", "--allow-run-as-root", "-np", str(ranks), *args]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plain", required=True, help="mcrisk of the plain build (the reference)")
    parser.add_argument("--mpi", required=True, help="mcrisk of the MPI build")
    parser.add_argument("--source", required=True, help="source tree (for configs/)")
    parser.add_argument("--ranks", default="1,2,3,4")
    parser.add_argument("--streaming-ranks", default=None, help="ranks for the streaming case (default: --ranks)")
    args = parser.parse_args()
    for binary in (args.plain, args.mpi):
        if not os.access(binary, os.X_OK):
            sys.exit(f"FAIL: {binary} is not an executable (build the plain `mcrisk` target first; see scripts/test)")
    if shutil.which("mpirun") is None:
        sys.exit("FAIL: mpirun not found (scripts/setup installs openmpi-bin)")
    config = str(pathlib.Path(args.source) / "configs" / "triborough_2010.yaml")
    ranks = [int(k) for k in args.ranks.split(",")]
    streaming_ranks = [int(k) for k in (args.streaming_ranks or args.ranks).split(",")]
    work = pathlib.Path(tempfile.mkdtemp(prefix="mcrisk-mpi-"))
    failures = []

    # name, command and its options, files compared, ranks. The plain reference runs on 2 threads and
    # the ranks on 1: neither the thread count nor the rank count may change a bit.
    cases = [
        ("run exact", ["run", config, "-n", "20000", "-s", "11", "--statistics", "exact", "-q"], ["summary.json", "summary.csv"], ranks),
        # 2 blocks on up to 4 ranks: some ranks have no trials at all.
        ("run tiny", ["run", config, "-n", "300", "-s", "10", "--statistics", "exact", "-q"], ["summary.json", "summary.csv"], ranks),
        ("run lhs", ["run", config, "-n", "20000", "-s", "12", "--sampling", "lhs", "--replicates", "10", "-q"],
         ["summary.json", "summary.csv"], ranks),
        ("run --precision", ["run", config, "-n", "4000", "-s", "13", "--precision", "4000", "--precision-prob", "0.01",
                             "--statistics", "exact", "--max-trials", "200000", "-q"], ["summary.json", "summary.csv"], ranks),
        ("run --precision streaming", ["run", config, "-n", "4096", "-s", "13", "--precision", "4000", "--precision-prob", "0.01",
                                       "--statistics", "streaming", "-q"], ["summary.json", "summary.csv"], streaming_ranks),
        ("run streaming", ["run", config, "-n", "20000", "-s", "14", "--statistics", "streaming", "-q"], ["summary.json", "summary.csv"],
         streaming_ranks),
        ("scenarios", ["scenarios", config, "-n", "20000", "-s", "15"], ["scenarios.json"], ranks),
        ("sensitivity", ["sensitivity", config, "-n", "4000", "-s", "16", "--sobol-trials", "1024", "--bootstrap", "100",
                         "--switching-trials", "2000"], ["sensitivity.json"], ranks),
    ]
    # A batch of three runs (exact, a scenario, streaming), each into OUT/<name>/.
    manifest = work / "batch.yaml"
    manifest.write_text("mcrisk_batch: 1\n"
                        "defaults: {trials: 5000, seed: 18, sampling: mc, statistics: exact}\n"
                        "runs:\n"
                        f"  - config: {config}\n"
                        "    scenario: [base, deep_grant_cut]\n"
                        f"  - {{name: streamed, config: {config}, statistics: streaming, trials: 6000}}\n")
    cases.append(("batch", ["batch", str(manifest), "--no-history"],
                  ["triborough_2010-s18-n5000-mc/summary.json", "triborough_2010-deep_grant_cut-s18-n5000-mc/summary.json",
                   "streamed-s18-n6000-mc/summary.json", "streamed-s18-n6000-mc/summary.csv"], ranks))
    for name, command, files, case_ranks in cases:
        reference = work / (name.replace(" ", "_") + "-plain")
        result, seconds = run([args.plain, *command, "-o", str(reference), "--threads", "2"])
        if result.returncode != 0:
            failures.append(f"{name}: the plain build failed: {result.stderr.strip()}")
            continue
        print(f"{name}: plain build {seconds:.1f} s")
        for k in case_ranks:
            out = work / (name.replace(" ", "_") + f"-np{k}")
            failures_before = len(failures)
            result, seconds = run(mpirun(k, args.mpi, *command, "-o", str(out), "--threads", "1"))
            if result.returncode != 0:
                failures.append(f"{name}, {k} ranks: exit {result.returncode}: {result.stderr.strip()}")
                continue
            for file in files:
                if file.endswith(".json"):
                    mine, theirs = load_json(out / file), load_json(reference / file)
                    if theirs.get("run", {}).get("ranks", 1) != 1:
                        failures.append(f"{name}: the plain build records ranks != 1")
                    difference = first_difference(theirs, mine)
                    ranks_recorded = json.load(open(out / file)).get("run", {}).get("ranks", k)
                    if ranks_recorded != k:
                        failures.append(f"{name}, {k} ranks: {file} records ranks = {ranks_recorded}")
                else:
                    difference = None if (out / file).read_bytes() == (reference / file).read_bytes() else "bytes differ"
                if difference:
                    failures.append(f"{name}, {k} ranks: {file} differs from the plain build at {difference}")
            print(f"{name}: {k} rank(s) {seconds:.1f} s, {'same bits' if len(failures) == failures_before else 'DIFFERENT'}")

    # mcrisk-mpi started without mpirun (an MPI singleton) is a single process like mcrisk.
    reference = work / "singleton-plain"
    singleton = work / "singleton"
    plain_result, _ = run([args.plain, "run", config, "-n", "3000", "-s", "17", "-q", "-o", str(reference)])
    result, _ = run([args.mpi, "run", config, "-n", "3000", "-s", "17", "-q", "-o", str(singleton)])
    if plain_result.returncode != 0 or result.returncode != 0:
        failures.append(f"singleton: exits {plain_result.returncode} and {result.returncode}: {result.stderr.strip()[:400]}")
    elif first_difference(load_json(reference / "summary.json"), load_json(singleton / "summary.json")):
        failures.append("singleton: summary.json differs from the plain build's")
    else:
        print("singleton (no mpirun): same bits")

    # An error every rank meets (a missing config) ends the job once, clearly.
    result, seconds = run(mpirun(3, args.mpi, "run", str(pathlib.Path(config).with_name("no_such_config.yaml")), "-q", "-o",
                                 str(work / "missing")))
    if result.returncode == 0 or "cannot open the config file" not in result.stderr or (work / "missing").exists():
        failures.append(f"missing config: exit {result.returncode}, stderr {result.stderr.strip()[:400]}")
    print(f"missing config on 3 ranks: exit {result.returncode} after {seconds:.1f} s")

    # A failing rank ends the job: non-zero exit, no hang, no result file.
    for fault in ["throw@1", "kill@1", "throw@2"]:
        out = work / f"fault-{fault.replace('@', '-')}"
        env = dict(os.environ, MCRISK_TEST_FAULT=fault)
        try:
            result, seconds = run(mpirun(3, "-x", "MCRISK_TEST_FAULT", args.mpi, "sensitivity", config, "-n", "4000", "--sobol-trials", "512",
                                         "--bootstrap", "10", "--no-switching", "-o", str(out), "--threads", "1"), env=env)
        except subprocess.TimeoutExpired:
            failures.append(f"fault {fault}: the job hung (no exit within {TIMEOUT} s)")
            continue
        if result.returncode == 0:
            failures.append(f"fault {fault}: the job exited 0")
        if (out / "sensitivity.json").exists():
            failures.append(f"fault {fault}: a result file was written")
        if fault.startswith("throw") and f"failed on purpose (MCRISK_TEST_FAULT={fault})" not in result.stderr:
            failures.append(f"fault {fault}: stderr does not name the error: {result.stderr.strip()[:400]}")
        if fault.startswith("kill") and "signal 9" not in result.stderr + result.stdout:
            failures.append(f"fault {fault}: mpirun did not report the killed rank: {result.stderr.strip()[:400]}")
        print(f"fault {fault}: exit {result.returncode} after {seconds:.1f} s")

    shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("\n".join("FAIL: " + failure for failure in failures))
        return 1
    print("OK: bit-identical on ranks " + args.ranks + "; failing ranks end the job")
    return 0


if __name__ == "__main__":
    sys.exit(main())
