// autograd::Profiler: module rows by dotted path, forward times with self/inclusive sums, backward
// times attributed to the module a node was recorded in (a residual add to its block), nothing
// recorded while disabled, nested guards, lazy attach and thread-locality.
#include "cnnlab/autograd/profiler.hpp"

#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <unordered_set>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

using autograd::ProfileGuard;
using autograd::Profiler;

// relu(fc(x)) + x: the add belongs to the block itself.
class Residual final : public nn::Module {
 public:
  explicit Residual(Rng& rng) : Module("Residual") {
    fc = register_module("fc", std::make_shared<nn::Linear>(
                                   nn::LinearOptions{.in_features = 4, .out_features = 4}, rng));
    act = register_module("act", std::make_shared<nn::ReLU>());
  }
  Tensor forward(const Tensor& x) override { return (*act)((*fc)(x)) + x; }
  std::shared_ptr<nn::Linear> fc;
  std::shared_ptr<nn::ReLU> act;
};

std::shared_ptr<nn::Sequential> small_mlp(Rng& rng) {
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 3, .out_features = 5}, rng),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 5, .out_features = 2}, rng)});
}

// Every node of t's graph, by the scope it was recorded in.
std::map<int32_t, int64_t> nodes_by_scope(const Tensor& t) {
  std::map<int32_t, int64_t> out;
  std::unordered_set<autograd::Node*> seen;
  std::vector<autograd::Node*> stack{t.grad_fn().get()};
  while (!stack.empty()) {
    autograd::Node* n = stack.back();
    stack.pop_back();
    if (n == nullptr || !seen.insert(n).second) continue;
    ++out[n->profile_scope()];
    for (const autograd::Edge& e : n->next()) stack.push_back(e.fn.get());
  }
  return out;
}

size_t index_of(const Profiler& p, const std::string& path) {
  for (size_t i = 0; i < p.rows().size(); ++i) {
    if (p.rows()[i].path == path) return i;
  }
  ADD_FAILURE() << "no row " << path;
  return 0;
}

// Inclusive forward time = own ops + direct children, for every container; totals add up.
void expect_sums_consistent(const Profiler& p) {
  for (const autograd::ModuleProfile& r : p.rows()) {
    EXPECT_GE(r.forward_ns, 0) << r.path;
    EXPECT_GE(r.forward_self_ns, 0) << r.path;
    EXPECT_GE(r.backward_ns, 0) << r.path;
    int64_t children = 0;
    for (const autograd::ModuleProfile& c : p.rows()) {
      const bool direct =
          c.depth == r.depth + 1 && (r.path.empty() ? true : c.path.rfind(r.path + ".", 0) == 0);
      if (direct) children += c.forward_ns;
    }
    EXPECT_EQ(r.forward_ns, r.forward_self_ns + children) << r.path;
  }
  int64_t self = 0, backward = p.outside_backward_ns();
  for (const autograd::ModuleProfile& r : p.rows()) {
    self += r.forward_self_ns;
    backward += r.backward_ns;
  }
  EXPECT_EQ(p.total_forward_ns(), self);
  EXPECT_EQ(p.total_forward_ns(), p.row("").forward_ns);
  EXPECT_EQ(p.total_backward_ns(), backward);
}

TEST(ProfilerSequential, AttributesForwardAndBackwardToLayerPaths) {
  Rng rng(1);
  auto net = small_mlp(rng);
  Profiler p;
  p.attach(*net);
  const Tensor x = Tensor::normal({6, 3}, 0, 1, rng);
  Tensor loss;
  std::map<int32_t, int64_t> recorded;
  {
    ProfileGuard guard(p);
    loss = (*net)(x).sum();
    recorded = nodes_by_scope(loss);
    loss.backward();
  }
  ASSERT_EQ(p.rows().size(), 4u);
  const std::vector<std::string> paths = {"", "0", "1", "2"};
  const std::vector<std::string> types = {"Sequential", "Linear", "ReLU", "Linear"};
  for (size_t i = 0; i < 4; ++i) {
    const autograd::ModuleProfile& r = p.rows()[i];
    EXPECT_EQ(r.path, paths[i]);
    EXPECT_EQ(r.type_name, types[i]);
    EXPECT_EQ(r.leaf, i != 0);
    EXPECT_EQ(r.depth, i == 0 ? 0 : 1);
    EXPECT_EQ(r.forward_calls, 1);
    // every node recorded in a scope ran backward there, and only those
    EXPECT_EQ(r.backward_nodes, recorded.count(p.scope_id(i)) ? recorded[p.scope_id(i)] : 0)
        << r.path;
  }
  EXPECT_EQ(p.row("0").output_shape, Shape({6, 5}));
  EXPECT_EQ(p.row("2").output_shape, Shape({6, 2}));
  EXPECT_GE(p.row("0").backward_nodes, 1);
  EXPECT_GE(p.row("1").backward_nodes, 1);
  EXPECT_EQ(p.row("").backward_nodes, 0);               // Sequential records no op of its own
  EXPECT_EQ(p.outside_backward_nodes(), recorded[-1]);  // the sum()
  EXPECT_GE(p.outside_backward_nodes(), 1);
  expect_sums_consistent(p);
}

