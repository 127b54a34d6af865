// Rng: Box-Muller normals, unbiased bounded integers and state (de)serialisation.
#include "cnnlab/core/rng.hpp"

#include <cmath>
#include <numbers>
#include <sstream>

#include "cnnlab/core/check.hpp"

namespace cnnlab {

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();  // log(0) is -inf
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

uint64_t Rng::below(uint64_t n) {
  CNNLAB_CHECK(n > 0, ValueError, "Rng::below: expected n > 0, got 0");
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // reject the biased tail
  uint64_t v = engine_();
  while (v >= limit) v = engine_();
  return v % n;
}

std::string Rng::state() const {
  std::ostringstream out;
  out << engine_ << ' ' << has_spare_ << ' ' << std::hexfloat << spare_;
  return out.str();
}

void Rng::restore(const std::string& state) {
  std::istringstream in(state);
  std::mt19937_64 engine;
  bool has_spare = false;
  double spare = 0.0;
  in >> engine >> has_spare;
  std::string spare_text;
  in >> spare_text;
  CNNLAB_CHECK(!in.fail(), ValueError, "Rng::restore: expected a state written by Rng::state()");
  spare = std::strtod(spare_text.c_str(), nullptr);
  engine_ = engine;
  has_spare_ = has_spare;
  spare_ = spare;
}

}  // namespace cnnlab
