#include "mcrisk/store/run_history.h"

#include <sqlite3.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <ctime>
#include <functional>
#include <system_error>

#include <fmt/format.h>

namespace mcrisk::store {

namespace {

// Migration i brings a database from user_version i to i + 1. Append, never
// edit: a database in the field is at some version and replays the rest.
const char* const kMigrations[] = {
    // 0 -> 1: runs, their option figures, config texts by hash, nightly runs and their benchmarks.
    R"sql(
CREATE TABLE config_texts (
  sha256 TEXT PRIMARY KEY,
  text   TEXT NOT NULL
);
CREATE TABLE runs (
  id                INTEGER PRIMARY KEY,
  started_at        TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
  error             TEXT,
  command           TEXT NOT NULL,
  batch             TEXT,
  config_path       TEXT,
  config_sha256     TEXT,
  scenario          TEXT,
  seed              INTEGER,
  trials            INTEGER,
  sampling          TEXT,
  replicate_size    INTEGER,
  statistics_mode   TEXT,
  engine_version    TEXT NOT NULL,
  engine_commit     TEXT NOT NULL,
  build_type        TEXT,
  threads           INTEGER,
  wall_seconds      REAL,
  trials_per_second REAL,
  results_sha256    TEXT,
  summary_path      TEXT
);
CREATE INDEX runs_by_config ON runs (config_path);
CREATE INDEX runs_by_batch ON runs (batch);
CREATE TABLE option_results (
  run_id               INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position             INTEGER NOT NULL,
  option               TEXT NOT NULL,
  mean                 REAL NOT NULL,
  mean_se              REAL,  -- NULL: unknown (scenarios runs report no standard errors)
  p10                  REAL NOT NULL,
  p10_se               REAL,
  p50                  REAL,
  p90                  REAL NOT NULL,
  p90_se               REAL,
  prob_loss            REAL NOT NULL,
  prob_loss_se         REAL,
  expected_shortfall_5 REAL,
  prob_best            REAL,
  PRIMARY KEY (run_id, option)
);
CREATE TABLE nightly_runs (
  id             INTEGER PRIMARY KEY,
  started_at     TEXT NOT NULL,
  fast           INTEGER NOT NULL,
  engine_version TEXT,
  engine_commit  TEXT,
  binary_sha256  TEXT,
  batch          TEXT,
  status         TEXT,
  message        TEXT
);
CREATE TABLE benchmark_results (
  nightly_id        INTEGER NOT NULL REFERENCES nightly_runs (id) ON DELETE CASCADE,
  name              TEXT NOT NULL,
  trials_per_second REAL,
  real_time         REAL,
  time_unit         TEXT,
  iterations        INTEGER,
  PRIMARY KEY (nightly_id, name)
);
)sql",
};
static_assert(std::size(kMigrations) == kHistorySchemaVersion, "one migration per schema version");

// How long a writer waits for another process's transaction before giving up.
constexpr int kBusyTimeoutMs = 30000;

std::string describe(sqlite3* db, const std::filesystem::path& path, const std::string& doing) {
  return fmt::format("run history {}: {}: {}", path.string(), doing, db ? sqlite3_errmsg(db) : "out of memory");
}

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::filesystem::path& path, const std::string& sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), int(sql.size()), &statement_, nullptr) != SQLITE_OK) {
      throw HistoryError(describe(db, path, "preparing a statement"));
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, const std::string& text) {
    check(sqlite3_bind_text(statement_, index, text.data(), int(text.size()), SQLITE_TRANSIENT));
  }
  void bind_or_null(int index, const std::string& text) {
    if (text.empty()) check(sqlite3_bind_null(statement_, index));
    else bind(index, text);
  }
  void bind(int index, double value) { check(sqlite3_bind_double(statement_, index, value)); }
  void bind(int index, std::int64_t value) { check(sqlite3_bind_int64(statement_, index, value)); }
  template <class T>
  void bind(int index, const std::optional<T>& value) {
    if (!value) check(sqlite3_bind_null(statement_, index));
    else if constexpr (std::is_floating_point_v<T>) bind(index, double(*value));
    else bind(index, std::int64_t(*value));  // a uint64 seed above 2^63 keeps its bits
  }
  //! Steps once: true while there is a row.
  bool step() {
    const int result = sqlite3_step(statement_);
    if (result == SQLITE_ROW) return true;
    if (result == SQLITE_DONE) return false;
    throw HistoryError(describe(db_, path_, "executing a statement"));
  }
  void reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  std::string text(int column) const {
    const auto* value = sqlite3_column_text(statement_, column);
    return value ? std::string(reinterpret_cast<const char*>(value), std::size_t(sqlite3_column_bytes(statement_, column))) : std::string();
  }
  double real(int column) const { return sqlite3_column_double(statement_, column); }
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::optional<std::uint64_t> optional_unsigned(int column) const {
    if (is_null(column)) return std::nullopt;
    return std::uint64_t(sqlite3_column_int64(statement_, column));
  }
  std::optional<double> optional_real(int column) const {
    if (is_null(column)) return std::nullopt;
    return real(column);
  }

 private:
  void check(int result) {
    if (result != SQLITE_OK) throw HistoryError(describe(db_, path_, "binding a value"));
  }
  sqlite3* db_;
  const std::filesystem::path& path_;
  sqlite3_stmt* statement_ = nullptr;
};

