#pragma once
// Fixed-layout binary encoding for state that leaves the process (checkpoints,
// MPI messages): integers little-endian whatever the host, doubles as their
// IEEE-754 bits (so a value comes back bit for bit, NaN payloads and -0.0
// included), strings and arrays with a 64-bit length first. Hand-written
// rather than Boost.Serialization or CBOR because the layout itself is the
// contract (versioned, fingerprinted, read by other builds and ranks), large
// arrays of doubles must not go through a generic value tree, and a short or
// damaged input must fail with a message naming the field being read.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mcrisk::util {

//! Appends fields to a byte vector.
class ByteWriter {
 public:
  void u8(std::uint8_t value) { bytes_.push_back(value); }
  void u32(std::uint32_t value) { put(value, 4); }
  void u64(std::uint64_t value) { put(value, 8); }
  void i64(std::int64_t value) { put(static_cast<std::uint64_t>(value), 8); }
  void f64(double value);
  //! A 64-bit length, then the characters.
  void string(std::string_view text);
  //! Doubles without a length (the reader knows how many).
  void f64_array(std::span<const double> values);
  void raw(std::span<const std::uint8_t> data);

  std::size_t size() const { return bytes_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::vector<std::uint8_t> release() { return std::move(bytes_); }

 private:
  void put(std::uint64_t value, int width) {
    for (int k = 0; k < width; ++k) bytes_.push_back(static_cast<std::uint8_t>(value >> (8 * k)));
  }
  std::vector<std::uint8_t> bytes_;
};

//! Reads fields in order; every read names its field, and reading past the
//! end throws std::runtime_error "<what> is truncated: <field> needs N bytes at byte P of M".
class ByteReader {
 public:
  ByteReader(std::span<const std::uint8_t> bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  std::uint8_t u8(std::string_view field) { return bytes_[take(1, field)]; }
  std::uint32_t u32(std::string_view field) { return static_cast<std::uint32_t>(get(4, field)); }
  std::uint64_t u64(std::string_view field) { return get(8, field); }
  std::int64_t i64(std::string_view field) { return static_cast<std::int64_t>(get(8, field)); }
  double f64(std::string_view field);
  //! A length-prefixed string of at most max_length characters.
  std::string string(std::string_view field, std::size_t max_length = 4096);
  //! `count` doubles into `into` (resized).
  void f64_array(std::string_view field, std::size_t count, std::vector<double>& into);
  std::span<const std::uint8_t> raw(std::size_t count, std::string_view field) { return bytes_.subspan(take(count, field), count); }

  std::size_t position() const { return position_; }
  std::size_t remaining() const { return bytes_.size() - position_; }
  //! Throws unless every byte has been read ("<what> has N bytes after its end").
  void expect_end() const;
  //! Throws std::runtime_error "<what> <message>" (message e.g. "has a bad checksum").
  [[noreturn]] void fail(std::string_view message) const;

 private:
  std::size_t take(std::size_t count, std::string_view field);
  std::uint64_t get(int width, std::string_view field) {
    const std::size_t at = take(std::size_t(width), field);
    std::uint64_t value = 0;
    for (int k = 0; k < width; ++k) value |= std::uint64_t{bytes_[at + std::size_t(k)]} << (8 * k);
    return value;
  }
  std::span<const std::uint8_t> bytes_;
  std::string what_;
  std::size_t position_ = 0;
};

//! SHA-256 of bytes (OpenSSL), for checksums and fingerprints of encoded state.
std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes);
//! SHA-256 of text, lowercase hex (config hashes in summaries and the run history).
std::string sha256_hex(std::string_view bytes);

}  // namespace mcrisk::util
