// Progress display for long jobs: a one-line bar with rate and ETA on a terminal, plain periodic
// lines when the output is a file or a pipe.
#pragma once

#include <cstdint>
#include <string>

namespace cnnlab::cli {

class Progress {
 public:
  enum class Mode { kAuto, kBar, kLines, kNone };
  explicit Progress(Mode mode = Mode::kAuto);
  /// Shows `done` of `total` units (images) of a task labelled `label`, `seconds` after it
  /// started, with an extra note such as "loss 0.4321".
  void update(const std::string& label, int64_t done, int64_t total, double seconds,
              const std::string& note);
  /// Ends the current bar (newline) before other output.
  void finish();
  static Mode parse_mode(const std::string& text);

 private:
  Mode mode_;
  bool open_line_ = false;
  int last_decile_ = -1;  ///< lines mode: print at every 10%
};

}  // namespace cnnlab::cli
