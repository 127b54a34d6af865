// DataLoader: batching, seeded order per epoch, per-example transform seeds, identical results
// with and without the prefetch thread, errors carried out of the thread, clean shutdown.
#include "cnnlab/data/dataloader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#include "cnnlab/core/error.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using data::Batch;
using data::DataLoader;
using data::DataLoaderOptions;

// n images (1, 2, 3) filled with their index; label = index % 3.
std::shared_ptr<const data::Dataset> numbered(int64_t n) {
  std::vector<double> pixels;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 6; ++k) pixels.push_back(static_cast<double>(i));
    labels.push_back(i % 3);
  }
  return std::make_shared<data::TensorDataset>(Tensor::from_vector(pixels, {n, 1, 2, 3}),
                                               Tensor::from_int64(labels, {n}),
                                               std::vector<std::string>{"a", "b", "c"});
}

// Every batch of one pass, copied out.
std::vector<Batch> collect(DataLoader& loader) {
  std::vector<Batch> out;
  for (const Batch& b : loader) out.push_back(b);
  return out;
}

std::vector<int64_t> visited(const std::vector<Batch>& batches) {
  std::vector<int64_t> out;
  for (const Batch& b : batches) out.insert(out.end(), b.indices.begin(), b.indices.end());
  return out;
}

void expect_same(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].indices, b[i].indices) << "batch " << i;
    EXPECT_TENSOR_NEAR(a[i].inputs, b[i].inputs, 0, 0);
    EXPECT_TENSOR_NEAR(a[i].targets, b[i].targets, 0, 0);
  }
}

TEST(DataLoaderBatching, YieldsEveryExampleOnceInOrder) {
  DataLoader loader(numbered(10), {.batch_size = 4});
  EXPECT_EQ(loader.num_batches(), 3);
  const std::vector<Batch> batches = collect(loader);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].inputs.shape(), (Shape{4, 1, 2, 3}));
  EXPECT_EQ(batches[0].inputs.dtype(), Dtype::kFloat32);
  EXPECT_EQ(batches[2].inputs.shape(), (Shape{2, 1, 2, 3}));
  EXPECT_EQ(batches[2].targets.shape(), (Shape{2}));
  EXPECT_EQ(batches[2].targets.dtype(), Dtype::kInt64);
  EXPECT_EQ(visited(batches), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(batches[1].inputs.at({2, 0, 1, 2}), 6.0);
  EXPECT_EQ(batches[1].targets.to_vector(), (std::vector<double>{1, 2, 0, 1}));
  // a second pass gives the same batches
  expect_same(collect(loader), batches);
}

