// Texture synthesis and style transfer (viz/style.hpp) and the L-BFGS-B adapter (viz/lbfgs.hpp):
// the adapter minimizes inside its box, the objective's gradient is its loss's, small syntheses
// cut their loss 10x, the model is left as it was, and bad input gives clear errors.
#include "cnnlab/viz/style.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/viz/lbfgs.hpp"
#include "support/expect_throw_with.hpp"
#include "support/gradcheck.hpp"

namespace cnnlab {
namespace {

using viz::WeightedLayer;

// ---- L-BFGS-B ----------------------------------------------------------------------------------

TEST(VizLbfgsb, MinimizesABoundedQuadraticAndStaysInTheBox) {
  // f = sum_i (x_i - t_i)^2 with targets partly outside [0, 1]: the minimizer is t clamped.
  const std::vector<double> t = {-0.5, 0.25, 0.5, 1.5, 0.9};
  bool inside = true;
  viz::LbfgsObjective f = [&](std::span<const double> x, std::span<double> g) {
    double s = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      inside = inside && x[i] >= 0.0 && x[i] <= 1.0;
      s += (x[i] - t[i]) * (x[i] - t[i]);
      g[i] = 2 * (x[i] - t[i]);
    }
    return s;
  };
  const viz::LbfgsResult r =
      viz::minimize_lbfgsb(f, {0.5, 0.5, 0.5, 0.5, 0.5}, {.max_iterations = 20});
  EXPECT_TRUE(inside);
  ASSERT_EQ(r.x.size(), 5u);
  const std::vector<double> expected = {0.0, 0.25, 0.5, 1.0, 0.9};
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(r.x[i], expected[i], 1e-6) << i;
  EXPECT_NEAR(r.f, 0.25 + 0.25, 1e-9);
  EXPECT_LT(r.f, r.f_start);
  EXPECT_EQ(r.evaluations, static_cast<int64_t>(r.history.size()));
}

TEST(VizLbfgsb, AFewIterationsReduceRosenbrock) {
  viz::LbfgsObjective f = [](std::span<const double> x, std::span<double> g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
  };
  const viz::LbfgsResult r =
      viz::minimize_lbfgsb(f, {-1.2, 1.0}, {.max_iterations = 5, .lower = -2.0, .upper = 2.0});
  EXPECT_NEAR(r.f_start, 24.2, 1e-12);
  EXPECT_LT(r.f, 0.5 * r.f_start);
  EXPECT_EQ(r.iterations, 5);
  EXPECT_EQ(r.stop_reason, "max_iterations");
}

TEST(VizLbfgsb, EvaluationCapStopsIt) {
  viz::LbfgsObjective f = [](std::span<const double> x, std::span<double> g) {
    g[0] = 2 * (x[0] - 0.3);
    return (x[0] - 0.3) * (x[0] - 0.3) + std::sin(10 * x[0]) * 0.01;
  };
  const viz::LbfgsResult r =
      viz::minimize_lbfgsb(f, {0.9}, {.max_iterations = 100, .max_evaluations = 3});
  EXPECT_EQ(r.evaluations, 3);
  EXPECT_EQ(r.stop_reason, "max_evaluations");
}

TEST(VizLbfgsb, RejectsBadOptions) {
  viz::LbfgsObjective f = [](std::span<const double>, std::span<double> g) {
    g[0] = 0;
    return 0.0;
  };
  EXPECT_THROW_WITH(viz::minimize_lbfgsb(f, {}, {}), ValueError, "expected a non-empty x0");
  EXPECT_THROW_WITH(viz::minimize_lbfgsb(f, {0.5}, {.lower = 1.0, .upper = 1.0}), ValueError,
                    "expected lower < upper, got [1, 1]");
  EXPECT_THROW_WITH(viz::minimize_lbfgsb(f, {0.5}, {.max_iterations = 0}), ValueError,
                    "expected max_iterations > 0, got 0");
}

// ---- the objective and the syntheses -----------------------------------------------------------

// A small random multi-scale net: 3 scales of 8 random 3x3 filters.
std::shared_ptr<nn::Module> tiny_net(uint64_t seed = 7) {
  Rng rng(seed);
  return viz::make_random_multiscale({.scales = 3, .filters = 8, .kernel_size = 3}, rng);
}

std::vector<WeightedLayer> all_scales() {
  return {{"scale0.2", 1.0}, {"scale1.2", 1.0}, {"scale2.2", 1.0}};
}

// A structured 3x16x16 "texture": stripes in one channel, a checkerboard in another.
Tensor stripes(int64_t size = 16) {
  std::vector<double> v;
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t i = 0; i < size; ++i) {
      for (int64_t j = 0; j < size; ++j) {
        v.push_back(c == 0 ? (j % 4 < 2 ? 0.9 : 0.1) : c == 1 ? ((i + j) % 2 ? 0.8 : 0.2) : 0.5);
      }
    }
  }
  return Tensor::from_vector(v, {3, size, size});
}

