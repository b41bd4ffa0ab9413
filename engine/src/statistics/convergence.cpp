#include "mcrisk/statistics/convergence.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mcrisk::statistics {

namespace {

double parse_amount(const std::string& text, const std::string& whole, bool& relative) {
  std::string number = text;
  relative = !number.empty() && number.back() == '%';
  if (relative) number.pop_back();
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (number.empty() || used != number.size() || !(value > 0) || !std::isfinite(value)) {
    throw std::invalid_argument("--precision '" + whole +
                                "': expected a positive amount (25000), a percentage of the estimate (1%), or a percentile's "
                                "(P80:25000, P80:2%)");
  }
  return relative ? value / 100.0 : value;
}

std::size_t round_up(double trials, std::size_t granularity) {
  const double units = std::ceil(trials / double(granularity));
  return std::size_t(units) * granularity;
}

}  // namespace

PrecisionTarget PrecisionTarget::parse(const std::string& text) {
  PrecisionTarget target;
  std::string amount = text;
  if (!text.empty() && (text[0] == 'P' || text[0] == 'p')) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) {
      throw std::invalid_argument("--precision '" + text + "': a percentile's precision is written P80:25000 or P80:2%");
    }
    bool level_relative = false;
    target.percentile = parse_amount(text.substr(1, colon - 1), text, level_relative);
    if (level_relative || target.percentile >= 100) {
      throw std::invalid_argument("--precision '" + text + "': the percentile level must be between 0 and 100, as in P80");
    }
    amount = text.substr(colon + 1);
  }
  target.half_width = parse_amount(amount, text, target.relative);
  return target;
}

std::string PrecisionTarget::describe() const {
  const std::string what = percentile > 0 ? fmt::format("P{:g}", percentile) : "mean";
  return relative ? fmt::format("{} within {:g}%", what, half_width * 100) : fmt::format("{} within {:g}", what, half_width);
}

ConvergenceTrace converge(const model::Model& model, const PrecisionGoal& goal, const std::function<std::size_t()>& trials,
                          const std::function<void(std::size_t)>& grow_to,
                          const std::function<SampleSummary(std::size_t, std::span<const double>)>& summarise_total) {
  if (goal.targets.empty()) throw std::invalid_argument("run_to_precision needs at least one precision target");
  if (goal.granularity == 0 || goal.max_trials < goal.granularity) {
    throw std::invalid_argument("--max-trials must be at least " + std::to_string(goal.granularity));
  }
  ConvergenceTrace trace;
  trace.goal = goal;
  std::vector<double> levels;
  for (const auto& target : goal.targets)
    if (target.percentile > 0) levels.push_back(target.percentile);
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  grow_to(std::min(goal.max_trials, round_up(double(std::max<std::size_t>(goal.initial_trials, 1)), goal.granularity)));
  while (true) {
    ConvergenceStep step;
    step.trials = trials();
    for (std::size_t o = 0; o < model.options.size(); ++o) {
      const SampleSummary s = summarise_total(o, levels);
      ConvergenceStep::OptionHalfWidths widths;
      widths.option = model.options[o].id;
      for (const auto& target : goal.targets) {
        double estimate = s.mean, half = (s.mean_ci95_high - s.mean_ci95_low) / 2;
        if (target.percentile > 0) {
          estimate = s.percentile(target.percentile);
          for (const auto& p : s.percentiles)
            if (p.level == target.percentile) half = p.ci95.half_width();
        }
        const double limit = target.relative ? target.half_width * std::abs(estimate) : target.half_width;
        widths.target_half_widths.push_back(half);
        widths.target_limits.push_back(limit);
        step.worst_ratio = std::max(step.worst_ratio, limit > 0 ? half / limit : INFINITY);
      }
      widths.prob_loss_half_width = s.prob_loss_ci95.half_width();
      step.worst_ratio = std::max(step.worst_ratio, widths.prob_loss_half_width / goal.prob_loss_half_width);
      step.options.push_back(std::move(widths));
    }
    const double ratio = step.worst_ratio;
    const std::size_t done = step.trials;
    trace.steps.push_back(std::move(step));
    spdlog::info("precision: {} trials, worst half-width / limit {:.3f}", done, ratio);
    if (ratio <= 1.0) {
      trace.converged = true;
      return trace;
    }
    if (done >= goal.max_trials) {
      spdlog::warn("precision not reached within --max-trials {} (worst half-width is {:.2f} times its limit)", goal.max_trials, ratio);
      return trace;
    }
    // Half-widths shrink as 1/sqrt(N): aim 10% beyond the trials the ratio asks
    // for, growing by at least 1.5x and at most 16x a round.
    const double wanted = double(done) * std::min(16.0, std::max(1.5, ratio * ratio * 1.1));
    grow_to(std::min(goal.max_trials, round_up(wanted, goal.granularity)));
  }
}

ConvergenceTrace run_to_precision(const model::Model& model, const simulation::EvaluationPlan& plan,
                                  const simulation::RunSettings& settings, const PrecisionGoal& goal, const IntervalDesign& design,
                                  simulation::TrialOutputs& outputs) {
  bool started = false;
  return converge(
      model, goal, [&] { return outputs.trials; },
      [&](std::size_t total) {
        if (!started) {
          simulation::RunSettings first = settings;
          first.trials = total;
          outputs = simulation::simulate(plan, first);
          started = true;
        } else {
          simulation::extend(plan, settings, total, outputs);
        }
      },
      [&](std::size_t o, std::span<const double> levels) { return summarise(outputs.total_net[o], design, levels); });
}

}  // namespace mcrisk::statistics
