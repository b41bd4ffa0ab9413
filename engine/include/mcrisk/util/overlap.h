#pragma once
// Whether two arrays share any element: for the block functions that may be
// called in place (their output one of their inputs) and must then work on a copy.

#include <cstddef>
#include <cstdint>

namespace mcrisk::util {

//! True if [a, a + a_count) and [b, b + b_count) overlap. Compared as addresses: < between pointers into
//! different arrays is unspecified.
template <typename T>
bool overlaps(const T* a, std::size_t a_count, const T* b, std::size_t b_count) {
  const auto a_at = reinterpret_cast<std::uintptr_t>(a), b_at = reinterpret_cast<std::uintptr_t>(b);
  return a_at < b_at + b_count * sizeof(T) && b_at < a_at + a_count * sizeof(T);
}

}  // namespace mcrisk::util