TEST(VizRandomMultiScale, NamesItsLayersAndPoolsPerScale) {
  const auto net = tiny_net();
  EXPECT_EQ(viz::random_multiscale_layers({.scales = 3}),
            (std::vector<std::string>{"scale0.2", "scale1.2", "scale2.2"}));
  viz::LayerCapture s1(*net, "scale1.2", "test");
  NoGradGuard no_grad;
  const Tensor out = (*net)(Tensor::zeros({1, 3, 16, 16}));
  EXPECT_EQ(out.shape(), (Shape{1, 8, 4, 4}));  // the last scale pools by 4
  EXPECT_EQ(s1.output().shape(), (Shape{1, 8, 8, 8}));
  Rng rng(1);
  EXPECT_THROW_WITH(viz::make_random_multiscale({.kernel_size = 4}, rng), ValueError,
                    "an odd kernel size");
}

TEST(VizStyleObjective, GradientMatchesFiniteDifferences) {
  const auto net = tiny_net();
  Rng rng(3);
  const Tensor content = Tensor::uniform({3, 8, 8}, 0.0, 1.0, rng);
  viz::StyleObjective obj(*net,
                          {.style_layers = {{"scale0.2", 1.0}, {"scale1.2", 0.5}},
                           .content_layer = "scale1.2",
                           .content_weight = 0.3,
                           .style_weight = 2.0,
                           .tv_weight = 0.1},
                          stripes(8), content);
  const Tensor x = Tensor::uniform({1, 3, 8, 8}, 0.2, 0.8, rng);
  Tensor grad;
  const double f0 = obj.evaluate(x, &grad);
  EXPECT_GT(f0, 0.0);
  ASSERT_EQ(grad.shape(), x.shape());
  // Directional derivative along a random direction, float32 central differences.
  const Tensor d = Tensor::uniform({1, 3, 8, 8}, -1.0, 1.0, rng);
  const double h = 1e-2;
  const double fp = obj.evaluate(x + d * h, nullptr);
  const double fm = obj.evaluate(x - d * h, nullptr);
  const double numeric = (fp - fm) / (2 * h);
  double analytic = 0;
  const auto g = grad.to_vector(), dv = d.to_vector();
  for (size_t i = 0; i < g.size(); ++i) analytic += g[i] * dv[i];
  EXPECT_NEAR(analytic, numeric, 2e-3 * std::abs(numeric) + 1e-6);
  // The parts add up to the total.
  const auto& p = obj.last_parts();
  ASSERT_EQ(p.style.size(), 2u);
  EXPECT_NEAR(p.total, 0.3 * p.content + 2.0 * (p.style[0] + 0.5 * p.style[1]) + 0.1 * p.tv,
              1e-5 * p.total);
}

