#include "mcrisk/util/huge_pages.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mcrisk::util {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;

std::size_t round_up(std::size_t bytes, std::size_t unit) { return (bytes + unit - 1) / unit * unit; }

}  // namespace

#if defined(__linux__)

HugePageBuffer::HugePageBuffer(std::size_t bytes) {
  if (bytes == 0) return;
  const bool huge = bytes >= kHugePage;
  const std::size_t size = round_up(bytes, huge ? kHugePage : kPage);
  // Over-map by one huge page and trim both ends, so the buffer starts on a 2 MiB boundary
  // (a huge page can only back an aligned 2 MiB range).
  const std::size_t mapped = huge ? size + kHugePage : size;
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  auto* start = static_cast<unsigned char*>(base);
  if (huge) {
    const auto address = reinterpret_cast<std::uintptr_t>(start);
    const std::size_t head = round_up(address, kHugePage) - address;
    if (head > 0) munmap(start, head);
    const std::size_t tail = mapped - head - size;
    if (tail > 0) munmap(start + head + size, tail);
    start += head;
    // Advice only: refused (THP disabled), the buffer works on 4 KiB pages.
    madvise(start, size, MADV_HUGEPAGE);
  }
  data_ = start;
  bytes_ = size;
}

HugePageBuffer::~HugePageBuffer() {
  if (data_ != nullptr) munmap(data_, bytes_);
}

#else

HugePageBuffer::HugePageBuffer(std::size_t bytes) {
  if (bytes == 0) return;
  bytes_ = round_up(bytes, kPage);
  data_ = std::aligned_alloc(kPage, bytes_);  // page-aligned, so PageArena's blocks are 64-byte aligned here too
  if (data_ == nullptr) throw std::bad_alloc();
  std::memset(data_, 0, bytes_);
}

HugePageBuffer::~HugePageBuffer() { std::free(data_); }

#endif

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    HugePageBuffer gone(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void* PageArena::allocate(std::size_t bytes) {
  const std::lock_guard lock(mutex_);
  bytes = round_up(bytes, 64);
  if (bytes > slab_bytes_) {
    slabs_.emplace_back(bytes);  // a block of its own; the slab being filled stays as it is
    return slabs_.back().data();
  }
  if (filling_ == nullptr || filling_used_ + bytes > filling_size_) {
    slabs_.emplace_back(slab_bytes_);
    filling_ = static_cast<unsigned char*>(slabs_.back().data());
    filling_size_ = slabs_.back().size();
    filling_used_ = 0;
  }
  void* block = filling_ + filling_used_;
  filling_used_ += bytes;
  return block;
}

std::size_t PageArena::bytes_mapped() const {
  const std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& slab : slabs_) total += slab.size();
  return total;
}

}  // namespace mcrisk::util
