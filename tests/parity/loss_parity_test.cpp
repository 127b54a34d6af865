// PyTorch parity of the losses (cross_entropy, nll_loss, mse_loss, kl_div) and of the image
// losses gram_matrix and total_variation (computed in PyTorch from the formulas of
// include/cnnlab/ops/loss.hpp), forward and gradients, in float64 and float32; fixtures from
// make_fixtures.py (loss_fixtures).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cnnlab/ops/loss.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using ops::Reduction;
using parity::Inputs;

// Cross entropy and NLL: "x" holds logits (or log-probabilities), "target" int64 classes,
// "weight" the optional class weights (a constant, not differentiated).
void check_classification(const std::string& fixture, bool weight, Reduction reduction,
                          double label_smoothing, int64_t ignore_index, bool nll) {
  std::vector<std::string> names = {"x", "target"};
  if (weight) names.push_back("weight");
  parity::check_op(
      {.fixture = fixture, .inputs = names, .grads = {"x"}, .op = [=](const Inputs& in) {
         const ops::CrossEntropyOptions options{.weight = parity::optional_input(in, "weight"),
                                                .reduction = reduction,
                                                .label_smoothing = label_smoothing,
                                                .ignore_index = ignore_index};
         return nll ? ops::nll_loss(in.at("x"), in.at("target"), options)
                    : ops::cross_entropy(in.at("x"), in.at("target"), options);
       }});
}

void check_ce(const std::string& fixture, bool weight, Reduction reduction,
              double label_smoothing = 0.0, int64_t ignore_index = -100) {
  check_classification(fixture, weight, reduction, label_smoothing, ignore_index, false);
}

void check_nll(const std::string& fixture, bool weight, Reduction reduction,
               int64_t ignore_index = -100) {
  check_classification(fixture, weight, reduction, 0.0, ignore_index, true);
}

TEST(CrossEntropyParity, Plain) { check_ce("cross_entropy", false, Reduction::kMean); }

TEST(CrossEntropyParity, ClassWeights) { check_ce("cross_entropy_weight", true, Reduction::kMean); }

TEST(CrossEntropyParity, LabelSmoothing) {
  check_ce("cross_entropy_label_smoothing", false, Reduction::kMean, 0.1);
}

TEST(CrossEntropyParity, ClassWeightsAndLabelSmoothing) {
  check_ce("cross_entropy_weight_label_smoothing", true, Reduction::kMean, 0.1);
}

TEST(CrossEntropyParity, IgnoreIndex) {
  check_ce("cross_entropy_ignore_index", false, Reduction::kMean, 0.0, 2);
}

TEST(CrossEntropyParity, ClassWeightsAndIgnoreIndex) {
  check_ce("cross_entropy_weight_ignore_index", true, Reduction::kMean, 0.0, 2);
}

TEST(CrossEntropyParity, IgnoreIndexAndLabelSmoothing) {
  check_ce("cross_entropy_ignore_index_label_smoothing", false, Reduction::kMean, 0.1, 2);
}

TEST(CrossEntropyParity, ReductionSum) { check_ce("cross_entropy_sum", false, Reduction::kSum); }

TEST(CrossEntropyParity, ReductionNone) { check_ce("cross_entropy_none", false, Reduction::kNone); }

TEST(CrossEntropyParity, ClassWeightsLabelSmoothingReductionNone) {
  check_ce("cross_entropy_weight_label_smoothing_none", true, Reduction::kNone, 0.1);
}

TEST(NllLossParity, Plain) { check_nll("nll_loss", false, Reduction::kMean); }

TEST(NllLossParity, ClassWeightsAndIgnoreIndex) {
  check_nll("nll_loss_weight_ignore_index", true, Reduction::kMean, 2);
}

TEST(NllLossParity, ReductionSum) { check_nll("nll_loss_sum", false, Reduction::kSum); }

TEST(NllLossParity, ReductionNone) { check_nll("nll_loss_none", false, Reduction::kNone); }

