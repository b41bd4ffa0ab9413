#pragma once
// MCRISK_VECTOR_CLONES before a hot loop's function compiles it three times,
// for the x86-64 baseline (SSE2: two doubles a vector), x86-64-v3 (AVX2: four)
// and x86-64-v4 (AVX-512: eight), and picks one for the machine when the
// program starts (GCC's target_clones, through an ifunc). One binary runs
// everywhere and uses the widest vectors there. On this project's 2-core AMD
// machine the clones made a 3·10^6-trial R1 run about 10% faster on one thread
// (benchmarks/README.md).
//
// Results do not depend on the clone: the loops do the same IEEE operations in
// the same order on every lane (no contracted FMA, -ffp-contract=off; no
// reassociation, so no reordered sums), and add, multiply, divide and sqrt round
// the same way in any vector width. Where a loop asks for a fused multiply-add
// (std::fma: the lognormals' exp, model/exponential.h) it is one rounding in
// every clone too: an FMA instruction in the AVX2 and AVX-512 clones, libm's
// fma in the baseline (software, and slow, on a CPU without FMA). Eigen is not
// cloned (its kernels' summation order follows the vector width). The block
// forms are tested bit-identical to the scalar functions (uncloned), and
// tests/unit/golden_values_test.cpp pins the bits: in the normal build that
// runs the clone of the test machine (AVX-512 here), in the sanitizer build of
// scripts/test (no clones) the baseline. The AVX2 clone runs only on machines
// that have AVX2 but not AVX-512.
//
// A function the clone calls is compiled for the baseline and, unless inlined,
// runs as such: GCC inlines it into a clone only when it is marked
// [[gnu::always_inline]] (see OutputAccumulator::add_group). Check a new use
// with `objdump -d --no-show-raw-insn -C` (the clone's calls).
//
// GCC 12 or later on x86-64 Linux only (`arch=x86-64-vN` clones), and not in
// sanitizer builds (an ifunc's resolver can run before the sanitizer
// runtime has started); elsewhere, and for clang-tidy, a no-op: one baseline build.

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define MCRISK_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MCRISK_VECTOR_CLONES
#endif
