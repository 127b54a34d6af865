// DataLoader: batches of a Dataset in a seeded order, optionally transformed, built by a
// background thread one batch ahead of the caller.
//
// Determinism (what resuming a run relies on): the order of epoch e depends only on (seed, e),
// and example i of epoch e is transformed with Rng(transform_seed(seed, e, i)); neither depends on
// threads, on prefetching, or on how many epochs this DataLoader object has seen. Call
// set_epoch(e) before iterating epoch e (as with PyTorch's DistributedSampler): without it every
// pass repeats epoch 0's order.
//
//   data::DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 7});
//   for (int64_t epoch = 0; epoch < epochs; ++epoch) {
//     loader.set_epoch(epoch);
//     for (const data::Batch& batch : loader) { ... batch.inputs (B, C, H, W) ... }
//   }
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

#include "cnnlab/data/dataset.hpp"
#include "cnnlab/data/transforms.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::data {

struct DataLoaderOptions {
  int64_t batch_size = 64;  ///< >= 1
  bool shuffle = false;     ///< a new seeded permutation every epoch
  bool drop_last = false;   ///< drop the last batch if it is smaller than batch_size
  uint64_t seed = 0;        ///< seeds the shuffling and the random transforms
  bool prefetch = true;     ///< build the next batch on a background thread
};

/// One batch: inputs (B, C, H, W) float32, targets (B) int64, and the dataset indices of its
/// examples (B of them, in batch order).
struct Batch {
  Tensor inputs;
  Tensor targets;
  std::vector<int64_t> indices;
};

/// The seed of epoch `epoch`'s shuffle (a SplitMix64 mix of seed and epoch).
uint64_t shuffle_seed(uint64_t seed, int64_t epoch);
/// The seed of the Rng that transforms example `index` (a dataset index) in epoch `epoch`.
uint64_t transform_seed(uint64_t seed, int64_t epoch, int64_t index);

class DataLoader {
 public:
  /// Throws ValueError if dataset is null or batch_size < 1.
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {},
             std::shared_ptr<const Transform> transform = nullptr);
  /// Stops and joins the prefetch thread (never throws).
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  /// Selects the epoch that the next begin() iterates. Throws ValueError if epoch < 0.
  void set_epoch(int64_t epoch);
  int64_t epoch() const { return epoch_; }
  /// Batches per epoch: ceil(N / batch_size), or floor with drop_last.
  int64_t num_batches() const;
  const DataLoaderOptions& options() const { return options_; }
  const std::shared_ptr<const Dataset>& dataset() const { return dataset_; }

  /// The dataset indices of `epoch` in visiting order (all N, drop_last aside).
  std::vector<int64_t> order(int64_t epoch) const;
  /// Batch `batch` of `epoch`, built on the calling thread: exactly what iteration yields.
  /// Throws ValueError if batch is outside [0, num_batches()); what get() and the transform
  /// throw; ShapeError if examples of the batch differ in image shape; ValueError on a label
  /// outside [0, num_classes()).
  Batch make_batch(int64_t epoch, int64_t batch) const;

  /// A single-pass input iterator over the current epoch's batches. Move-only. Any error from
  /// building a batch (on the prefetch thread or not) is thrown by begin() or operator++.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;

    Iterator(Iterator&&) noexcept = default;
    Iterator& operator=(Iterator&&) noexcept = default;
    Iterator(const Iterator&) = delete;
    Iterator& operator=(const Iterator&) = delete;

    const Batch& operator*() const { return current_; }
    const Batch* operator->() const { return &current_; }
    /// Moves to the next batch (waiting for the prefetch thread). Throws StateError if the
    /// loader started another pass since this iterator was made.
    Iterator& operator++();
    bool operator==(std::default_sentinel_t) const { return done_; }
    /// Position of the current batch in the epoch.
    int64_t position() const { return position_; }

   private:
    friend class DataLoader;
    Iterator(DataLoader* loader, uint64_t generation);
    DataLoader* loader_ = nullptr;
    uint64_t generation_ = 0;
    int64_t position_ = 0;
    bool done_ = true;
    Batch current_;
  };

  /// Starts a pass over epoch(): stops a pass still running (its iterators become invalid),
  /// starts the prefetch thread and returns an iterator at the first batch.
  Iterator begin();
  std::default_sentinel_t end() const { return {}; }

 private:
  struct Pass;
  Batch build(const std::vector<int64_t>& order, int64_t epoch, int64_t batch) const;
  Batch next_batch(uint64_t generation);
  void stop_pass() noexcept;

  std::shared_ptr<const Dataset> dataset_;
  DataLoaderOptions options_;
  std::shared_ptr<const Transform> transform_;
  int64_t epoch_ = 0;
  uint64_t generation_ = 0;
  std::unique_ptr<Pass> pass_;
};

}  // namespace cnnlab::data