void execute(sqlite3* db, const std::filesystem::path& path, const std::string& sql, const std::string& doing) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string reason = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw HistoryError(fmt::format("run history {}: {}: {}", path.string(), doing, reason));
  }
}

// BEGIN IMMEDIATE takes the write lock at once (waiting up to the busy
// timeout), so two processes never deadlock upgrading read locks; rolled back
// unless committed.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::filesystem::path& path) : db_(db), path_(path) {
    execute(db_, path_, "BEGIN IMMEDIATE", "starting a transaction");
  }
  ~Transaction() {
    if (!committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    execute(db_, path_, "COMMIT", "committing");
    committed_ = true;
  }

 private:
  sqlite3* db_;
  const std::filesystem::path& path_;
  bool committed_ = false;
};

constexpr const char* kRunColumns =
    "id, started_at, status, error, command, batch, config_path, config_sha256, scenario, seed, trials, sampling, replicate_size, "
    "statistics_mode, engine_version, engine_commit, build_type, threads, wall_seconds, trials_per_second, results_sha256, summary_path";

RunRecord read_run(const Statement& row) {
  RunRecord run;
  run.id = std::int64_t(*row.optional_unsigned(0));
  run.started_at = row.text(1);
  run.status = row.text(2);
  run.error = row.text(3);
  run.command = row.text(4);
  run.batch = row.text(5);
  run.config_path = row.text(6);
  run.config_sha256 = row.text(7);
  run.scenario = row.text(8);
  run.seed = row.optional_unsigned(9);
  run.trials = row.optional_unsigned(10);
  run.sampling = row.text(11);
  run.replicate_size = row.optional_unsigned(12);
  run.statistics_mode = row.text(13);
  run.engine_version = row.text(14);
  run.engine_commit = row.text(15);
  run.build_type = row.text(16);
  if (!row.is_null(17)) run.threads = std::int64_t(*row.optional_unsigned(17));
  run.wall_seconds = row.optional_real(18);
  run.trials_per_second = row.optional_real(19);
  run.results_sha256 = row.text(20);
  run.summary_path = row.text(21);
  return run;
}

}  // namespace

