// Grad mode: whether ops record the graph. A per-thread flag changed only through scoped guards.
#pragma once

namespace cnnlab {

namespace autograd {
/// True unless a NoGradGuard is alive on this thread.
bool is_grad_enabled();
}  // namespace autograd

/// Turns graph recording off for its lifetime (inference, optimizer steps, metrics), and restores
/// the previous mode on destruction. Nests.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Turns graph recording on for its lifetime (e.g. inside an evaluation helper that holds a
/// NoGradGuard but must take an input gradient). Nests.
class EnableGradGuard {
 public:
  EnableGradGuard();
  ~EnableGradGuard();
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace cnnlab