TEST(ProfilerResidual, AttributesTheResidualAddToTheBlock) {
  Rng rng(2);
  auto net = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<Residual>(rng), std::make_shared<Residual>(rng)});
  Profiler p;
  p.attach(*net);
  std::vector<std::string> paths;
  for (const auto& r : p.rows()) paths.push_back(r.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"", "0", "0.fc", "0.act", "1", "1.fc", "1.act"}));
  const Tensor x = Tensor::normal({3, 4}, 0, 1, rng);
  {
    ProfileGuard guard(p);
    const Tensor loss = (*net)(x).sum();
    const auto recorded = nodes_by_scope(loss);
    // the add is recorded in the block's own scope, not in its children's
    EXPECT_EQ(recorded.at(p.scope_id(index_of(p, "0"))), 1);
    EXPECT_EQ(recorded.at(p.scope_id(index_of(p, "1"))), 1);
    loss.backward();
  }
  EXPECT_FALSE(p.row("0").leaf);
  EXPECT_TRUE(p.row("0.fc").leaf);
  EXPECT_EQ(p.row("0").backward_nodes, 1);
  EXPECT_EQ(p.row("1").backward_nodes, 1);
  EXPECT_GE(p.row("1.fc").backward_nodes, 1);
  EXPECT_EQ(p.row("1.act").output_shape, Shape({3, 4}));
  expect_sums_consistent(p);

  p.reset();  // counters to zero, rows kept
  EXPECT_EQ(p.rows().size(), 7u);
  EXPECT_EQ(p.row("0.fc").forward_calls, 0);
  EXPECT_EQ(p.total_forward_ns(), 0);
  EXPECT_EQ(p.total_backward_ns(), 0);
  EXPECT_THROW_WITH(p.row("2"), ValueError, "Profiler::row: expected a module path");
}

TEST(ProfilerDisabled, RecordsNothing) {
  Rng rng(3);
  auto net = small_mlp(rng);
  Profiler p;
  p.attach(*net);
  const Tensor x = Tensor::normal({2, 3}, 0, 1, rng);
  const Tensor loss = (*net)(x).sum();
  for (const auto& [scope, count] : nodes_by_scope(loss)) EXPECT_EQ(scope, -1);
  {
    ProfileGuard guard(p);  // a backward under a guard of a graph recorded without one
    loss.backward();
  }
  for (const autograd::ModuleProfile& r : p.rows()) {
    EXPECT_EQ(r.forward_calls, 0);
    EXPECT_EQ(r.backward_nodes, 0);
  }
  EXPECT_GE(p.outside_backward_nodes(), 3);  // counted as outside: no module scope recorded
  EXPECT_EQ(autograd::detail::current_profiler(), nullptr);
  EXPECT_FALSE(autograd::detail::profiling_maybe_on());
}

TEST(ProfilerGuard, NestsAndRestoresThePreviousProfiler) {
  Rng rng(4);
  auto net = small_mlp(rng);
  Profiler outer, inner;
  outer.attach(*net);
  inner.attach(*net);
  const Tensor x = Tensor::normal({2, 3}, 0, 1, rng);
  {
    ProfileGuard a(outer);
    (*net)(x);
    {
      ProfileGuard b(inner);
      EXPECT_EQ(autograd::detail::current_profiler(), &inner);
      (*net)(x);
      (*net)(x);
      {
        ProfileGuard again(inner);  // the same profiler twice: no double counting
        (*net)(x);
      }
      EXPECT_EQ(autograd::detail::current_profiler(), &inner);
    }
    EXPECT_EQ(autograd::detail::current_profiler(), &outer);
    (*net)(x);
  }
  EXPECT_EQ(autograd::detail::current_profiler(), nullptr);
  EXPECT_EQ(outer.row("0").forward_calls, 2);
  EXPECT_EQ(inner.row("0").forward_calls, 3);
  EXPECT_EQ(inner.row("").forward_calls, 3);
  expect_sums_consistent(outer);
  expect_sums_consistent(inner);
}

TEST(ProfilerAttach, AttachesAnUnattachedModelOnItsFirstCall) {
  Rng rng(5);
  auto net = small_mlp(rng);
  Profiler p;
  const Tensor x = Tensor::normal({2, 3}, 0, 1, rng);
  {
    ProfileGuard guard(p);
    (*net)(x);
  }
  ASSERT_EQ(p.rows().size(), 4u);
  EXPECT_EQ(p.row("2").type_name, "Linear");
  EXPECT_EQ(p.row("2").forward_calls, 1);
}

TEST(ProfilerThreads, ProfilesOnlyTheGuardedThread) {
  Rng rng(6);
  auto net = small_mlp(rng);
  Profiler p;
  p.attach(*net);
  const Tensor x = Tensor::normal({2, 3}, 0, 1, rng);
  ProfileGuard guard(p);
  std::thread other([&] { (*net)(x); });
  other.join();
  EXPECT_EQ(p.row("").forward_calls, 0);
  (*net)(x);
  EXPECT_EQ(p.row("").forward_calls, 1);
}

}  // namespace
}  // namespace cnnlab
