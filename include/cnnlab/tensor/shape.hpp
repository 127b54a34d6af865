// Shape: the sizes of a tensor's dimensions, printed as [8, 1, 28, 28] in every error message.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace cnnlab {

/// The list of dimension sizes of a tensor, outermost first (NCHW for images).
class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  size_t size() const { return dims_.size(); }
  bool empty() const { return dims_.empty(); }
  int64_t operator[](size_t i) const { return dims_[i]; }
  int64_t& operator[](size_t i) { return dims_[i]; }
  int64_t back() const { return dims_.back(); }
  /// Product of the dims; 1 for a scalar (rank 0). Assumes a validated shape (every Tensor's
  /// shape passed checked_numel() when it was made).
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims_) n *= d;
    return n;
  }
  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }
  void push_back(int64_t d) { dims_.push_back(d); }
  void insert(size_t at, int64_t d) {
    dims_.insert(dims_.begin() + static_cast<std::ptrdiff_t>(at), d);
  }
  void erase(size_t at) { dims_.erase(dims_.begin() + static_cast<std::ptrdiff_t>(at)); }
  const std::vector<int64_t>& dims() const { return dims_; }

  /// Product of the dims, after checking that every dim is >= 0 and that the product fits in
  /// 2^48 elements; throws ShapeError naming `op` otherwise (a lying file or a typo must not
  /// wrap around into a small allocation).
  int64_t checked_numel(const char* op) const;

  /// Row-major (C-order) strides in elements.
  std::vector<int64_t> strides() const {
    std::vector<int64_t> s(dims_.size(), 1);
    for (int64_t i = rank() - 2; i >= 0; --i) s[i] = s[i + 1] * dims_[i + 1];
    return s;
  }

  std::string str() const {
    std::string s = "[";
    for (size_t i = 0; i < dims_.size(); ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + "]";
  }

  friend bool operator==(const Shape& a, const Shape& b) { return a.dims_ == b.dims_; }
  friend std::ostream& operator<<(std::ostream& out, const Shape& s) { return out << s.str(); }

 private:
  std::vector<int64_t> dims_;
};

/// A (height, width) pair for kernel sizes, strides, padding and dilation. Converts from one
/// integer (square) or from two: {.stride = 2} and {.padding = {0, 3}} both work.
struct Size2 {
  int64_t h = 0;
  int64_t w = 0;
  Size2() = default;
  Size2(int64_t v) : h(v), w(v) {}  // NOLINT(google-explicit-constructor): 3 means 3x3
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
  bool square() const { return h == w; }
  std::string str() const {
    std::ostringstream
        out;  // NOTE: not string concatenation, which trips GCC 12's bogus -Wrestrict
    if (square()) {
      out << h;
    } else {
      out << '(' << h << ", " << w << ')';
    }
    return out.str();
  }
  friend bool operator==(const Size2& a, const Size2& b) { return a.h == b.h && a.w == b.w; }
  friend std::ostream& operator<<(std::ostream& out, const Size2& s) { return out << s.str(); }
};

}  // namespace cnnlab
