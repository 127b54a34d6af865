// PyTorch parity of the elementwise ops of include/cnnlab/ops/math.hpp (broadcasting add, sub,
// mul, div; neg, exp, log, sqrt, pow, abs, sign, clamp, where): forward and gradients in float64
// and float32; fixtures from make_fixtures.py (math_fixtures). The kinks are tested on purpose:
// abs and sign at exact zeros, clamp at values exactly on its bounds, where with inf and NaN in
// the branch it does not take.
#include <gtest/gtest.h>

#include <optional>

#include "cnnlab/ops/math.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

void check_binary(const std::string& fixture, const parity::OpFn& op) {
  parity::check_op({.fixture = fixture, .inputs = {"a", "b"}, .grads = {"a", "b"}, .op = op});
}

void check_unary(const std::string& fixture, const parity::OpFn& op) {
  parity::check_op({.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = op});
}

TEST(AddParity, Broadcasting) {
  check_binary("add_broadcast", [](const Inputs& in) { return ops::add(in.at("a"), in.at("b")); });
}

TEST(SubParity, Broadcasting) {
  check_binary("sub_broadcast", [](const Inputs& in) { return ops::sub(in.at("a"), in.at("b")); });
}

TEST(MulParity, Broadcasting) {
  check_binary("mul_broadcast", [](const Inputs& in) { return ops::mul(in.at("a"), in.at("b")); });
}

TEST(DivParity, Broadcasting) {
  check_binary("div_broadcast", [](const Inputs& in) { return ops::div(in.at("a"), in.at("b")); });
}

TEST(NegParity, MatchesTorch) {
  check_unary("neg", [](const Inputs& in) { return ops::neg(in.at("x")); });
}

TEST(ExpParity, MatchesTorch) {
  check_unary("exp", [](const Inputs& in) { return ops::exp(in.at("x")); });
}

TEST(LogParity, MatchesTorch) {
  check_unary("log", [](const Inputs& in) { return ops::log(in.at("x")); });
}

TEST(SqrtParity, MatchesTorch) {
  check_unary("sqrt", [](const Inputs& in) { return ops::sqrt(in.at("x")); });
}

TEST(PowParity, Exponent2p5) {
  check_unary("pow_2.5", [](const Inputs& in) { return ops::pow(in.at("x"), 2.5); });
}

// x holds three exact zeros: PyTorch's gradient there is sign(0) * dy = 0.
TEST(AbsParity, GradientAtExactZerosIsZero) {
  check_unary("abs", [](const Inputs& in) { return ops::abs(in.at("x")); });
}

// Exact zeros give 0; the gradient is 0 everywhere.
TEST(SignParity, ZerosAndZeroGradient) {
  check_unary("sign", [](const Inputs& in) { return ops::sign(in.at("x")); });
}

// Each clamp fixture has two values exactly on each bound it uses; PyTorch passes the gradient
// there (min <= x <= max, bounds included).
void check_clamp(const std::string& fixture, std::optional<double> min, std::optional<double> max) {
  check_unary(fixture, [=](const Inputs& in) { return ops::clamp(in.at("x"), min, max); });
}

TEST(ClampParity, MinOnlyWithValuesAtTheBound) { check_clamp("clamp_min", -0.5, std::nullopt); }

TEST(ClampParity, MaxOnlyWithValuesAtTheBound) { check_clamp("clamp_max", std::nullopt, 0.5); }

TEST(ClampParity, BothBoundsWithValuesAtTheBounds) { check_clamp("clamp_both", -0.5, 0.5); }

void check_where(const std::string& fixture) {
  parity::check_op({.fixture = fixture,
                    .inputs = {"condition", "a", "b"},
                    .grads = {"a", "b"},
                    .op = [](const Inputs& in) {
                      return ops::where(in.at("condition"), in.at("a"), in.at("b"));
                    }});
}

// condition (3, 1, 5), a (3, 4, 5), b (4, 1): all three broadcast; da and db are summed back.
TEST(WhereParity, BroadcastsConditionAndBothBranches) { check_where("where_broadcast"); }

// a holds NaN, inf and -inf only where condition is 0, b holds -inf and NaN only where it is 1:
// PyTorch returns the selected values, and da, db are dy or 0 (finite) everywhere.
TEST(WhereParity, NonFiniteValuesInTheBranchNotTakenDoNotLeak) {
  check_where("where_nonfinite_unselected");
}

}  // namespace
}  // namespace cnnlab
