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
// the same order on every lane (no FMA, -ffp-contract=off; no reassociation, so
// no reordered sums), and add, multiply, divide and sqrt round the same way in
// any vector width. Eigen is not cloned (its kernels' summation order follows
// the vector width). The block forms are tested bit-identical to the scalar
// functions (uncloned), and tests/unit/golden_values_test.cpp pins the bits.
//
// GCC on x86-64 Linux only; elsewhere (and for clang-tidy) a no-op.

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MCRISK_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MCRISK_VECTOR_CLONES
#endif
