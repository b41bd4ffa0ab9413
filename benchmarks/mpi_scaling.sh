#!/usr/bin/env bash
# Strong scaling of mcrisk-mpi on this machine (docs/scaling.md): R1, a fixed
# number of trials, for ranks x threads in {1,2} x {1,2}, beside mcrisk (the
# plain build) on the same threads. Each point is the median of REPEATS runs;
# "total" is the process's wall time (mpirun start-up included), "run" is
# summary.json's run.wall_seconds (simulation and statistics, without start-up
# and file writing).
# Usage: benchmarks/mpi_scaling.sh BUILD_DIR MODE TRIALS [REPEATS]   (MODE: exact | streaming)
set -euo pipefail
build="${1:?build dir}"; mode="${2:?exact|streaming}"; trials="${3:?trials}"; repeats="${4:-3}"
config="$(dirname "$0")/../configs/triborough_2010.yaml"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {  # label, threads, command...
  local label="$1" threads="$2"; shift 2
  local totals=() runs=()
  for _ in $(seq "$repeats"); do
    local start end
    start=$(date +%s.%N)
    "$@" run "$config" -n "$trials" -s 1 --threads "$threads" --statistics "$mode" -q -o "$out/r" > /dev/null
    end=$(date +%s.%N)
    totals+=("$(echo "$end - $start" | bc)")
    runs+=("$(python3 -c "import json;print(json.load(open('$out/r/summary.json'))['run']['wall_seconds'])")")
  done
  printf "%-28s total %6.2f s   run %6.2f s\n" "$label" "$(printf '%s\n' "${totals[@]}" | median)" "$(printf '%s\n' "${runs[@]}" | median)"
}
mpi=(mpirun --oversubscribe --allow-run-as-root --bind-to none)
echo "R1, $trials trials, --statistics $mode, median of $repeats; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
for t in 1 2; do
  measure "mcrisk            -t $t" "$t" "$build/engine/mcrisk"
  measure "mcrisk-mpi -np 1  -t $t" "$t" "${mpi[@]}" -np 1 "$build/engine/mpi/mcrisk"
  measure "mcrisk-mpi -np 2  -t $t" "$t" "${mpi[@]}" -np 2 "$build/engine/mpi/mcrisk"
done
