// Storage: a 64-byte-aligned buffer taken from the process-wide caching allocator and given back
// to it (not to the OS) when the last tensor using it goes away.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace cnnlab {

/// Statistics of the caching allocator, for tests and `cnnlab bench`.
struct AllocatorStats {
  int64_t bytes_in_use = 0;       ///< held by live storages
  int64_t bytes_cached = 0;       ///< freed by tensors, kept for reuse
  int64_t fresh_allocations = 0;  ///< requests the cache could not serve
  int64_t cache_hits = 0;         ///< requests served from the cache
};

/// The caching allocator. Blocks are 64-byte aligned and kept in exact-size free lists, so a
/// training loop that allocates the same shapes every step stops calling the system allocator
/// after its first step. Thread-safe.
class CachingAllocator {
 public:
  static CachingAllocator& instance();
  void* allocate(size_t bytes);
  void release(void* ptr, size_t bytes);
  /// Returns every cached block to the system.
  void empty_cache();
  AllocatorStats stats() const;

 private:
  CachingAllocator() = default;
  struct Impl;
  Impl& impl() const;
};

/// Owns one allocator block. Tensors share a Storage through shared_ptr; views hold an offset.
class Storage {
 public:
  explicit Storage(size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace cnnlab
