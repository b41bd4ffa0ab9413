#pragma once
// Two runs side by side (`mcrisk compare`): per option, the change in mean,
// P10, P90 and P(loss) of total net savings and whether it is larger than
// Monte Carlo noise; and what differs between the two runs' settings and configs.
//
// Noise rule: z = (B - A) / sqrt(SE_A^2 + SE_B^2), a change is beyond noise
// when |z| > 3 (kNoiseZ). The SEs treat the runs as independent; runs on the
// same seed share their random numbers, so for them the rule is conservative.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcrisk/store/run_history.h"

namespace mcrisk::store {

//! |z| above this is beyond Monte Carlo noise.
inline constexpr double kNoiseZ = 3.0;

//! One figure of one option in both runs.
struct FigureChange {
  std::string option;
  std::string measure;  //!< "mean", "P10", "P90", "prob_loss"
  double a = 0, b = 0;
  double se_a = 0, se_b = 0;
  double change = 0;    //!< b - a
  double z = 0;         //!< change / sqrt(se_a^2 + se_b^2); +-infinity when both SEs are 0 and the figures differ; NaN when an SE is unknown
  bool identical = false;     //!< a and b have the same bits
  bool beyond_noise = false;  //!< |z| > kNoiseZ
};

//! A key whose value differs between the configs ("(absent)" on the side without it).
struct ConfigDifference {
  std::string key;  //!< dotted path, e.g. "drivers.grant_cut.distribution.p90" or "options.A.savings.x[1]"
  std::string a, b;
};

struct RunComparison {
  std::vector<FigureChange> figures;  //!< options in A's order, then B's options A lacks are listed in options_only_in
  std::vector<std::string> options_only_in_a, options_only_in_b;
  std::vector<ConfigDifference> settings;  //!< seed, trials, sampling, scenario, engine ... that differ
  std::vector<ConfigDifference> config;    //!< keys and values that differ between the config texts
  bool config_texts_known = false;         //!< both texts were available (else only the hashes were compared)
  bool same_config = false;                //!< same SHA-256
  bool results_identical = false;          //!< same results hash (bit-identical results)
  std::size_t beyond_noise = 0;            //!< figures with |z| > kNoiseZ
};

//! Compares run b against run a.
RunComparison compare_runs(const RunRecord& a, const RunRecord& b);

//! Walks both YAML texts and lists every key whose value differs (scalars
//! compared as text; lists element by element). Throws std::runtime_error if
//! a text is not YAML.
std::vector<ConfigDifference> diff_config_texts(const std::string& a, const std::string& b);

//! The comparison as JSON (schema "mcrisk.compare/1").
nlohmann::json comparison_to_json(const RunComparison& comparison, const RunRecord& a, const RunRecord& b);

//! The table `mcrisk compare` prints, with the noise rule stated.
std::string format_comparison(const RunComparison& comparison, const RunRecord& a, const RunRecord& b);

}  // namespace mcrisk::store
