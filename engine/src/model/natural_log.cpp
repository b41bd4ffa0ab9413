#include "natural_log.h"

#include <cmath>
#include <limits>

namespace mcrisk::model::detail {

double natural_log(double x) {
  if (std::isnan(x) || x < 0.0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0.0) return -std::numeric_limits<double>::infinity();
  if (x == std::numeric_limits<double>::infinity()) return x;
  if (x < 0x1p-1022) return log_of_normal(x * 0x1p54, -54);  // subnormal: scaled exactly, as fdlibm
  return log_of_normal(x);
}

}  // namespace mcrisk::model::detail
