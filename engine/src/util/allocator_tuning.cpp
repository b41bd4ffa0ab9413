#include "mcrisk/util/allocator_tuning.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mcrisk::util {

void tune_allocator_for_large_buffers() {
#if defined(__GLIBC__)
  // Setting either value also turns off glibc's adaptive threshold, which only
  // rises after the first large block has been mapped, freed and faulted in.
  constexpr int kMib = 1 << 20;
  mallopt(M_MMAP_THRESHOLD, 32 * kMib);  // glibc's largest allowed on 64-bit systems
  mallopt(M_TRIM_THRESHOLD, 256 * kMib);
#endif
}

}  // namespace mcrisk::util
