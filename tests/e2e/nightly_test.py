#!/usr/bin/python3
"""scripts/nightly: its regression rules on seeded run histories (a throughput
drop beyond noise against the median of the last five nights, not noise; a bit
difference with the same engine build; a change beyond Monte Carlo noise after
an engine change, not one within it; a failed run), and the whole script end to
end in fast mode.

  nightly_test.py --mcrisk BUILD/engine/mcrisk --source SOURCE [--benchmark BUILD/benchmarks/r1_throughput]
"""

import argparse
import importlib.machinery
import importlib.util
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

ARGS = None


def load_nightly():
    path = os.path.join(ARGS.source, "scripts", "nightly")
    loader = importlib.machinery.SourceFileLoader("nightly", path)
    spec = importlib.util.spec_from_loader("nightly", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class SeededHistory:
    """A history with the engine's schema (made by mcrisk itself) and helpers to add fake nights."""

    def __init__(self, folder):
        self.path = os.path.join(folder, "history.sqlite")
        subprocess.run([ARGS.mcrisk, "history", "--history", self.path], check=True, stdout=subprocess.DEVNULL)
        self.connection = sqlite3.connect(self.path)
        self.connection.row_factory = sqlite3.Row

    def night(self, fast=0, binary="build-1", benchmarks=None):
        with self.connection:
            night = self.connection.execute(
                "INSERT INTO nightly_runs (started_at, fast, binary_sha256, status) VALUES ('2026-12-01T00:00:00Z', ?, ?, 'ok')",
                (fast, binary),
            ).lastrowid
            self.connection.execute("UPDATE nightly_runs SET batch = ? WHERE id = ?", (f"nightly-{night}", night))
            for name, rate in (benchmarks or {}).items():
                self.connection.execute(
                    "INSERT INTO benchmark_results (nightly_id, name, trials_per_second) VALUES (?, ?, ?)", (night, name, rate)
                )
        return night

    def run(self, night, results="r-1", mean=1000.0, mean_se=10.0, status="ok", commit="c1", seed=7):
        with self.connection:
            run = self.connection.execute(
                "INSERT INTO runs (started_at, status, error, command, batch, config_path, config_sha256, seed, trials, sampling, "
                "engine_version, engine_commit, results_sha256) VALUES ('2026-12-01T00:00:00Z', ?, ?, 'batch', ?, 'configs/r1.yaml', "
                "'cfg', ?, 2000, 'mc', '0.1.0', ?, ?)",
                (status, "it broke" if status != "ok" else None, f"nightly-{night}", seed, commit, results),
            ).lastrowid
            if status == "ok":
                self.connection.execute(
                    "INSERT INTO option_results VALUES (?, 0, 'A', ?, ?, 500, 20, 1000, 1500, 20, 0.05, 0.005, 100, 1)", (run, mean, mean_se)
                )
        return run


class RegressionRules(unittest.TestCase):
    def setUp(self):
        self.nightly = load_nightly()
        self.folder = tempfile.mkdtemp(prefix="mcrisk-nightly-test-")
        self.history = SeededHistory(self.folder)

    def test_throughput_drop_beyond_noise_is_flagged_and_noise_is_not(self):
        h = self.history
        h.night(benchmarks={"BM_R1EndToEnd/100000/1": 1_000_000})  # older than the last five: not in the median
        for rate in (100_000, 101_000, 99_000, 100_500, 99_500):
            h.night(benchmarks={"BM_R1EndToEnd/100000/1": rate})
        noise = h.night(benchmarks={"BM_R1EndToEnd/100000/1": 97_000})
        flags, notes = self.nightly.throughput_flags(h.connection, noise, 0.10)
        self.assertEqual(flags, [])
        self.assertIn("median of 100000 over the last 5 night(s)", notes[0])
        drop = h.night(benchmarks={"BM_R1EndToEnd/100000/1": 80_000})
        flags, _ = self.nightly.throughput_flags(h.connection, drop, 0.10)
        self.assertEqual(len(flags), 1)
        # The last five are now 101,000 ... 97,000: median 99,500.
        self.assertIn("BM_R1EndToEnd/100000/1: 80000 trials/s against a median of 99500 over the last 5 night(s) (-19.6%", flags[0])
        # A faster night is never flagged.
        faster = h.night(benchmarks={"BM_R1EndToEnd/100000/1": 150_000})
        self.assertEqual(self.nightly.throughput_flags(h.connection, faster, 0.10)[0], [])

    def test_noisy_history_widens_the_tolerance(self):
        h = self.history
        for rate in (100_000, 70_000, 130_000, 85_000, 115_000):  # MAD 15,000: tolerance 3 x 1.4826 x 15% = 67%
            h.night(benchmarks={"BM": rate})
        night = h.night(benchmarks={"BM": 60_000})
        flags, notes = self.nightly.throughput_flags(h.connection, night, 0.10)
        self.assertEqual(flags, [])
        self.assertIn("tolerance 66.7%", notes[0])

    def test_fast_nights_are_compared_only_with_fast_nights(self):
        h = self.history
        for _ in range(5):
            h.night(fast=0, benchmarks={"BM": 100_000})
        fast = h.night(fast=1, benchmarks={"BM": 10_000})
        flags, notes = self.nightly.throughput_flags(h.connection, fast, 0.25)
        self.assertEqual(flags, [])
        self.assertIn("no earlier nights", notes[0])

    def test_any_bit_difference_with_the_same_build_is_flagged(self):
        h = self.history
        h.run(h.night(binary="X"), results="r-1")
        same = h.night(binary="X")
        h.run(same, results="r-1")
        flags, notes = self.nightly.result_flags(h.connection, same)
        self.assertEqual(flags, [])
        self.assertIn("bit-identical", notes[0])
        different = h.night(binary="X")
        h.run(different, results="r-2")  # the figures are the same; some bit elsewhere in the summary is not
        flags, _ = self.nightly.result_flags(h.connection, different)
        self.assertEqual(len(flags), 1)
        self.assertIn("results differ", flags[0])
        self.assertIn("with the same engine build", flags[0])

    def test_after_an_engine_change_only_changes_beyond_noise_are_flagged(self):
        h = self.history
        h.run(h.night(binary="X"), results="r-1", mean=1000, mean_se=10, commit="c1")
        within = h.night(binary="Y")
        h.run(within, results="r-2", mean=1030, mean_se=10, commit="c2")  # z = 30 / 14.1 = 2.1
        flags, notes = self.nightly.result_flags(h.connection, within)
        self.assertEqual(flags, [])
        self.assertIn("within noise", notes[0])
        beyond = h.night(binary="Z")
        h.run(beyond, results="r-3", mean=1100, mean_se=10, commit="c3")  # z = 70 / 14.1 = 4.9 against night "within"
        flags, _ = self.nightly.result_flags(h.connection, beyond)
        self.assertEqual(len(flags), 1)
        self.assertIn("beyond Monte Carlo noise", flags[0])
        self.assertIn("A mean 1030 -> 1100 (z = +4.9)", flags[0])

    def test_a_different_seed_is_not_compared(self):
        h = self.history
        h.run(h.night(binary="X"), results="r-1", seed=1)
        night = h.night(binary="X")
        h.run(night, results="r-2", seed=2)
        flags, notes = self.nightly.result_flags(h.connection, night)
        self.assertEqual(flags, [])
        self.assertIn("first nightly run", notes[0])

    def test_a_failed_run_is_flagged(self):
        h = self.history
        night = h.night()
        h.run(night, status="failed")
        flags, _ = self.nightly.result_flags(h.connection, night)
        self.assertEqual(len(flags), 1)
        self.assertIn("failed: it broke", flags[0])


class EndToEnd(unittest.TestCase):
    def test_fast_mode_twice(self):
        folder = tempfile.mkdtemp(prefix="mcrisk-nightly-e2e-")
        history = os.path.join(folder, "history.sqlite")
        command = [sys.executable, os.path.join(ARGS.source, "scripts", "nightly"), "--fast", "--no-build", "--mcrisk", ARGS.mcrisk,
                   "--history", history, "--min-tolerance", "0.9"]  # timing on a shared machine: only the results must hold exactly
        command += ["--benchmark", ARGS.benchmark] if ARGS.benchmark else ["--no-benchmarks"]
        for night in (1, 2):
            completed = subprocess.run(command + ["--work", os.path.join(folder, f"night{night}")], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, timeout=300)
            self.assertEqual(completed.returncode, 0, completed.stdout)
            self.assertIn(f"nightly {night}: OK", completed.stdout)
        self.assertIn("bit-identical to run", completed.stdout)
        connection = sqlite3.connect(history)
        self.assertEqual(connection.execute("SELECT COUNT(*) FROM nightly_runs WHERE status = 'ok' AND fast = 1").fetchone()[0], 2)
        configs = len([name for name in os.listdir(os.path.join(ARGS.source, "configs")) if name.endswith(".yaml")])
        self.assertEqual(connection.execute("SELECT COUNT(*) FROM runs WHERE batch = 'nightly-2' AND status = 'ok'").fetchone()[0], configs)
        if ARGS.benchmark:
            rates = connection.execute("SELECT trials_per_second FROM benchmark_results WHERE nightly_id = 2").fetchall()
            self.assertGreaterEqual(len(rates), 1)
            self.assertGreater(rates[0][0], 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mcrisk", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--benchmark")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