std::filesystem::path default_history_path() {
  const auto variable = [](const char* name) {
    const char* value = std::getenv(name);
    return value ? std::string(value) : std::string();
  };
  if (const auto chosen = variable("MCRISK_HISTORY"); !chosen.empty()) return chosen;
  if (const auto data = variable("XDG_DATA_HOME"); !data.empty()) return std::filesystem::path(data) / "mcrisk" / "history.sqlite";
  if (const auto home = variable("HOME"); !home.empty()) return std::filesystem::path(home) / ".local" / "share" / "mcrisk" / "history.sqlite";
  throw HistoryError("no run history path: set MCRISK_HISTORY, XDG_DATA_HOME or HOME, or give --history PATH");
}

std::string short_commit(const std::string& commit) {
  const bool dirty = commit.size() > 6 && commit.ends_with("-dirty");
  const std::string sha = dirty ? commit.substr(0, commit.size() - 6) : commit;
  return sha.substr(0, 10) + (dirty ? "-dirty" : "");
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

RunHistory::RunHistory(const std::filesystem::path& path) : path_(path) {
  if (path.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) throw HistoryError(fmt::format("run history {}: cannot create its folder: {}", path.string(), error.message()));
  }
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string message = describe(db_, path, "cannot open");
    sqlite3_close(db_);
    db_ = nullptr;
    throw HistoryError(message);
  }
  try {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    execute(db_, path_, "PRAGMA journal_mode = WAL", "setting WAL mode");
    execute(db_, path_, "PRAGMA synchronous = FULL", "setting synchronous FULL");
    execute(db_, path_, "PRAGMA foreign_keys = ON", "enabling foreign keys");
    Transaction migration(db_, path_);
    const int version = schema_version();
    if (version > kHistorySchemaVersion) {
      throw HistoryError(fmt::format("run history {}: its schema is version {}, newer than this mcrisk reads ({}); use a newer mcrisk or another --history",
                                     path.string(), version, kHistorySchemaVersion));
    }
    for (int step = version; step < kHistorySchemaVersion; ++step) {
      execute(db_, path_, kMigrations[step], fmt::format("migrating the schema from version {} to {}", step, step + 1));
    }
    if (version != kHistorySchemaVersion) execute(db_, path_, fmt::format("PRAGMA user_version = {}", kHistorySchemaVersion), "setting the schema version");
    migration.commit();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

RunHistory::~RunHistory() { sqlite3_close(db_); }

int RunHistory::schema_version() const { return std::stoi(pragma("user_version")); }

std::string RunHistory::pragma(const std::string& name) const {
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) throw HistoryError("not a PRAGMA name: " + name);
  }
  Statement statement(db_, path_, "PRAGMA " + name);
  if (!statement.step()) return "";
  return statement.text(0);
}

