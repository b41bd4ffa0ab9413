#include "mcrisk/statistics/run_checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include "mcrisk/util/atomic_file.h"
#include "mcrisk/util/byte_codec.h"

namespace mcrisk::statistics {

namespace {

constexpr char kMagic[8] = {'M', 'C', 'R', 'I', 'S', 'K', 'C', 'P'};
constexpr std::size_t kChecksumBytes = 32;

}  // namespace

std::uint64_t RunCheckpoint::trials_done() const {
  std::uint64_t total = 0;
  for (const auto& [begin, end] : done) total += end - begin;
  return total;
}

std::filesystem::path checkpoint_path(const std::filesystem::path& directory) { return directory / "checkpoint.mcrisk"; }

void write_checkpoint(const std::filesystem::path& file, const RunCheckpoint& checkpoint) {
  util::ByteWriter out;
  out.raw({reinterpret_cast<const std::uint8_t*>(kMagic), sizeof kMagic});
  out.u32(RunCheckpoint::kFormatVersion);
  out.string(checkpoint.engine_version);
  out.string(checkpoint.config_file);
  out.string(checkpoint.config_sha256);
  out.string(checkpoint.scenario);
  out.u64(checkpoint.seed);
  out.u64(checkpoint.trials_requested);
  out.string(checkpoint.sampling);
  out.u64(checkpoint.replicate_size);
  out.string(checkpoint.statistics_mode);
  out.u64(checkpoint.block_size);
  out.u64(checkpoint.done.size());
  for (const auto& [begin, end] : checkpoint.done) {
    out.u64(begin);
    out.u64(end);
  }
  out.string(checkpoint.command_options);
  out.u64(checkpoint.state.size());
  out.raw(checkpoint.state);
  std::vector<std::uint8_t> bytes = out.release();
  const auto checksum = util::sha256(bytes);
  bytes.insert(bytes.end(), checksum.begin(), checksum.end());
  std::filesystem::create_directories(file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path());
  util::write_file_atomically(file, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

RunCheckpoint read_checkpoint(const std::filesystem::path& file) {
  std::ifstream in_file(file, std::ios::binary);
  if (!in_file) throw std::runtime_error(fmt::format("no checkpoint {} to resume from (a run leaves one only when it is interrupted)", file.string()));
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in_file), std::istreambuf_iterator<char>()};
  const std::string what = "checkpoint " + file.string();
  if (bytes.size() < sizeof kMagic + 4 + kChecksumBytes || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw std::runtime_error(what + " is not an mcrisk checkpoint (it does not start with \"MCRISKCP\")");
  }
  const std::span<const std::uint8_t> body(bytes.data(), bytes.size() - kChecksumBytes);
  util::ByteReader in(body, what);
  (void)in.raw(sizeof kMagic, "magic");
  const std::uint32_t version = in.u32("format version");
  if (version != RunCheckpoint::kFormatVersion) {
    in.fail(fmt::format("has format version {}; this build of mcrisk reads version {} (resume it with the mcrisk that wrote it)", version,
                        RunCheckpoint::kFormatVersion));
  }
  const auto checksum = util::sha256(body);
  if (!std::equal(checksum.begin(), checksum.end(), bytes.end() - std::ptrdiff_t(kChecksumBytes))) {
    in.fail("is damaged or truncated: its SHA-256 checksum does not match its contents; start the run again");
  }
  RunCheckpoint checkpoint;
  checkpoint.engine_version = in.string("engine version");
  checkpoint.config_file = in.string("config file");
  checkpoint.config_sha256 = in.string("config sha256");
  checkpoint.scenario = in.string("scenario");
  checkpoint.seed = in.u64("seed");
  checkpoint.trials_requested = in.u64("trials requested");
  checkpoint.sampling = in.string("sampling");
  checkpoint.replicate_size = in.u64("replicate size");
  checkpoint.statistics_mode = in.string("statistics mode");
  checkpoint.block_size = in.u64("block size");
  const std::uint64_t ranges = in.u64("number of done ranges");
  if (ranges > in.remaining() / 16) in.fail("is damaged: it claims more done ranges than it has bytes");
  for (std::uint64_t r = 0; r < ranges; ++r) {
    const std::uint64_t begin = in.u64("done range start"), end = in.u64("done range end");
    if (!(begin < end && end <= checkpoint.trials_requested && (checkpoint.done.empty() || begin > checkpoint.done.back().second))) {
      in.fail("is damaged: its done trial ranges are out of order or beyond the trials requested");
    }
    checkpoint.done.emplace_back(begin, end);
  }
  checkpoint.command_options = in.string("command options", 1 << 20);
  const std::uint64_t state_bytes = in.u64("state size");
  const auto state = in.raw(std::size_t(std::min<std::uint64_t>(state_bytes, in.remaining() + 1)), "state");
  checkpoint.state.assign(state.begin(), state.end());
  in.expect_end();
  if (checkpoint.statistics_mode != "exact" && checkpoint.statistics_mode != "streaming") {
    in.fail(fmt::format("is damaged: statistics mode \"{}\" (expected exact or streaming)", checkpoint.statistics_mode));
  }
  if (checkpoint.block_size == 0) in.fail("is damaged: block size 0");
  return checkpoint;
}

std::vector<std::uint8_t> encode_outputs(const simulation::TrialOutputs& outputs) {
  util::ByteWriter out;
  out.u64(outputs.trials);
  out.u64(outputs.options);
  out.u64(outputs.years);
  out.u64(outputs.components);
  out.u64(outputs.drivers.size());
  outputs.for_each_column([&](const simulation::Column& column) { out.f64_array({column.data(), outputs.trials}); });
  return out.release();
}

simulation::TrialOutputs decode_outputs(std::span<const std::uint8_t> bytes, const simulation::EvaluationPlan& plan, std::uint64_t trials) {
  util::ByteReader in(bytes, "checkpoint's stored outputs");
  simulation::TrialOutputs outputs;
  outputs.trials = std::size_t(in.u64("trials"));
  outputs.options = std::size_t(in.u64("options"));
  outputs.years = std::size_t(in.u64("years"));
  outputs.components = std::size_t(in.u64("components"));
  const std::size_t driver_columns = std::size_t(in.u64("driver columns"));
  if (outputs.trials != trials || outputs.options != plan.option_count || outputs.years != plan.year_count ||
      (outputs.components != 0 && outputs.components != plan.component_count) || driver_columns != outputs.components) {
    in.fail(fmt::format("do not fit this run: {} trials of {} options, {} years and {} components, expected {} trials of {}, {} and {}",
                        outputs.trials, outputs.options, outputs.years, outputs.components, trials, plan.option_count, plan.year_count,
                        plan.component_count));
  }
  for (auto* columns : {&outputs.total_net, &outputs.npv, &outputs.npv_green_book, &outputs.pv_benefits, &outputs.pv_costs}) {
    columns->resize(outputs.options);
  }
  outputs.net_by_year.resize(outputs.options * outputs.years);
  outputs.gross_by_year.resize(outputs.options * outputs.years);
  outputs.drivers.resize(driver_columns);
  outputs.for_each_column([&](simulation::Column& column) { in.f64_array("stored outputs", outputs.trials, column); });
  in.expect_end();
  return outputs;
}

}  // namespace mcrisk::statistics
