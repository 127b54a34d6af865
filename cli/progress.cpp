// Progress bar / periodic lines; see progress.hpp.
#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "commands.hpp"

namespace cnnlab::cli {

Progress::Progress(Mode mode) : mode_(mode) {
  if (mode_ == Mode::kAuto) mode_ = ::isatty(STDOUT_FILENO) ? Mode::kBar : Mode::kLines;
}

Progress::Mode Progress::parse_mode(const std::string& text) {
  if (text == "auto") return Mode::kAuto;
  if (text == "bar") return Mode::kBar;
  if (text == "lines") return Mode::kLines;
  if (text == "none") return Mode::kNone;
  throw UsageError("--progress: expected auto, bar, lines or none, got '" + text + "'");
}

void Progress::update(const std::string& label, int64_t done, int64_t total, double seconds,
                      const std::string& note) {
  if (mode_ == Mode::kNone || total <= 0) return;
  const double fraction = static_cast<double>(done) / static_cast<double>(total);
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
  if (mode_ == Mode::kBar) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::printf("\r%s [%.*s%*s] %3.0f%% %lld/%lld  %.0f img/s  ETA %.0fs  %s\x1b[K", label.c_str(),
                filled, "==============================", kWidth - filled, "", 100 * fraction,
                static_cast<long long>(done), static_cast<long long>(total), rate, eta,
                note.c_str());
    open_line_ = true;
  } else {
    const int decile = static_cast<int>(fraction * 10);
    if (decile == last_decile_ || decile == 0) return;
    last_decile_ = decile;
    std::printf("%s %3d%% %lld/%lld  %.0f img/s  ETA %.0fs  %s\n", label.c_str(), decile * 10,
                static_cast<long long>(done), static_cast<long long>(total), rate, eta,
                note.c_str());
  }
  std::fflush(stdout);
}

void Progress::finish() {
  if (open_line_) std::printf("\n");
  open_line_ = false;
  last_decile_ = -1;
}

}  // namespace cnnlab::cli
