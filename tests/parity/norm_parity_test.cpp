// PyTorch parity of ops::batch_norm (train and eval, 4-D and 2-D: output, dx, dweight, dbias and
// the running statistics after the update) and ops::local_response_norm against
// torch.nn.functional in float64; fixtures from make_fixtures.py (norm_fixtures).
#include <gtest/gtest.h>

#include "cnnlab/ops/lrn.hpp"
#include "cnnlab/ops/norm.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

void check_batch_norm(const std::string& fixture, const ops::BatchNormParams& params) {
  parity::check_op({.fixture = fixture,
                    .inputs = {"x", "weight", "bias", "running_mean", "running_var"},
                    .grads = {"x", "weight", "bias"},
                    .op =
                        [params](const Inputs& in) {
                          return ops::batch_norm(in.at("x"), in.at("running_mean"),
                                                 in.at("running_var"), in.at("weight"),
                                                 in.at("bias"), params);
                        },
                    .updated_inputs = {{"running_mean", "running_mean_after"},
                                       {"running_var", "running_var_after"}}});
}

void check_lrn(const std::string& fixture, const ops::LrnParams& params) {
  parity::check_op(
      {.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = [params](const Inputs& in) {
         return ops::local_response_norm(in.at("x"), params);
       }});
}

TEST(BatchNormParity, Train4d) { check_batch_norm("batch_norm_train_4d", {.training = true}); }

TEST(BatchNormParity, Train2d) { check_batch_norm("batch_norm_train_2d", {.training = true}); }

TEST(BatchNormParity, TrainMomentumAndEps) {
  check_batch_norm("batch_norm_train_4d_momentum0.3_eps1e-3",
                   {.training = true, .momentum = 0.3, .eps = 1e-3});
}

// Eval leaves the running statistics unchanged (the fixture's "after" equals the input).
TEST(BatchNormParity, Eval4d) { check_batch_norm("batch_norm_eval_4d", {.training = false}); }

TEST(BatchNormParity, Eval2d) { check_batch_norm("batch_norm_eval_2d", {.training = false}); }

TEST(LocalResponseNormParity, AlexNetConstants) {
  check_lrn("lrn_alexnet", {.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 2.0});
}

TEST(LocalResponseNormParity, LargeAlphaSize3) {
  check_lrn("lrn_alpha0.5_size3", {.size = 3, .alpha = 0.5, .beta = 0.75, .k = 1.0});
}

TEST(LocalResponseNormParity, EvenSizeWindow) {
  check_lrn("lrn_size4_even", {.size = 4, .alpha = 0.3, .beta = 0.6, .k = 1.5});
}

}  // namespace
}  // namespace cnnlab
