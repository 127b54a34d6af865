// Atomic file writes: write to a temporary file beside the target, flush, fsync, rename. A crash
// or a full disk leaves the old file intact.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace cnnlab::io {

/// Calls write(stream) on a temporary file and renames it to `path` only if every write
/// succeeded. Throws IoError naming `path` otherwise (the temporary file is removed).
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace cnnlab::io
