#pragma once
// The run history: every run recorded in a SQLite database (default
// $MCRISK_HISTORY, else $XDG_DATA_HOME/mcrisk/history.sqlite, else
// ~/.local/share/mcrisk/history.sqlite), so that runs can be listed and
// compared later and nightly runs can be checked against earlier ones.
//
// WAL journal and synchronous=FULL (a recorded run survives a power cut), a
// busy timeout so that concurrent mcrisk processes wait rather than fail, one
// transaction per run record, prepared statements only. The schema version is
// PRAGMA user_version; opening an older database applies the migrations in
// order (docs/architecture.md, "Run history").

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace mcrisk::store {

//! The schema version this engine writes (PRAGMA user_version).
inline constexpr int kHistorySchemaVersion = 1;

//! A database that cannot be opened, read or written; what() names the file and SQLite's reason.
class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! One option's headline statistics of total net savings and their standard
//! errors (percentiles' and P(loss)'s from their 95% intervals: half-width / 1.96).
//! NaN where a figure is unknown (stored as NULL): `scenarios` runs have no
//! standard errors, P50 or P(best).
struct OptionFigures {
  std::string option;
  double mean = 0, mean_se = 0;
  double p10 = 0, p10_se = 0;
  double p50 = 0;
  double p90 = 0, p90_se = 0;
  double prob_loss = 0, prob_loss_se = 0;
  double expected_shortfall_5 = 0;
  double prob_best = 0;
};

//! One run as recorded. Unknown values (a run that failed before its config
//! loaded has no seed) are empty.
struct RunRecord {
  std::int64_t id = 0;          //!< assigned by RunHistory::record
  std::string started_at;       //!< UTC, ISO 8601 ("2026-12-03T15:34:20Z")
  std::string status = "ok";    //!< "ok" or "failed"
  std::string error;            //!< why a failed run failed
  std::string command;          //!< "run", "batch", "scenarios"
  std::string batch;            //!< the batch's label (batch runs)
  std::string config_path;
  std::string config_sha256;
  std::string config_text;      //!< the config as run (stored once per hash); may be empty
  std::string scenario;         //!< empty for the base case
  std::optional<std::uint64_t> seed;
  std::optional<std::uint64_t> trials;
  std::string sampling;
  std::optional<std::uint64_t> replicate_size;  //!< lhs/sobol: points per replicate
  std::string statistics_mode;  //!< exact, streaming
  std::string engine_version, engine_commit, build_type;
  std::optional<std::int64_t> threads;
  std::optional<double> wall_seconds, trials_per_second;
  std::string results_sha256;   //!< SHA-256 of the summary's results (everything but run facts): equal means bit-identical
  std::string summary_path;     //!< where summary.json was written
  std::vector<OptionFigures> options;  //!< in the config's option order
};

//! What `mcrisk history` lists: newest first.
struct RunFilter {
  std::size_t limit = 20;
  std::string config;  //!< runs whose config path contains this text (empty: all)
  std::string batch;   //!< runs of this batch label (empty: all)
};

//! $MCRISK_HISTORY, else $XDG_DATA_HOME/mcrisk/history.sqlite, else
//! $HOME/.local/share/mcrisk/history.sqlite. Throws HistoryError if none can be formed.
std::filesystem::path default_history_path();

//! A commit for tables: 10 hex digits, keeping a "-dirty" suffix.
std::string short_commit(const std::string& commit);

//! The current time, UTC, ISO 8601 to the second.
std::string utc_now();

class RunHistory {
 public:
  //! Opens (creating it and its folder if needed) and migrates to kHistorySchemaVersion.
  //! Throws HistoryError, also when the file's schema is newer than this engine reads.
  explicit RunHistory(const std::filesystem::path& path);
  ~RunHistory();
  RunHistory(const RunHistory&) = delete;
  RunHistory& operator=(const RunHistory&) = delete;

  //! Records one run (and its config text, once per hash) in one transaction; returns its id.
  std::int64_t record(const RunRecord& run);
  //! Runs newest first, with their option figures (config text not loaded).
  std::vector<RunRecord> list(const RunFilter& filter) const;
  //! One run with its figures and config text, or nothing.
  std::optional<RunRecord> find(std::int64_t id) const;

  //! PRAGMA user_version.
  int schema_version() const;
  //! A PRAGMA's value as text, e.g. pragma("journal_mode") == "wal" (for tests and diagnostics).
  std::string pragma(const std::string& name) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace mcrisk::store
