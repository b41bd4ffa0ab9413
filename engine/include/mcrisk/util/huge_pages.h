#pragma once
// Zeroed memory for large buffers that are filled densely (the driver ranking's
// stored first trials), mapped from the system in 2 MiB-aligned pieces and
// advised onto transparent huge pages (madvise(MADV_HUGEPAGE)).
//
// Why: on this project's VM every 4 KiB page a process touches for the first
// time costs 5-10 us (the hypervisor backs it), read or write alike, and
// MAP_POPULATE does not avoid it; a 2 MiB huge page cost 0.25-2.5 us per
// 4 KiB it holds in a microbenchmark (its zeroing dominates, and varies with how
// the host backs the memory). A 2·10^5-trial R1 run touched some 25,000 fresh
// 4 KiB pages, most of its fixed cost (benchmarks/README.md). A buffer touched only
// sparsely should not live here: a huge page backs all of its 2 MiB at once.
//
// Where huge pages are unavailable (THP off, another OS) the memory is the
// same, zeroed and usable, on ordinary pages: the advice only changes speed.

#include <cstddef>
#include <mutex>
#include <vector>

namespace mcrisk::util {

class HugePageBuffer {
 public:
  HugePageBuffer() = default;
  //! At least `bytes` bytes, zero, aligned to 2 MiB when bytes >= 2 MiB on Linux (else to a 4 KiB page);
  //! throws std::bad_alloc if the system refuses the mapping.
  explicit HugePageBuffer(std::size_t bytes);
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  ~HugePageBuffer();

  void* data() const { return data_; }
  //! Bytes usable (the requested size rounded up to whole pages).
  std::size_t size() const { return bytes_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

//! Zeroed blocks carved in order from slabs of one size (HugePageBuffers: on huge
//! pages when a slab is 2 MiB or more), all freed together with the arena. For
//! many small structures filled by one thread that would otherwise each fault in
//! their own pages (a streaming run's 42 quantile sketches). Thread-safe (a
//! mutex: blocks are pages and buffers, taken rarely), so that the structures
//! sharing an arena can be merged and read in parallel.
class PageArena {
 public:
  static constexpr std::size_t kHugeSlab = std::size_t{2} << 20;
  explicit PageArena(std::size_t slab_bytes) : slab_bytes_(slab_bytes) {}
  //! `bytes` zeroed bytes, 64-byte aligned; a block larger than a slab gets a slab of its own.
  void* allocate(std::size_t bytes);
  //! Bytes mapped for the arena's slabs.
  std::size_t bytes_mapped() const;

 private:
  mutable std::mutex mutex_;
  std::size_t slab_bytes_;
  std::vector<HugePageBuffer> slabs_;  // every slab, and every block larger than a slab
  unsigned char* filling_ = nullptr;   // the slab blocks come from (a slab of slab_bytes_, never a large block)
  std::size_t filling_size_ = 0, filling_used_ = 0;
};

}  // namespace mcrisk::util
