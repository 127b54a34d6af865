// DataLoader: seeded order, batch assembly, and the prefetch thread (a bounded queue of finished
// batches filled by one worker; an error travels through the queue to the caller).
#include "cnnlab/data/dataloader.hpp"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "cnnlab/core/check.hpp"

namespace cnnlab::data {
namespace {

constexpr size_t kQueueDepth = 2;  // batches ready ahead of the caller
constexpr uint64_t kShuffleStream = ~uint64_t{0};

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t mix(uint64_t seed, uint64_t a, uint64_t b) {
  return splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b);
}

}  // namespace

uint64_t shuffle_seed(uint64_t seed, int64_t epoch) {
  return mix(seed, static_cast<uint64_t>(epoch), kShuffleStream);
}

uint64_t transform_seed(uint64_t seed, int64_t epoch, int64_t index) {
  return mix(seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(index));
}

// One pass over an epoch. The worker thread builds batches 0, 1, ... into `ready`, at most
// kQueueDepth ahead; it stops early when `stop` is set or after a failure (pushed as an error).
struct DataLoader::Pass {
  struct Item {
    Batch batch;
    std::exception_ptr error;
  };
  std::vector<int64_t> order;
  int64_t epoch = 0;
  int64_t num_batches = 0;
  int64_t consumed = 0;
  std::exception_ptr failed;  ///< set once an error reached the caller: rethrown ever after
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Item> ready;
  bool stop = false;
  std::thread worker;
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options,
                       std::shared_ptr<const Transform> transform)
    : dataset_(std::move(dataset)), options_(options), transform_(std::move(transform)) {
  CNNLAB_CHECK(dataset_ != nullptr, ValueError, "DataLoader: expected a dataset, got null");
  CNNLAB_CHECK(options_.batch_size >= 1, ValueError, "DataLoader: expected batch_size >= 1, got ",
               options_.batch_size);
}

DataLoader::~DataLoader() { stop_pass(); }

void DataLoader::set_epoch(int64_t epoch) {
  CNNLAB_CHECK(epoch >= 0, ValueError, "DataLoader::set_epoch: expected epoch >= 0, got ", epoch);
  epoch_ = epoch;
}

int64_t DataLoader::num_batches() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> DataLoader::order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(dataset_->size()));
  std::iota(order.begin(), order.end(), 0);
  if (options_.shuffle) {
    Rng rng(shuffle_seed(options_.seed, epoch));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  }
  return order;
}

Batch DataLoader::make_batch(int64_t epoch, int64_t batch) const {
  CNNLAB_CHECK(batch >= 0 && batch < num_batches(), ValueError,
               "DataLoader::make_batch: expected batch in [0, ", num_batches(), "), got ", batch);
  return build(order(epoch), epoch, batch);
}

Batch DataLoader::build(const std::vector<int64_t>& order, int64_t epoch, int64_t batch) const {
  const int64_t start = batch * options_.batch_size;
  const int64_t count =
      std::min<int64_t>(options_.batch_size, static_cast<int64_t>(order.size()) - start);
  Batch out;
  out.indices.assign(order.begin() + start, order.begin() + start + count);
  out.targets = Tensor::empty({count}, Dtype::kInt64);
  int64_t* targets = out.targets.data<int64_t>();
  Shape shape;
  int64_t first_index = 0;
  for (int64_t k = 0; k < count; ++k) {
    const int64_t index = out.indices[static_cast<size_t>(k)];
    Example ex = dataset_->get(index);
    if (transform_ != nullptr) {
      Rng rng(transform_seed(options_.seed, epoch, index));
      ex.image = transform_->apply(ex.image, rng);
    }
    if (ex.image.dtype() != Dtype::kFloat32) ex.image = ex.image.to(Dtype::kFloat32);
    if (k == 0) {
      CNNLAB_CHECK(ex.image.dim() == 3, ShapeError,
                   "DataLoader: expected (C, H, W) images, got "
                   "shape ",
                   ex.image.shape(), " for example ", index);
      shape = ex.image.shape();
      first_index = index;
      out.inputs = Tensor::empty({count, shape[0], shape[1], shape[2]}, Dtype::kFloat32);
    }
    CNNLAB_CHECK(ex.image.shape() == shape, ShapeError, "DataLoader: example ", index,
                 " has image shape ", ex.image.shape(), " but example ", first_index,
                 " in the same batch has ", shape, " (resize them to one size)");
    CNNLAB_CHECK(ex.label >= 0 && ex.label < dataset_->num_classes(), ValueError,
                 "DataLoader: expected labels in [0, ", dataset_->num_classes(), "), got ",
                 ex.label, " for example ", index);
    const int64_t numel = shape.numel();
    std::memcpy(out.inputs.data<float>() + k * numel, ex.image.to_strided().data<float>(),
                static_cast<size_t>(numel) * sizeof(float));
    targets[k] = ex.label;
  }
  return out;
}

