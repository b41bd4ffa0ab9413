#!/usr/bin/env bash
# The MPI build's overhead at one rank (docs/scaling.md): mcrisk against
# mcrisk-mpi under `mpirun -np 1`, alternated REPEATS times so that both see the
# same load; prints each side's median total wall time (mpirun start-up
# included) and summary.json's run.wall_seconds, and their ratios.
# Usage: benchmarks/mpi_overhead.sh BUILD_DIR MODE TRIALS [REPEATS] [THREADS]
set -euo pipefail
build="${1:?build dir}"; mode="${2:?exact|streaming}"; trials="${3:?trials}"; repeats="${4:-8}"; threads="${5:-1}"
config="$(dirname "$0")/../configs/triborough_2010.yaml"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A total run
one() {  # side, command...
  local side="$1"; shift
  local start end
  start=$(date +%s.%N)
  "$@" run "$config" -n "$trials" -s 1 --threads "$threads" --statistics "$mode" -q -o "$out/$side" > /dev/null
  end=$(date +%s.%N)
  total[$side]+="$(echo "$end - $start" | bc) "
  run[$side]+="$(python3 -c "import json;print(json.load(open('$out/$side/summary.json'))['run']['wall_seconds'])") "
}
for _ in $(seq "$repeats"); do
  one plain "$build/engine/mcrisk"
  one mpi mpirun --allow-run-as-root --bind-to none -np 1 "$build/engine/mpi/mcrisk"
done
m() { tr ' ' '\n' <<< "$1" | grep . | median; }
pt=$(m "${total[plain]}"); mt=$(m "${total[mpi]}"); pr=$(m "${run[plain]}"); mr=$(m "${run[mpi]}")
echo "R1, $trials trials, --statistics $mode, $threads thread(s), median of $repeats alternated pairs; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "mcrisk                  total %6.2f s   run %6.2f s\n" "$pt" "$pr"
printf "mpirun -np 1 mcrisk-mpi total %6.2f s   run %6.2f s\n" "$mt" "$mr"
printf "ratio mpi/plain         total %6.2f     run %6.2f\n" "$(echo "$mt / $pt" | bc -l)" "$(echo "$mr / $pr" | bc -l)"