TEST(DataLoaderBatching, DropLastAndEmptyDatasets) {
  DataLoader loader(numbered(10), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(loader.num_batches(), 2);
  EXPECT_EQ(visited(collect(loader)).size(), 8u);
  DataLoader exact(numbered(8), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(exact.num_batches(), 2);
  DataLoader empty(numbered(0), {});
  EXPECT_EQ(empty.num_batches(), 0);
  EXPECT_TRUE(collect(empty).empty());
  DataLoader small(numbered(3), {.batch_size = 4, .drop_last = true});
  EXPECT_TRUE(collect(small).empty());
}

TEST(DataLoaderOrder, DependsOnlyOnSeedAndEpoch) {
  const auto ds = numbered(50);
  DataLoader a(ds, {.batch_size = 8, .shuffle = true, .seed = 42});
  DataLoader b(ds, {.batch_size = 8, .shuffle = true, .seed = 42, .prefetch = false});
  const std::vector<Batch> a0 = collect(a);
  std::vector<int64_t> order0 = visited(a0);
  EXPECT_EQ(order0, a.order(0));
  std::vector<int64_t> sorted = order0;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, data::DataLoader(ds, {}).order(0)) << "a permutation";
  EXPECT_NE(order0, sorted) << "shuffled";
  a.set_epoch(1);
  const std::vector<int64_t> order1 = visited(collect(a));
  EXPECT_NE(order1, order0) << "a new order each epoch";
  // b jumps straight to epoch 1, as a resumed run does
  b.set_epoch(1);
  EXPECT_EQ(visited(collect(b)), order1);
  b.set_epoch(0);
  expect_same(collect(b), a0);
  DataLoader other_seed(ds, {.batch_size = 8, .shuffle = true, .seed = 43});
  EXPECT_NE(visited(collect(other_seed)), order0);
  EXPECT_EQ(DataLoader(ds, {.shuffle = true, .seed = 42}).order(1), order1)
      << "the batch size does not change the order";
}

TEST(DataLoaderOrder, SeedsAreStableAcrossPlatforms) {
  // The run directory's resume depends on these: changing them breaks old checkpoints.
  EXPECT_EQ(data::shuffle_seed(0, 0), data::shuffle_seed(0, 0));
  EXPECT_NE(data::shuffle_seed(0, 0), data::shuffle_seed(0, 1));
  EXPECT_NE(data::shuffle_seed(0, 0), data::shuffle_seed(1, 0));
  EXPECT_NE(data::transform_seed(0, 0, 1), data::transform_seed(0, 0, 2));
  EXPECT_NE(data::transform_seed(0, 1, 1), data::transform_seed(0, 0, 1));
  EXPECT_EQ(data::transform_seed(7, 3, 11), 0x6fc9f6dc4fdd3c43ULL);
  EXPECT_EQ(data::shuffle_seed(7, 3), 0x1bd12fcfe30905d3ULL);
}

// A transform that records its first draw in the image, so tests can see which Rng it got.
class StampTransform final : public data::Transform {
 public:
  Tensor apply(const Tensor& image, Rng& rng) const override {
    Tensor out = image.clone();
    out.data<float>()[0] = static_cast<float>(rng.below(1000000));
    return out;
  }
  std::string repr() const override { return "Stamp()"; }
};

TEST(DataLoaderTransform, UsesOneSeededRngPerExampleAndEpoch) {
  const auto ds = numbered(20);
  const auto stamp = std::make_shared<StampTransform>();
  DataLoader threaded(ds, {.batch_size = 3, .shuffle = true, .seed = 5}, stamp);
  DataLoader inline_(ds, {.batch_size = 7, .shuffle = true, .seed = 5, .prefetch = false}, stamp);
  threaded.set_epoch(2);
  inline_.set_epoch(2);
  const std::vector<Batch> a = collect(threaded);
  const std::vector<Batch> b = collect(inline_);
  // example i's stamp depends on (seed, epoch, i), not on the batch or the thread
  std::map<int64_t, double> stamps;
  for (const Batch& batch : a)
    for (size_t k = 0; k < batch.indices.size(); ++k)
      stamps[batch.indices[k]] = batch.inputs.at({static_cast<int64_t>(k), 0, 0, 0});
  for (const Batch& batch : b) {
    for (size_t k = 0; k < batch.indices.size(); ++k) {
      const int64_t i = batch.indices[k];
      EXPECT_EQ(batch.inputs.at({static_cast<int64_t>(k), 0, 0, 0}), stamps.at(i));
      Rng expected(data::transform_seed(5, 2, i));
      EXPECT_EQ(stamps.at(i), static_cast<double>(expected.below(1000000)));
      EXPECT_EQ(batch.inputs.at({static_cast<int64_t>(k), 0, 1, 2}), static_cast<double>(i));
    }
  }
  expect_same({threaded.make_batch(2, 1)}, {a[1]});
  threaded.set_epoch(3);
  EXPECT_NE(collect(threaded)[0].inputs.at({0, 0, 0, 0}), a[0].inputs.at({0, 0, 0, 0}));
}

// get() throws for one index; counts calls so tests can see the thread stopped.
class FailingDataset final : public data::Dataset {
 public:
  explicit FailingDataset(int64_t bad) : bad_(bad) {}
  int64_t size() const override { return 40; }
  data::Example get(int64_t index) const override {
    ++calls;
    if (index == bad_)
      throw IoError("FailingDataset: cannot read 'image_" + std::to_string(index) + ".png'");
    return {Tensor::full({1, 1, 1}, static_cast<double>(index)), 0};
  }
  Shape image_shape() const override { return {1, 1, 1}; }
  int64_t num_classes() const override { return 1; }
  std::vector<std::string> class_names() const override { return {"x"}; }
  mutable std::atomic<int64_t> calls{0};

 private:
  int64_t bad_;
};

TEST(DataLoaderErrors, RethrowsErrorsFromThePrefetchThread) {
  for (bool prefetch : {true, false}) {
    auto ds = std::make_shared<FailingDataset>(13);
    DataLoader loader(ds, {.batch_size = 4, .prefetch = prefetch});
    int64_t seen = 0;
    try {
      for (const Batch& b : loader) seen += b.targets.numel();
      ADD_FAILURE() << "expected an IoError";
    } catch (const IoError& e) {
      EXPECT_STREQ(e.what(), "FailingDataset: cannot read 'image_13.png'");
    }
    EXPECT_EQ(seen, 12) << "three good batches before the failing one";
    EXPECT_LE(ds->calls.load(), 14) << "the worker stopped at the failure";
  }
  auto first_fails = std::make_shared<FailingDataset>(0);
  DataLoader loader(first_fails, {.batch_size = 4});
  EXPECT_THROW_WITH(loader.begin(), IoError, "cannot read 'image_0.png'");
  // an error is rethrown again rather than skipping ahead
  auto ds = std::make_shared<FailingDataset>(5);
  DataLoader again(ds, {.batch_size = 4});
  auto it = again.begin();
  EXPECT_THROW(++it, IoError);
  EXPECT_THROW(++it, IoError);
}

TEST(DataLoaderErrors, RejectsBadExamplesAndArguments) {
  EXPECT_THROW_WITH(DataLoader(nullptr, {}), ValueError,
                    "DataLoader: expected a dataset, got null");
  EXPECT_THROW_WITH(DataLoader(numbered(3), {.batch_size = 0}), ValueError,
                    "DataLoader: expected batch_size >= 1, got 0");
  DataLoader loader(numbered(3), {});
  EXPECT_THROW_WITH(loader.set_epoch(-1), ValueError, "expected epoch >= 0, got -1");
  EXPECT_THROW_WITH(loader.make_batch(0, 1), ValueError,
                    "DataLoader::make_batch: expected batch in [0, 1), got 1");
  // images of different sizes in one batch
  class Ragged final : public data::Dataset {
   public:
    int64_t size() const override { return 2; }
    data::Example get(int64_t i) const override { return {Tensor::zeros({1, 2, 2 + i}), i}; }
    Shape image_shape() const override { return {1, 2, 2}; }
    int64_t num_classes() const override { return 1; }
    std::vector<std::string> class_names() const override { return {"x"}; }
  };
  DataLoader ragged(std::make_shared<Ragged>(), {});
  EXPECT_THROW_WITH(ragged.begin(), ShapeError,
                    "DataLoader: example 1 has image shape [1, 2, 3] but example 0 in the same "
                    "batch has [1, 2, 2]");
  DataLoader ragged_single(std::make_shared<Ragged>(), {.batch_size = 1});
  std::vector<Batch> batches;
  EXPECT_THROW_WITH(batches = collect(ragged_single), ValueError,
                    "DataLoader: expected labels in [0, 1), got 1 for example 1");
}

TEST(DataLoaderLifetime, StopsCleanlyMidEpochAndOnRestart) {
  const auto ds = numbered(1000);
  {
    DataLoader loader(ds, {.batch_size = 2, .shuffle = true});
    for (const Batch& b : loader) {
      EXPECT_EQ(b.inputs.size(0), 2);
      break;  // leave the worker waiting on a full queue
    }
  }  // destruction joins it
  DataLoader loader(ds, {.batch_size = 10});
  auto first = loader.begin();
  ++first;
  EXPECT_EQ(first.position(), 1);
  auto second = loader.begin();  // restarts the pass
  EXPECT_EQ(second->indices.front(), 0);
  EXPECT_THROW_WITH(++first, StateError, "this iterator was invalidated by a later begin()");
  int64_t n = 0;
  for (; second != loader.end(); ++second) ++n;
  EXPECT_EQ(n, 100);
  EXPECT_THROW_WITH(++second, StateError, "incremented past the last batch");
}

}  // namespace
}  // namespace cnnlab