TEST(VizGramStyleLoss, EqualsTheComposedOpsInValueAndGradient) {
  Rng rng(9);
  const Tensor base = Tensor::normal({1, 4, 3, 5}, 0.0, 1.0, rng, Dtype::kFloat64);
  const Tensor target = Tensor::normal({1, 4, 4}, 0.0, 0.5, rng, Dtype::kFloat64);
  Tensor f1 = base.clone(), f2 = base.clone();
  f1.set_requires_grad();
  f2.set_requires_grad();
  const Tensor fused = viz::gram_style_loss(f1, target, 2.5);
  const Tensor d = ops::gram_matrix(f2) - target;
  const Tensor composed = (d * d).sum() / 2.5;
  EXPECT_NEAR(fused.item(), composed.item(), 1e-12 * composed.item());
  (fused * 3.0).backward();
  (composed * 3.0).backward();
  const auto g1 = f1.grad().to_vector(), g2 = f2.grad().to_vector();
  ASSERT_EQ(g1.size(), g2.size());
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g1[i], g2[i], 1e-12) << i;
  EXPECT_THROW_WITH(viz::gram_style_loss(f1, Tensor::zeros({1, 3, 3}, Dtype::kFloat64), 1.0),
                    ShapeError, "expected a target (1, 4, 4) of float64, got shape [1, 3, 3]");
  EXPECT_THROW_WITH(viz::gram_style_loss(f1, target, 0.0), ValueError, "expected norm > 0, got 0");
}

TEST(VizGramStyleLoss, MatchesCentralDifferences) {
  Rng rng(21);
  const Tensor target = Tensor::normal({1, 3, 3}, 0.0, 0.3, rng, Dtype::kFloat64);
  const auto r = testing::gradcheck(
      [&](const std::vector<Tensor>& v) { return viz::gram_style_loss(v[0], target, 0.7); },
      {Tensor::normal({1, 3, 4, 2}, 0.0, 1.0, rng, Dtype::kFloat64)});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(VizStyleObjective, FreezesParametersAndRestoresTheModel) {
  const auto net = tiny_net();
  Tensor w = net->parameters().front();
  ASSERT_TRUE(w.requires_grad());
  {
    viz::StyleObjective obj(*net, {.style_layers = {{"scale0.2", 1.0}}}, stripes(), Tensor());
    EXPECT_FALSE(w.requires_grad());
    Tensor grad;
    obj.evaluate(Tensor::full({1, 3, 16, 16}, 0.5), &grad);
    EXPECT_FALSE(w.grad().defined());
  }
  EXPECT_TRUE(w.requires_grad());
  // The hooks are gone: a forward runs to the last scale again.
  NoGradGuard no_grad;
  EXPECT_EQ((*net)(Tensor::zeros({1, 3, 16, 16})).shape(), (Shape{1, 8, 4, 4}));
}

TEST(VizTexture, LbfgsCutsTheGramLossTenfold) {
  const auto net = tiny_net();
  Rng rng(11);
  const viz::SynthesisResult r = viz::synthesize_texture(
      *net, stripes(),
      {.layers = all_scales(), .height = 16, .width = 16, .optimize = {.steps = 40}}, rng);
  EXPECT_EQ(r.image.shape(), (Shape{3, 16, 16}));
  EXPECT_GT(r.loss_start, 0.0);
  EXPECT_LT(r.loss_end, 0.1 * r.loss_start) << r.loss_start << " -> " << r.loss_end;
  const auto v = r.image.to_vector();
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 0.0);
  EXPECT_LE(*std::max_element(v.begin(), v.end()), 1.0);
  EXPECT_EQ(r.evaluations, static_cast<int64_t>(r.history.size()));
}

TEST(VizTexture, AdamReducesTheLossAndClampsPixels) {
  const auto net = tiny_net();
  Rng rng(5);
  const viz::SynthesisResult r = viz::synthesize_texture(
      *net, stripes(),
      {.layers = all_scales(),
       .height = 16,
       .width = 16,
       .optimize = {.steps = 60, .optimizer = viz::ImageOptimizer::kAdam, .adam_lr = 0.05}},
      rng);
  EXPECT_EQ(r.iterations, 60);
  EXPECT_EQ(r.stop_reason, "steps");
  EXPECT_LT(r.loss_end, 0.5 * r.loss_start);
  const auto v = r.image.to_vector();
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 0.0);
  EXPECT_LE(*std::max_element(v.begin(), v.end()), 1.0);
}

