// write_atomically: temporary file + fsync + rename.
#include "cnnlab/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cnnlab/core/check.hpp"

namespace cnnlab::io {

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    CNNLAB_CHECK(out.good(), IoError, "write: cannot create '", tmp, "' (for '", path, "')");
    try {
      write(out);
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());  // never leave a half-written temporary behind
      throw;
    }
    out.flush();
    if (!out.good()) {
      out.close();
      std::remove(tmp.c_str());
      throw IoError(detail::concat("write: writing '", path,
                                   "' failed (disk full?); the old file, if any, is unchanged"));
    }
  }
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw IoError(
        detail::concat("write: cannot rename '", tmp, "' to '", path, "': ", ec.message()));
  }
}

}  // namespace cnnlab::io
