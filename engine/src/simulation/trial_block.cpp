#include "mcrisk/simulation/trial_block.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "mcrisk/util/vector_clones.h"

namespace mcrisk::simulation {

namespace {

// Calls body(std::true_type{}) or body(std::false_type{}): a runtime flag as a template argument, so that
// each case's loop is compiled without the flag's test. Always inlined, and so must the body be (a lambda
// marked always_inline): the loops belong to the caller's vector clones (util/vector_clones.h).
template <typename Body>
[[gnu::always_inline]] inline void with_flag(bool flag, Body body) {
  if (flag) {
    body(std::true_type{});
  } else {
    body(std::false_type{});
  }
}

}  // namespace

TrialBlock::TrialBlock(const EvaluationPlan& plan, std::size_t capacity)
    : plan_(plan),
      capacity_(capacity),
      uniforms_(plan.dimension_count * capacity),
      normal_scores_(plan.copula_components.size() * capacity),
      columns_(plan.column_count * capacity),
      column_pointers_(plan.column_count),
      scratch_(std::max<std::size_t>(plan.max_scratch_per_lane, 1) * capacity),
      term_(capacity),
      event_state_(2 * capacity),
      gross_(plan.option_count * plan.year_count * capacity),
      cost_(gross_.size()),
      net_(gross_.size()),
      retention_(gross_.size()),
      total_net_(plan.option_count * capacity),
      npv_(total_net_.size()),
      npv_green_book_(total_net_.size()),
      pv_benefits_(total_net_.size()),
      pv_costs_(total_net_.size()) {
  for (std::size_t c = 0; c < plan.column_count; ++c) column_pointers_[c] = columns_.data() + c * capacity;
  // Each event slot's cost in every lane: its cost column, or a row of its constant made here once.
  std::size_t constants = 0;
  for (const EventSlotExposure& exposure : plan.event_exposures) constants += exposure.cost_is_column ? 0 : 1;
  constant_event_costs_.reserve(constants * capacity);  // no reallocation below: the rows' addresses hold
  for (const EventSlotExposure& exposure : plan.event_exposures) {
    if (exposure.cost_is_column) {
      event_cost_rows_.push_back(column_pointers_[exposure.cost_column]);
    } else {
      event_cost_rows_.push_back(constant_event_costs_.data() + constant_event_costs_.size());
      constant_event_costs_.insert(constant_event_costs_.end(), capacity, exposure.cost_constant);
    }
  }
}

void TrialBlock::evaluate(const sampling::UnitCubeSampler& sampler, std::uint64_t first_trial, std::size_t n) {
  n_ = n;
  sampler.fill(first_trial, n, uniforms_.data(), capacity_);
  transform_drivers();
  run_programs();
  apply_events();
  combine();
}

void TrialBlock::evaluate_planned() {
  n_ = 1;
  for (std::size_t c = 0; c < plan_.component_count; ++c) columns_[c * capacity_] = plan_.planned_components[c];
  // Uniforms of 1 never fall below a hazard: no event happens in the plan.
  std::fill(uniforms_.begin(), uniforms_.end(), 1.0);
  run_programs();
  apply_events();
  combine();
}

// Unit cube -> drivers. Correlated components: z = Phi^-1(u), z' = L z (the
// Gaussian copula), then each marginal from z'. AR(1) series read their
// innovation's normal score, so correlating year 1 of a series correlates its
// first innovation, as R1 specifies.
MCRISK_VECTOR_CLONES
void TrialBlock::transform_drivers() {
  const std::size_t k = plan_.copula_components.size();
  for (std::size_t row = 0; row < k; ++row) {
    const double* u = uniforms_.data() + plan_.copula_components[row] * capacity_;
    double* z = normal_scores_.data() + row * capacity_;
    model::standard_normal_quantile_block(u, z, n_);
  }
  // In place, from the last row up: row r only needs rows <= r of the old scores.
  // Each lane's sum runs over j = 0, 1, ..., row in that order, whatever the
  // block size (the loop over lanes is inside only so that it vectorises).
  // The sum starts at 0.0 + (its first term) and its last term (j = row) is added as it is written
  // back: the same operations as zeroing a row, adding every term and copying it, less two passes.
  const auto weight = [&](std::size_t row, std::size_t j) { return plan_.copula_cholesky(Eigen::Index(row), Eigen::Index(j)); };
  for (std::size_t row = k; row-- > 0;) {
    double* z_row = normal_scores_.data() + row * capacity_;
    const double last = weight(row, row);
    if (row == 0) {
      for (std::size_t i = 0; i < n_; ++i) z_row[i] = 0.0 + last * z_row[i];
      continue;
    }
    double* sum = term_.data();
    const double first = weight(row, 0);
    const double* z_0 = normal_scores_.data();
    for (std::size_t i = 0; i < n_; ++i) sum[i] = 0.0 + first * z_0[i];
    for (std::size_t j = 1; j < row; ++j) {
      const double w = weight(row, j);
      const double* z_j = normal_scores_.data() + j * capacity_;
      for (std::size_t i = 0; i < n_; ++i) sum[i] += w * z_j[i];
    }
    for (std::size_t i = 0; i < n_; ++i) z_row[i] = sum[i] + last * z_row[i];
  }

  for (std::size_t c = 0; c < plan_.component_count; ++c) {
    const ComponentTransform& transform = plan_.transforms[c];
    const double* u = uniforms_.data() + c * capacity_;
    double* x = columns_.data() + c * capacity_;
    const bool correlated = transform.copula_position != kNotInCopula;
    // The normal score of each lane, where the transform reads one: the copula's,
    // or Phi^-1(u) of the component's own uniform.
    const bool reads_score = transform.kind != ComponentTransform::Kind::Marginal || transform.marginal.prefers_normal_score();
    const double* z = nullptr;
    if (correlated) {
      z = normal_scores_.data() + transform.copula_position * capacity_;
    } else if (reads_score) {
      model::standard_normal_quantile_block(u, term_.data(), n_);
      z = term_.data();
    }
    switch (transform.kind) {
      case ComponentTransform::Kind::Marginal:
        // Correlated: the marginal of the score, F^-1(Phi(z)); normal,
        // lognormal and tabulated PERT and beta read z itself.
        if (z != nullptr) {
          transform.marginal.from_normal_score_block(z, x, n_);
        } else {
          transform.marginal.quantile_block(u, x, n_);
        }
        break;
      case ComponentTransform::Kind::Ar1Start:
        for (std::size_t i = 0; i < n_; ++i) x[i] = transform.ar_mean + transform.ar_sd * z[i];
        break;
      case ComponentTransform::Kind::Ar1Step: {
        const double* previous = x - capacity_;
        const double innovation_sd = transform.ar_sd * std::sqrt(1.0 - transform.ar_rho * transform.ar_rho);
        for (std::size_t i = 0; i < n_; ++i) {
          x[i] = transform.ar_mean + transform.ar_rho * (previous[i] - transform.ar_mean) + innovation_sd * z[i];
        }
        break;
      }
    }
  }
}

void TrialBlock::run_programs() {
  for (const ColumnProgram& program : plan_.programs) {
    program.program.evaluate(column_pointers_, n_, columns_.data() + program.output_column * capacity_, scratch_.data());
  }
}

namespace {

// One year of one event slot, every lane: the option's retention so far takes
// the losses of earlier occurrences, then an event happens where the lane's
// uniform falls below the hazard (once only, unless it recurs). Selects instead
// of branches, so that the loop vectorises; each lane does the same multiplies
// and adds, in the same order, as the branching form it replaced (one lane's
// years in an inner loop), so the bits are the same.
// kFirstYear: the slot's state is its start (retained 1, not occurred) and is
// not read; kStartsOption: the option's retention and cost rows are their start
// (1 and 0) and are not read. The same operations on those values as when they
// were stored first (1 x r is r, 0 + c and 0 as the zeroed row gave), less the
// passes that stored them.
template <bool kRecurs, bool kFirstYear, bool kStartsOption>
[[gnu::always_inline]] inline void event_year(std::size_t n, double hazard, double retention_after, const double* __restrict u,
                                              const double* __restrict event_cost, double* __restrict retention,
                                              double* __restrict cost, double* __restrict retained, double* __restrict occurred) {
  for (std::size_t i = 0; i < n; ++i) {
    const double was_retained = kFirstYear ? 1.0 : retained[i];
    const double was_occurred = kFirstYear ? 0.0 : occurred[i];
    const double was_cost = kStartsOption ? 0.0 : cost[i];
    retention[i] = (kStartsOption ? 1.0 : retention[i]) * was_retained;
    const bool happens = (kRecurs || was_occurred == 0.0) && u[i] < hazard;
    occurred[i] = happens ? 1.0 : was_occurred;
    retained[i] = happens ? was_retained * retention_after : was_retained;
    cost[i] = happens ? was_cost + event_cost[i] : was_cost;
  }
}


}  // namespace

MCRISK_VECTOR_CLONES
void TrialBlock::apply_events() {
  // Rows no exposure starts: retention 1, no cost. The others start at their option's first exposure.
  for (std::size_t o : plan_.options_without_events) {
    for (std::size_t t = 0; t < plan_.year_count; ++t) {
      std::fill_n(retention_.data() + index(o, t, 0), n_, 1.0);
      std::fill_n(cost_.data() + index(o, t, 0), n_, 0.0);
    }
  }
  double* retained = event_state_.data();  // (1 - loss fraction)^(occurrences so far)
  double* occurred = retained + capacity_;  // 1 once a one-off event has happened
  for (std::size_t e = 0; e < plan_.event_exposures.size(); ++e) {
    const EventSlotExposure& exposure = plan_.event_exposures[e];
    const double* event_cost = event_cost_rows_[e];
    for (std::size_t t = 0; t < plan_.year_count; ++t) {
      const double* u = uniforms_.data() + (exposure.first_dimension + t) * capacity_;
      double* retention = retention_.data() + index(exposure.option, t, 0);
      double* cost = cost_.data() + index(exposure.option, t, 0);
      const double hazard = exposure.hazard[t];
      with_flag(exposure.recurs, [&](auto recurs) __attribute__((always_inline)) {
        with_flag(t == 0, [&](auto first_year) __attribute__((always_inline)) {
          with_flag(exposure.starts_option, [&](auto starts_option) __attribute__((always_inline)) {
            event_year<recurs, first_year, starts_option>(n_, hazard, exposure.retention_after, u, event_cost, retention, cost,
                                                          retained, occurred);
          });
        });
      });
    }
  }
}

namespace {

// sum[i] += ((c * f[0][i]) * f[1][i]) * ... * f[N-1][i] over the lanes: one pass,
// the factors' order and so the bits fixed, N known to the compiler so that the
// loop vectorises with every factor's pointer in a register. kStarts: the row's
// first term, sum[i] = 0.0 + product (what zeroing the row and adding gave).
template <std::size_t N, bool kStarts>
[[gnu::always_inline]] inline void add_product(std::size_t n, double c, const double* const* factors, double* __restrict sum) {
  const double* __restrict f[N > 0 ? N : 1];
  for (std::size_t k = 0; k < N; ++k) f[k] = factors[k];
  for (std::size_t i = 0; i < n; ++i) {
    double product = c;
    for (std::size_t k = 0; k < N; ++k) product *= f[k][i];
    sum[i] = (kStarts ? 0.0 : sum[i]) + product;
  }
}

}  // namespace

// Each lane adds ((coefficient * f0) * f1) * ... to its sum, in that order. Terms
// of up to six factors (R1's have up to five) go in one pass over the lanes;
// longer ones build the product in term_ first. Either way the same operations in
// the same order, so the same bits.
MCRISK_VECTOR_CLONES
void TrialBlock::sum_terms(const std::vector<ProductTerm>& terms, std::vector<double>& into) {
  const double* factors[6];
  for (const ProductTerm& term : terms) {
    double* sum = into.data() + index(term.option, term.year, 0);
    const double c = term.coefficient;
    const auto factor = [&](std::uint32_t f) -> const double* { return column_pointers_[plan_.factor_columns[term.first_factor + f]]; };
    if (term.factor_count <= 6) {
      for (std::uint32_t f = 0; f < term.factor_count; ++f) factors[f] = factor(f);
    }
    with_flag(term.starts_row, [&](auto starts) __attribute__((always_inline)) {
      switch (term.factor_count) {
        case 0: add_product<0, starts>(n_, c, factors, sum); break;
        case 1: add_product<1, starts>(n_, c, factors, sum); break;
        case 2: add_product<2, starts>(n_, c, factors, sum); break;
        case 3: add_product<3, starts>(n_, c, factors, sum); break;
        case 4: add_product<4, starts>(n_, c, factors, sum); break;
        case 5: add_product<5, starts>(n_, c, factors, sum); break;
        case 6: add_product<6, starts>(n_, c, factors, sum); break;
        default: {
          std::fill(term_.begin(), term_.begin() + std::ptrdiff_t(n_), c);
          for (std::uint32_t f = 0; f < term.factor_count; ++f) {
            const double* column = factor(f);
            for (std::size_t i = 0; i < n_; ++i) term_[i] *= column[i];
          }
          for (std::size_t i = 0; i < n_; ++i) sum[i] = (starts ? 0.0 : sum[i]) + term_[i];
        }
      }
    });
  }
}

namespace {

// One (option, year) row of combine(), lane by lane. A function of its own with
// __restrict parameters: written inline through the vectors' indexing, GCC 12
// could not prove that the eight rows do not overlap and ran it one lane at a
// time (a scalar division per lane and year). Same operations, same order per
// lane, so the same bits.
// The first year starts the sums: 0.0 + x is what zeroing them first and adding
// gave (x itself, but +0 for -0), without the pass that zeroed them.
template <bool kFirstYear>
[[gnu::always_inline]] inline void combine_year(std::size_t n, double divisor, double factor, double* __restrict gross,
                                                const double* __restrict retention, const double* __restrict cost,
                                                double* __restrict net, double* __restrict total, double* __restrict npv,
                                                double* __restrict pv_benefits, double* __restrict pv_costs) {
  for (std::size_t i = 0; i < n; ++i) {
    const double realised = gross[i] * retention[i];
    const double net_saving = realised - cost[i];
    gross[i] = realised;
    net[i] = net_saving;
    total[i] = (kFirstYear ? 0.0 : total[i]) + net_saving;
    npv[i] = (kFirstYear ? 0.0 : npv[i]) + net_saving / divisor;
    pv_benefits[i] = (kFirstYear ? 0.0 : pv_benefits[i]) + realised * factor;
    pv_costs[i] = (kFirstYear ? 0.0 : pv_costs[i]) + cost[i] * factor;
  }
}

}  // namespace

MCRISK_VECTOR_CLONES
void TrialBlock::combine() {
  for (std::size_t row : plan_.rows_without_savings) std::fill_n(gross_.data() + row * capacity_, n_, 0.0);
  sum_terms(plan_.savings_terms, gross_);
  sum_terms(plan_.cost_terms, cost_);  // on the events' costs (apply_events)
  for (std::size_t o = 0; o < plan_.option_count; ++o) {
    double* total = total_net_.data() + o * capacity_;
    double* npv = npv_.data() + o * capacity_;
    double* npv_green_book = npv_green_book_.data() + o * capacity_;
    double* pv_benefits = pv_benefits_.data() + o * capacity_;
    double* pv_costs = pv_costs_.data() + o * capacity_;
    if (plan_.year_count == 0) {
      for (double* sum : {total, npv, pv_benefits, pv_costs}) std::fill(sum, sum + n_, 0.0);
    }
    for (std::size_t t = 0; t < plan_.year_count; ++t) {
      const std::size_t base = index(o, t, 0);
      const double divisor = plan_.discount_divisor[t], factor = plan_.green_book_factor[t];
      double* gross = gross_.data() + base;
      const double* retention = retention_.data() + base;
      const double* cost = cost_.data() + base;
      double* net = net_.data() + base;
      with_flag(t == 0, [&](auto first_year) __attribute__((always_inline)) {
        combine_year<first_year>(n_, divisor, factor, gross, retention, cost, net, total, npv, pv_benefits, pv_costs);
      });
    }
    for (std::size_t i = 0; i < n_; ++i) npv_green_book[i] = pv_benefits[i] - pv_costs[i];
  }
}

}  // namespace mcrisk::simulation