std::int64_t RunHistory::record(const RunRecord& run) {
  Transaction transaction(db_, path_);
  if (!run.config_text.empty() && !run.config_sha256.empty()) {
    Statement config(db_, path_, "INSERT OR IGNORE INTO config_texts (sha256, text) VALUES (?1, ?2)");
    config.bind(1, run.config_sha256);
    config.bind(2, run.config_text);
    config.step();
  }
  Statement insert(db_, path_,
                   "INSERT INTO runs (started_at, status, error, command, batch, config_path, config_sha256, scenario, seed, trials, sampling, "
                   "replicate_size, statistics_mode, engine_version, engine_commit, build_type, threads, wall_seconds, trials_per_second, "
                   "results_sha256, summary_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)");
  insert.bind(1, run.started_at.empty() ? utc_now() : run.started_at);
  insert.bind(2, run.status);
  insert.bind_or_null(3, run.error);
  insert.bind(4, run.command);
  insert.bind_or_null(5, run.batch);
  insert.bind_or_null(6, run.config_path);
  insert.bind_or_null(7, run.config_sha256);
  insert.bind_or_null(8, run.scenario);
  insert.bind(9, run.seed);
  insert.bind(10, run.trials);
  insert.bind_or_null(11, run.sampling);
  insert.bind(12, run.replicate_size);
  insert.bind_or_null(13, run.statistics_mode);
  insert.bind(14, run.engine_version);
  insert.bind(15, run.engine_commit);
  insert.bind_or_null(16, run.build_type);
  insert.bind(17, run.threads);
  insert.bind(18, run.wall_seconds);
  insert.bind(19, run.trials_per_second);
  insert.bind_or_null(20, run.results_sha256);
  insert.bind_or_null(21, run.summary_path);
  insert.step();
  const std::int64_t id = sqlite3_last_insert_rowid(db_);
  Statement figures(db_, path_,
                    "INSERT INTO option_results (run_id, position, option, mean, mean_se, p10, p10_se, p50, p90, p90_se, prob_loss, prob_loss_se, "
                    "expected_shortfall_5, prob_best) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  std::int64_t position = 0;
  for (const auto& option : run.options) {
    figures.reset();
    figures.bind(1, id);
    figures.bind(2, position++);
    figures.bind(3, option.option);
    int column = 4;
    for (double value : {option.mean, option.mean_se, option.p10, option.p10_se, option.p50, option.p90, option.p90_se, option.prob_loss,
                         option.prob_loss_se, option.expected_shortfall_5, option.prob_best}) {
      if (std::isnan(value)) figures.bind(column++, std::optional<double>());  // unknown: NULL
      else figures.bind(column++, value);
    }
    figures.step();
  }
  transaction.commit();
  return id;
}

namespace {

std::vector<OptionFigures> read_figures(sqlite3* db, const std::filesystem::path& path, std::int64_t run_id) {
  Statement statement(db, path,
                      "SELECT option, mean, mean_se, p10, p10_se, p50, p90, p90_se, prob_loss, prob_loss_se, expected_shortfall_5, prob_best "
                      "FROM option_results WHERE run_id = ?1 ORDER BY position");
  statement.bind(1, run_id);
  std::vector<OptionFigures> figures;
  while (statement.step()) {
    OptionFigures option;
    option.option = statement.text(0);
    double* fields[] = {&option.mean, &option.mean_se, &option.p10, &option.p10_se, &option.p50, &option.p90,
                        &option.p90_se, &option.prob_loss, &option.prob_loss_se, &option.expected_shortfall_5, &option.prob_best};
    for (int i = 0; i < 11; ++i) *fields[i] = statement.is_null(i + 1) ? std::numeric_limits<double>::quiet_NaN() : statement.real(i + 1);
    figures.push_back(std::move(option));
  }
  return figures;
}

}  // namespace

std::vector<RunRecord> RunHistory::list(const RunFilter& filter) const {
  Statement statement(db_, path_,
                      fmt::format("SELECT {} FROM runs WHERE (?1 = '' OR instr(config_path, ?1) > 0) AND (?2 = '' OR batch = ?2) "
                                  "ORDER BY id DESC LIMIT ?3",
                                  kRunColumns));
  statement.bind(1, filter.config);
  statement.bind(2, filter.batch);
  statement.bind(3, std::int64_t(filter.limit));
  std::vector<RunRecord> runs;
  while (statement.step()) runs.push_back(read_run(statement));
  for (auto& run : runs) run.options = read_figures(db_, path_, run.id);
  return runs;
}

std::optional<RunRecord> RunHistory::find(std::int64_t id) const {
  Statement statement(db_, path_, fmt::format("SELECT {} FROM runs WHERE id = ?1", kRunColumns));
  statement.bind(1, id);
  if (!statement.step()) return std::nullopt;
  RunRecord run = read_run(statement);
  run.options = read_figures(db_, path_, run.id);
  if (!run.config_sha256.empty()) {
    Statement config(db_, path_, "SELECT text FROM config_texts WHERE sha256 = ?1");
    config.bind(1, run.config_sha256);
    if (config.step()) run.config_text = config.text(0);
  }
  return run;
}

}  // namespace mcrisk::store