DataLoader::Iterator DataLoader::begin() {
  stop_pass();
  ++generation_;
  pass_ = std::make_unique<Pass>();
  Pass& pass = *pass_;
  pass.order = order(epoch_);
  pass.epoch = epoch_;
  pass.num_batches = num_batches();
  if (options_.prefetch && pass.num_batches > 0) {
    pass.worker = std::thread([this, &pass] {
      for (int64_t b = 0; b < pass.num_batches; ++b) {
        {
          std::unique_lock<std::mutex> lock(pass.mutex);
          pass.changed.wait(lock, [&] { return pass.stop || pass.ready.size() < kQueueDepth; });
          if (pass.stop) return;
        }
        Pass::Item item;
        try {
          item.batch = build(pass.order, pass.epoch, b);
        } catch (...) {
          item.error = std::current_exception();
        }
        const bool failed = item.error != nullptr;
        {
          std::lock_guard<std::mutex> lock(pass.mutex);
          pass.ready.push_back(std::move(item));
        }
        pass.changed.notify_all();
        if (failed) return;
      }
    });
  }
  return Iterator(this, generation_);
}

Batch DataLoader::next_batch(uint64_t generation) {
  CNNLAB_CHECK(pass_ != nullptr && generation == generation_, StateError,
               "DataLoader: this iterator was invalidated by a later begin() on the same loader");
  Pass& pass = *pass_;
  if (pass.failed) std::rethrow_exception(pass.failed);
  CNNLAB_ASSERT(pass.consumed < pass.num_batches);
  if (!options_.prefetch) {
    try {
      return build(pass.order, pass.epoch, pass.consumed++);
    } catch (...) {
      pass.failed = std::current_exception();
      throw;
    }
  }
  Pass::Item item;
  {
    std::unique_lock<std::mutex> lock(pass.mutex);
    pass.changed.wait(lock, [&] { return !pass.ready.empty(); });
    item = std::move(pass.ready.front());
    pass.ready.pop_front();
  }
  pass.changed.notify_all();
  ++pass.consumed;
  if (item.error) {
    pass.failed = item.error;
    std::rethrow_exception(item.error);
  }
  if (pass.consumed == pass.num_batches && pass.worker.joinable()) pass.worker.join();
  return std::move(item.batch);
}

void DataLoader::stop_pass() noexcept {
  if (pass_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(pass_->mutex);
    pass_->stop = true;
  }
  pass_->changed.notify_all();
  if (pass_->worker.joinable()) pass_->worker.join();
  pass_.reset();
}

DataLoader::Iterator::Iterator(DataLoader* loader, uint64_t generation)
    : loader_(loader), generation_(generation) {
  if (loader_->pass_->num_batches == 0) return;
  done_ = false;
  current_ = loader_->next_batch(generation_);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  CNNLAB_CHECK(!done_, StateError, "DataLoader::Iterator: incremented past the last batch");
  CNNLAB_CHECK(loader_->generation_ == generation_, StateError,
               "DataLoader: this iterator was invalidated by a later begin() on the same loader");
  if (position_ + 1 >= loader_->pass_->num_batches) {
    done_ = true;
    current_ = Batch{};
    return *this;
  }
  ++position_;
  current_ = loader_->next_batch(generation_);
  return *this;
}

}  // namespace cnnlab::data