void check_mse(const std::string& fixture, Reduction reduction) {
  parity::check_op({.fixture = fixture,
                    .inputs = {"x", "target"},
                    .grads = {"x", "target"},
                    .op = [reduction](const Inputs& in) {
                      return ops::mse_loss(in.at("x"), in.at("target"), reduction);
                    }});
}

TEST(MseLossParity, Mean) { check_mse("mse_loss", Reduction::kMean); }

TEST(MseLossParity, Sum) { check_mse("mse_loss_sum", Reduction::kSum); }

TEST(MseLossParity, None) { check_mse("mse_loss_none", Reduction::kNone); }

// Both gradients are compared: the input's and the target's (include/cnnlab/ops/loss.hpp).
void check_kl(const std::string& fixture, Reduction reduction, bool log_target) {
  parity::check_op({.fixture = fixture,
                    .inputs = {"x", "target"},
                    .grads = {"x", "target"},
                    .op = [=](const Inputs& in) {
                      return ops::kl_div(in.at("x"), in.at("target"), reduction, log_target);
                    }});
}

TEST(KlDivParity, BatchMean) { check_kl("kl_div_batchmean", Reduction::kBatchMean, false); }

TEST(KlDivParity, BatchMeanLogTarget) {
  check_kl("kl_div_batchmean_log_target", Reduction::kBatchMean, true);
}

TEST(KlDivParity, MeanOverElements) { check_kl("kl_div_mean", Reduction::kMean, false); }

TEST(KlDivParity, Sum) { check_kl("kl_div_sum", Reduction::kSum, false); }

TEST(KlDivParity, None) { check_kl("kl_div_none", Reduction::kNone, false); }

// Targets with exact zeros: the value and dx are PyTorch's; PyTorch's dtarget is NaN at the
// zeros (the derivative of xlogy(t, t) in its second argument is t / t) and its value elsewhere.
// cnnlab matches it where it is finite and gives the documented -input * dy at the zeros.
TEST(KlDivParity, ZeroTargetsKeepGradientsFinite) {
  const io::TensorFile f = parity::load_fixture("kl_div_zero_target");
  const parity::Tolerances tol;
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype));
    const parity::Inputs in = parity::make_inputs(f, {}, {"x", "target"}, dtype);
    const Tensor y = ops::kl_div(in.at("x"), in.at("target"), Reduction::kSum);
    parity::expect_matches(y, f, "y", tol.at(dtype));
    y.backward(parity::converted(f.at("dy"), dtype));
    parity::expect_matches(in.at("x").grad(), f, "dx", tol.at(dtype));

    const std::vector<double> torch_dt = f.at("dtarget").to_vector(),
                              t = f.at("target").to_vector(), x = f.at("x").to_vector();
    const double dy = f.at("dy").item();
    std::vector<double> expected(torch_dt.size());
    int64_t zeros = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      if (t[i] == 0.0) {
        EXPECT_TRUE(std::isnan(torch_dt[i])) << "PyTorch's dtarget at a zero target, flat " << i;
        expected[i] = -x[i] * dy;
        ++zeros;
      } else {
        expected[i] = torch_dt[i];
      }
    }
    EXPECT_EQ(zeros, 4);
    const parity::Tolerance& t_tol = tol.at(dtype);
    EXPECT_TENSOR_NEAR(in.at("target").grad(),
                       Tensor::from_vector(expected, f.at("target").shape(), Dtype::kFloat64),
                       t_tol.rtol, t_tol.atol);
  }
}

TEST(GramMatrixParity, MatchesFormula) {
  parity::check_op(
      {.fixture = "gram_matrix", .inputs = {"x"}, .grads = {"x"}, .op = [](const Inputs& in) {
         return ops::gram_matrix(in.at("x"));
       }});
}

void check_tv(const std::string& fixture, double beta) {
  parity::check_op(
      {.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = [beta](const Inputs& in) {
         return ops::total_variation(in.at("x"), beta);
       }});
}

TEST(TotalVariationParity, Beta2) { check_tv("total_variation_beta2", 2.0); }

TEST(TotalVariationParity, Beta1p5) { check_tv("total_variation_beta1.5", 1.5); }

}  // namespace
}  // namespace cnnlab
