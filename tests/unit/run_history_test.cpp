// The run history store: schema and its version, the durability settings read
// back with PRAGMA, records round-tripped exactly, failed runs, filters, a
// newer schema refused, concurrent writers, and the default path's precedence.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <thread>

#include "mcrisk/store/run_history.h"

namespace mcrisk {
namespace {

namespace fs = std::filesystem;
using store::RunHistory;
using store::RunRecord;

fs::path fresh_database(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("mcrisk_store_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(folder);
  return folder / "sub" / "history.sqlite";  // the folder is created on open
}

RunRecord sample_run(const std::string& config, std::uint64_t seed) {
  RunRecord run;
  run.command = "run";
  run.config_path = config;
  run.config_sha256 = "ab" + std::to_string(seed % 2);
  run.config_text = "model: {name: x}  # seed " + std::to_string(seed % 2);
  run.seed = seed;
  run.trials = 4000;
  run.sampling = "mc";
  run.statistics_mode = "exact";
  run.engine_version = "0.1.0";
  run.engine_commit = "0123456789abcdef";
  run.threads = 2;
  run.wall_seconds = 0.5;
  run.trials_per_second = 8000;
  run.results_sha256 = "feed";
  run.summary_path = "/tmp/x/summary.json";
  run.options.push_back({"B", 1.5, 0.25, -3.125, 0.5, 7, 11.75, 0.75, 0.0625, 0.01, -9.5, 0.3});
  run.options.push_back({"A", 0.1 + 0.2, 1e-300, 0, 0, 0, 0, 0, 0, 0, 0, 0.7});
  return run;
}

// Raw SQLite access, to set up states the store itself never writes.
void execute_raw(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(RunHistory, CreatesTheSchemaWithWalSynchronousFullAndABusyTimeout) {
  const fs::path path = fresh_database("schema");
  RunHistory history(path);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(history.schema_version(), store::kHistorySchemaVersion);
  EXPECT_EQ(history.pragma("journal_mode"), "wal");
  EXPECT_EQ(history.pragma("synchronous"), "2");  // FULL
  EXPECT_EQ(history.pragma("busy_timeout"), "30000");
  EXPECT_EQ(history.pragma("foreign_keys"), "1");
  EXPECT_THROW(history.pragma("user_version; DROP TABLE runs"), store::HistoryError);
  // Reopening an up-to-date database migrates nothing and keeps the version.
  RunHistory again(path);
  EXPECT_EQ(again.schema_version(), store::kHistorySchemaVersion);
}

TEST(RunHistory, RecordsARunAndReadsItBackExactly) {
  RunHistory history(fresh_database("round_trip"));
  RunRecord run = sample_run("configs/r1.yaml", std::numeric_limits<std::uint64_t>::max());  // above 2^63: bits kept
  run.scenario = "deep_grant_cut";
  run.replicate_size = 128;
  run.batch = "nightly";
  const auto id = history.record(run);
  EXPECT_GT(id, 0);
  const auto found = history.find(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, "ok");
  EXPECT_EQ(found->command, "run");
  EXPECT_EQ(found->batch, "nightly");
  EXPECT_EQ(found->config_path, "configs/r1.yaml");
  EXPECT_EQ(found->config_text, run.config_text);
  EXPECT_EQ(found->scenario, "deep_grant_cut");
  EXPECT_EQ(found->seed, run.seed);
  EXPECT_EQ(found->trials, 4000u);
  EXPECT_EQ(found->replicate_size, 128u);
  EXPECT_EQ(found->engine_commit, "0123456789abcdef");
  EXPECT_EQ(found->threads, 2);
  EXPECT_EQ(found->wall_seconds, 0.5);
  EXPECT_EQ(found->results_sha256, "feed");
  EXPECT_FALSE(found->started_at.empty());
  ASSERT_EQ(found->options.size(), 2u);
  EXPECT_EQ(found->options[0].option, "B");  // the config's order, not alphabetical
  EXPECT_EQ(found->options[0].p10, -3.125);
  EXPECT_EQ(found->options[0].prob_best, 0.3);
  EXPECT_EQ(found->options[1].option, "A");
  EXPECT_EQ(found->options[1].mean, 0.1 + 0.2);  // doubles kept to the bit
  EXPECT_EQ(found->options[1].mean_se, 1e-300);
  EXPECT_FALSE(history.find(id + 1));
}

TEST(RunHistory, UnknownFiguresAreStoredAsNullAndReadBackAsNaN) {
  RunHistory history(fresh_database("unknown"));
  RunRecord run = sample_run("configs/r1.yaml", 1);
  run.options[0].mean_se = std::numeric_limits<double>::quiet_NaN();
  run.options[0].prob_best = std::numeric_limits<double>::quiet_NaN();
  const auto found = history.find(history.record(run));
  ASSERT_TRUE(found);
  EXPECT_TRUE(std::isnan(found->options[0].mean_se));
  EXPECT_TRUE(std::isnan(found->options[0].prob_best));
  EXPECT_EQ(found->options[0].mean, 1.5);
}

TEST(RunHistory, RecordsAFailedRunWithWhatIsKnown) {
  RunHistory history(fresh_database("failed"));
  RunRecord run;
  run.status = "failed";
  run.error = "configs/x.yaml:3:5: drivers.a: unknown key 'typo'";
  run.command = "batch";
  run.config_path = "configs/x.yaml";
  run.engine_version = "0.1.0";
  run.engine_commit = "unknown";
  const auto id = history.record(run);
  const auto found = history.find(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, "failed");
  EXPECT_EQ(found->error, run.error);
  EXPECT_FALSE(found->seed);
  EXPECT_FALSE(found->trials);
  EXPECT_FALSE(found->wall_seconds);
  EXPECT_TRUE(found->options.empty());
  // A status other than ok/failed is refused by the schema, and nothing of that record is kept.
  run.status = "maybe";
  EXPECT_THROW(history.record(run), store::HistoryError);
  EXPECT_EQ(history.list({}).size(), 1u);
}

TEST(RunHistory, ListsNewestFirstWithLimitAndFilters) {
  RunHistory history(fresh_database("list"));
  for (std::uint64_t seed = 1; seed <= 5; ++seed) history.record(sample_run(seed % 2 ? "configs/odd.yaml" : "configs/even.yaml", seed));
  RunRecord in_batch = sample_run("configs/odd.yaml", 9);
  in_batch.batch = "b1";
  history.record(in_batch);
  const auto all = history.list({});
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.front().seed, 9u);
  EXPECT_EQ(all.back().seed, 1u);
  EXPECT_EQ(all.front().options.size(), 2u);
  EXPECT_TRUE(all.front().config_text.empty());  // list leaves the texts out
  EXPECT_EQ(history.list({2, "", ""}).size(), 2u);
  const auto even = history.list({20, "even", ""});
  ASSERT_EQ(even.size(), 2u);
  for (const auto& run : even) EXPECT_EQ(run.config_path, "configs/even.yaml");
  const auto batch = history.list({20, "", "b1"});
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].seed, 9u);
  EXPECT_TRUE(history.list({20, "%", ""}).empty());  // text, not a LIKE pattern
}

TEST(RunHistory, MigratesAnEmptyDatabaseAndRefusesANewerSchema) {
  const fs::path path = fresh_database("versions");
  fs::create_directories(path.parent_path());
  execute_raw(path, "PRAGMA user_version = 0");
  EXPECT_EQ(RunHistory(path).schema_version(), store::kHistorySchemaVersion);
  execute_raw(path, "PRAGMA user_version = 99");
  try {
    RunHistory newer(path);
    FAIL() << "a newer schema was opened";
  } catch (const store::HistoryError& error) {
    EXPECT_NE(std::string(error.what()).find("schema is version 99, newer than this mcrisk reads (1)"), std::string::npos) << error.what();
  }
}

TEST(RunHistory, TwoWritersAtOnceBothSucceed) {
  const fs::path path = fresh_database("concurrent");
  { RunHistory create(path); }  // created first, as a second process would find it
  const auto writer = [&](std::uint64_t first) {
    RunHistory history(path);  // its own connection, as another process has
    for (std::uint64_t seed = first; seed < first + 40; ++seed) history.record(sample_run("configs/c.yaml", seed));
  };
  std::thread a(writer, 0), b(writer, 1000);
  a.join();
  b.join();
  EXPECT_EQ(RunHistory(path).list({1000, "", ""}).size(), 80u);
}

TEST(RunHistory, UnopenablePathIsAnErrorNamingIt) {
  try {
    RunHistory history("/proc/no/such/history.sqlite");
    FAIL();
  } catch (const store::HistoryError& error) {
    EXPECT_NE(std::string(error.what()).find("/proc/no/such/history.sqlite"), std::string::npos) << error.what();
  }
}

TEST(RunHistory, DefaultPathPrefersMcriskHistoryThenXdgDataHomeThenHome) {
  const auto saved = [](const char* name) {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  const auto history = saved("MCRISK_HISTORY"), xdg = saved("XDG_DATA_HOME"), home = saved("HOME");
  ::setenv("MCRISK_HISTORY", "/a/h.sqlite", 1);
  ::setenv("XDG_DATA_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(store::default_history_path(), fs::path("/a/h.sqlite"));
  ::unsetenv("MCRISK_HISTORY");
  EXPECT_EQ(store::default_history_path(), fs::path("/xdg/mcrisk/history.sqlite"));
  ::unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(store::default_history_path(), fs::path("/home/u/.local/share/mcrisk/history.sqlite"));
  ::unsetenv("HOME");
  EXPECT_THROW(store::default_history_path(), store::HistoryError);
  const auto restore = [](const char* name, const std::optional<std::string>& value) {
    if (value) ::setenv(name, value->c_str(), 1);
    else ::unsetenv(name);
  };
  restore("MCRISK_HISTORY", history);
  restore("XDG_DATA_HOME", xdg);
  restore("HOME", home);
}

TEST(RunHistory, ShortCommitKeepsDirty) {
  EXPECT_EQ(store::short_commit("0123456789abcdef-dirty"), "0123456789-dirty");
  EXPECT_EQ(store::short_commit("0123456789abcdef"), "0123456789");
  EXPECT_EQ(store::short_commit("unknown"), "unknown");
}

}  // namespace
}  // namespace mcrisk