TEST(VizStyleTransfer, StartsAtTheContentAndLowersTheTotal) {
  const auto net = tiny_net();
  Rng rng(2);
  const Tensor content = Tensor::uniform({3, 16, 16}, 0.0, 1.0, rng);
  const viz::SynthesisResult r = viz::transfer_style(*net, content, stripes(),
                                                     {.style_layers = all_scales(),
                                                      .content_layer = "scale1.2",
                                                      .tv_weight = 0.01,
                                                      .optimize = {.steps = 20}},
                                                     rng);
  EXPECT_NEAR(r.parts_start.content, 0.0, 1e-12);  // from the content image itself
  EXPECT_LT(r.loss_end, 0.5 * r.loss_start);
  double style_start = 0, style_end = 0;
  for (double s : r.parts_start.style) style_start += s;
  for (double s : r.parts_end.style) style_end += s;
  EXPECT_LT(style_end, style_start);
  EXPECT_GT(r.parts_end.content, 0.0);
}

TEST(VizStyle, BadInputGivesClearErrors) {
  const auto net = tiny_net();
  Rng rng(1);
  EXPECT_THROW_WITH(viz::synthesize_texture(*net, stripes(), {.layers = {{"scale9.2", 1.0}}}, rng),
                    ValueError,
                    "viz::synthesize_texture: unknown layer 'scale9.2' (layers: scale0, scale0.0");
  EXPECT_THROW_WITH(viz::synthesize_texture(*net, stripes(), {.layers = {}}, rng), ValueError,
                    "expected at least one layer, got none");
  EXPECT_THROW_WITH(
      viz::synthesize_texture(*net, stripes(), {.layers = all_scales(), .height = 0}, rng),
      ValueError, "expected a positive size, got 0x128");
  EXPECT_THROW_WITH(
      viz::synthesize_texture(*net, Tensor::zeros({16, 16}), {.layers = all_scales()}, rng),
      ShapeError, "expected the texture image (C, H, W), got shape [16, 16]");
  EXPECT_THROW_WITH(viz::transfer_style(*net, stripes(), stripes(),
                                        {.style_layers = all_scales(), .content_layer = ""}, rng),
                    ValueError, "viz::transfer_style: expected a content layer, got none");
  EXPECT_THROW_WITH(
      viz::StyleObjective(*net, {.style_layers = {{"scale0.2", -1.0}}}, stripes(), Tensor()),
      ValueError, "expected a finite weight >= 0 for layer 'scale0.2', got -1");
  EXPECT_THROW_WITH(viz::StyleObjective(*net, {.content_layer = "scale0.2"}, Tensor(), Tensor()),
                    ValueError, "expected a content image for content layer 'scale0.2'");
  EXPECT_THROW_WITH(viz::synthesize_texture(
                        *net, stripes(), {.layers = all_scales(), .optimize = {.steps = 0}}, rng),
                    ValueError, "viz::optimize_image: expected steps > 0, got 0");
  // The failed constructions left the parameters as they were.
  EXPECT_TRUE(net->parameters().front().requires_grad());
}

TEST(VizStyle, ParsesWeightedLayerLists) {
  const auto l = viz::parse_weighted_layers("features.0,features.5:0.5", "t");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].layer, "features.0");
  EXPECT_EQ(l[0].weight, 1.0);
  EXPECT_EQ(l[1].layer, "features.5");
  EXPECT_EQ(l[1].weight, 0.5);
  EXPECT_THROW_WITH(viz::parse_weighted_layers("a:x", "t"), ValueError,
                    "t: expected a finite layer weight >= 0, got 'x' in 'a:x'");
  EXPECT_THROW_WITH(viz::parse_weighted_layers(":2", "t"), ValueError, "expected a layer name");
  EXPECT_THROW_WITH(viz::parse_weighted_layers("", "t"), ValueError, "expected a list of layers");
}

}  // namespace
}  // namespace cnnlab
