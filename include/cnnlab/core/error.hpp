// Exception types thrown by cnnlab. Users catch by category; the CLI maps each to a message prefix.
// Message format: "<op or Class>: expected <what>, got <actual>" with shapes printed as [N, C, H,
// W].
#pragma once

#include <stdexcept>
#include <string>

namespace cnnlab {

/// Base of every exception that cnnlab throws on bad input or bad state.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Wrong rank, dims, channel counts or non-broadcastable shapes.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// Bad scalar argument: stride 0, dropout p outside [0, 1), unknown name, wrong dtype.
class ValueError : public Error {
 public:
  using Error::Error;
};

/// Cannot open, short read, bad magic, missing or mis-shaped key in a file.
class IoError : public Error {
 public:
  using Error::Error;
};

/// Operation not allowed in the current state: backward through a freed graph, and the like.
class StateError : public Error {
 public:
  using Error::Error;
};

}  // namespace cnnlab
