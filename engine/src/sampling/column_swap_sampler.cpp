#include "mcrisk/sampling/column_swap_sampler.h"

#include <stdexcept>
#include <utility>

#include "mcrisk/sampling/unit_cube_sampler.h"

namespace mcrisk::sampling {

ColumnSwapSampler::ColumnSwapSampler(std::shared_ptr<const UnitCubeSampler> source, std::vector<bool> from_b)
    : source_(std::move(source)), from_b_(std::move(from_b)) {
  if (!source_) throw std::invalid_argument("a column-swap sampler needs a source sampler");
  if (source_->dimensions() != 2 * from_b_.size()) {
    throw std::invalid_argument("a column-swap sampler over " + std::to_string(from_b_.size()) + " dimensions needs a source of " +
                                std::to_string(2 * from_b_.size()) + " dimensions (A then B), not " + std::to_string(source_->dimensions()));
  }
}

void ColumnSwapSampler::fill(std::uint64_t first_trial, std::size_t n, double* u, std::size_t stride) const {
  // The source writes both halves; the block's scratch is per thread (scratch
  // only: a lane's values depend on nothing but its trial index), allocated
  // once and grown when a larger block comes.
  thread_local std::vector<double> both;
  if (both.size() < 2 * from_b_.size() * n) both.resize(2 * from_b_.size() * n);
  source_->fill(first_trial, n, both.data(), n);
  for (std::size_t k = 0; k < from_b_.size(); ++k) {
    const double* from = both.data() + source_dimension(k) * n;
    double* to = u + k * stride;
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  }
}

double ColumnSwapSampler::uniform(std::uint64_t trial, std::size_t dimension) const {
  if (dimension >= from_b_.size()) throw std::out_of_range("dimension beyond the sampler's");
  return source_->uniform(trial, source_dimension(dimension));
}

}  // namespace mcrisk::sampling
