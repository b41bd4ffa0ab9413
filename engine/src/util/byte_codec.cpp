#include "mcrisk/util/byte_codec.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace mcrisk::util {

void ByteWriter::f64(double value) { u64(std::bit_cast<std::uint64_t>(value)); }

void ByteWriter::string(std::string_view text) {
  u64(text.size());
  bytes_.insert(bytes_.end(), text.begin(), text.end());
}

void ByteWriter::raw(std::span<const std::uint8_t> data) {
  // Out of line, resize and copy: GCC 12 warns falsely (stringop-overflow) on an inlined vector::insert of a short span.
  const std::size_t at = bytes_.size();
  bytes_.resize(at + data.size());
  if (!data.empty()) std::memcpy(bytes_.data() + at, data.data(), data.size());
}

void ByteWriter::f64_array(std::span<const double> values) {
  // Grow geometrically: reserving exactly what each call needs would reallocate
  // and copy the whole buffer on every call, quadratic in the number of arrays.
  const std::size_t needed = bytes_.size() + 8 * values.size();
  if (needed > bytes_.capacity()) bytes_.reserve(std::max(needed, 2 * bytes_.capacity()));
  if constexpr (std::endian::native == std::endian::little) {
    // The format is little-endian: the doubles' bytes as they are in memory.
    const std::size_t at = bytes_.size();
    bytes_.resize(needed);
    if (!values.empty()) std::memcpy(bytes_.data() + at, values.data(), 8 * values.size());
  } else {
    for (double value : values) f64(value);
  }
}

double ByteReader::f64(std::string_view field) { return std::bit_cast<double>(get(8, field)); }

std::string ByteReader::string(std::string_view field, std::size_t max_length) {
  const std::uint64_t length = u64(field);
  if (length > max_length) fail(fmt::format("is damaged: {} claims {} bytes, more than the {} allowed", field, length, max_length));
  const auto text = raw(std::size_t(length), field);
  return {text.begin(), text.end()};
}

void ByteReader::f64_array(std::string_view field, std::size_t count, std::vector<double>& into) {
  if (count > remaining() / 8) {
    fail(fmt::format("is truncated: {} needs {} doubles at byte {} but only {} bytes are left", field, count, position_, remaining()));
  }
  into.resize(count);
  for (std::size_t i = 0; i < count; ++i) into[i] = f64(field);
}

std::size_t ByteReader::take(std::size_t count, std::string_view field) {
  if (count > remaining()) {
    fail(fmt::format("is truncated: {} needs {} bytes at byte {} of {}", field, count, position_, bytes_.size()));
  }
  const std::size_t at = position_;
  position_ += count;
  return at;
}

void ByteReader::expect_end() const {
  if (remaining() != 0) fail(fmt::format("has {} bytes after its end at byte {}", remaining(), position_));
}

// e.g. "run accumulator state is truncated: ..."
void ByteReader::fail(std::string_view message) const { throw std::runtime_error(fmt::format("{} {}", what_, message)); }

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 || length != digest.size()) {
    throw std::runtime_error("SHA-256 failed (OpenSSL)");
  }
  return digest;
}

std::string sha256_hex(std::string_view bytes) {
  const auto digest = sha256({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (const std::uint8_t byte : digest) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xf];
  }
  return hex;
}

}  // namespace mcrisk::util
