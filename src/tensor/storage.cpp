// The caching allocator behind every Storage: exact-size free lists of 64-byte-aligned blocks.
#include "cnnlab/tensor/storage.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace cnnlab {
namespace {
constexpr size_t kAlignment = 64;  // one cache line; what AVX-512 loads and oneDNN want

size_t round_up(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }
}  // namespace

struct CachingAllocator::Impl {
  mutable std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_lists;  // rounded size -> free blocks
  AllocatorStats stats;
};

CachingAllocator& CachingAllocator::instance() {
  static CachingAllocator allocator;
  return allocator;
}

CachingAllocator::Impl& CachingAllocator::impl() const {
  // Leaked on purpose: tensors in static objects may be freed after main() returns.
  static Impl* impl = new Impl;
  return *impl;
}

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = round_up(bytes == 0 ? 1 : bytes);
  Impl& s = impl();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.free_lists.find(size);
    if (it != s.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      s.stats.bytes_cached -= static_cast<int64_t>(size);
      s.stats.bytes_in_use += static_cast<int64_t>(size);
      ++s.stats.cache_hits;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlignment, size);
  if (p == nullptr) {
    empty_cache();  // give cached blocks back and try once more
    p = std::aligned_alloc(kAlignment, size);
    if (p == nullptr) throw std::bad_alloc();
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  s.stats.bytes_in_use += static_cast<int64_t>(size);
  ++s.stats.fresh_allocations;
  return p;
}

void CachingAllocator::release(void* ptr, size_t bytes) {
  const size_t size = round_up(bytes == 0 ? 1 : bytes);
  Impl& s = impl();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.free_lists[size].push_back(ptr);
  s.stats.bytes_in_use -= static_cast<int64_t>(size);
  s.stats.bytes_cached += static_cast<int64_t>(size);
}

void CachingAllocator::empty_cache() {
  Impl& s = impl();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (auto& [size, blocks] : s.free_lists) {
    for (void* p : blocks) std::free(p);
    s.stats.bytes_cached -= static_cast<int64_t>(size * blocks.size());
  }
  s.free_lists.clear();
}

AllocatorStats CachingAllocator::stats() const {
  Impl& s = impl();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.stats;
}

Storage::Storage(size_t bytes)
    : data_(CachingAllocator::instance().allocate(bytes)), bytes_(bytes) {}

Storage::~Storage() { CachingAllocator::instance().release(data_, bytes_); }

}  // namespace cnnlab
