// .npy reader and writer; see include/cnnlab/io/npy.hpp for the format and the checks.
// The reader works on a Source (a file or bytes in memory) so that the fuzz target and the tests
// exercise exactly the code that reads files.
#include "cnnlab/io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "cnnlab/io/atomic_file.hpp"

namespace cnnlab::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader copies little-endian data as is");

constexpr char kMagic[] = "\x93NUMPY";
constexpr uint64_t kMagicSize = 6;
constexpr uint64_t kMaxHeaderBytes = 1 << 20;         // NumPy writes < 100 bytes
constexpr uint64_t kMaxElements = uint64_t{1} << 40;  // as the safetensors reader

// Bytes of a .npy file, read at an offset.
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  /// Copies n bytes at `offset` (already checked to lie inside the source) to dst.
  virtual void read(uint64_t offset, void* dst, uint64_t n) = 0;
};

class FileSource : public Source {
 public:
  explicit FileSource(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    CNNLAB_CHECK(in_.good(), IoError, "load_npy: cannot open '", path, "'");
    std::error_code ec;
    size_ = std::filesystem::file_size(path, ec);
    CNNLAB_CHECK(!ec, IoError, "load_npy: cannot read the size of '", path, "': ", ec.message());
  }
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* dst, uint64_t n) override {
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    CNNLAB_CHECK(in_.good(), IoError, "load_npy: '", path_, "': short read of ", n,
                 " bytes at offset ", offset);
  }

 private:
  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

class MemorySource : public Source {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  void read(uint64_t offset, void* dst, uint64_t n) override {
    if (n != 0) std::memcpy(dst, bytes_.data() + offset, n);
  }

 private:
  std::string_view bytes_;
};

// A value of the header dict: a string, a bool or a tuple of integers.
struct Value {
  enum Kind { kString, kBool, kTuple } kind = kString;
  std::string text;
  bool flag = false;
  std::vector<uint64_t> ints;
};

// Parses the Python dict literal NumPy writes. Strict: string keys, and values that are strings,
// True/False or tuples of non-negative integers; anything else is an error naming the position.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  std::map<std::string, Value> parse_dict() {
    std::map<std::string, Value> out;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = parse_string();
      expect(':');
      Value v = parse_value();
      CNNLAB_CHECK(out.emplace(key, std::move(v)).second, IoError, where(),
                   "expected each key once, got '", key, "' twice");
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      CNNLAB_CHECK(peek() == '}', IoError, where(), "expected ',' or '}' at byte ", pos_, ", got ",
                   found());
      break;
    }
    ++pos_;
    skip_space();
    CNNLAB_CHECK(pos_ == s_.size(), IoError, where(), "expected only padding after the dict, got ",
                 found(), " at byte ", pos_);
    return out;
  }

 private:
  std::string where() const { return detail::concat("load_npy: '", name_, "': header: "); }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  std::string found() const {
    return pos_ < s_.size() ? detail::concat("'", s_[pos_], "'") : std::string("the end");
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    CNNLAB_CHECK(peek() == c, IoError, where(), "expected '", c, "' at byte ", pos_, ", got ",
                 found());
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    const char quote = peek();
    CNNLAB_CHECK(quote == '\'' || quote == '"', IoError, where(), "expected a string at byte ",
                 pos_, ", got ", found());
    const size_t end = s_.find(quote, pos_ + 1);
    CNNLAB_CHECK(end != std::string_view::npos, IoError, where(),
                 "expected a closing quote for the string at byte ", pos_, ", got the end");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  uint64_t parse_uint() {
    skip_space();
    const size_t start = pos_;
    uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      const auto digit = static_cast<uint64_t>(s_[pos_] - '0');
      CNNLAB_CHECK(v <= (UINT64_MAX - digit) / 10, IoError, where(),
                   "expected a dimension below 2^64 at byte ", start, ", got more digits");
      v = v * 10 + digit;
      ++pos_;
    }
    CNNLAB_CHECK(pos_ > start, IoError, where(), "expected a non-negative integer at byte ", start,
                 ", got ", found());
    if (peek() == 'L') ++pos_;  // Python 2 longs, as NumPy 1.x still reads
    return v;
  }
  Value parse_value() {
    skip_space();
    Value v;
    if (peek() == '\'' || peek() == '"') {
      v.text = parse_string();
      return v;
    }
    if (s_.substr(pos_, 4) == "True" || s_.substr(pos_, 5) == "False") {
      v.kind = Value::kBool;
      v.flag = s_[pos_] == 'T';
      pos_ += v.flag ? 4 : 5;
      return v;
    }
    CNNLAB_CHECK(peek() == '(', IoError, where(),
                 "expected a string, True, False or a tuple at byte ", pos_, ", got ", found());
    ++pos_;
    v.kind = Value::kTuple;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      v.ints.push_back(parse_uint());
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      CNNLAB_CHECK(peek() == ')', IoError, where(), "expected ',' or ')' at byte ", pos_, ", got ",
                   found());
    }
    ++pos_;
    return v;
  }

  std::string_view s_;
  const std::string& name_;
  size_t pos_ = 0;
};

struct TypeInfo {
  uint64_t size;
  Dtype dtype;  // of the tensor returned
};

TypeInfo type_info(const std::string& descr, const std::string& name) {
  if (descr == "<f4") return {4, Dtype::kFloat32};
  if (descr == "<f8") return {8, Dtype::kFloat64};
  if (descr == "<i8") return {8, Dtype::kInt64};
  if (descr == "<i4") return {4, Dtype::kInt64};
  if (descr == "|u1" || descr == "<u1") return {1, Dtype::kFloat32};
  const bool big = !descr.empty() && descr[0] == '>';
  throw IoError(detail::concat(
      "load_npy: '", name, "': expected descr '<f4', '<f8', '<i8', '<i4' or '|u1', got '", descr,
      "'",
      big ? " (big-endian: convert with x.astype(x.dtype.newbyteorder('<')) before saving)" : ""));
}

uint32_t little_endian(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

NpyHeader parse_header(Source& src, const std::string& name) {
  const uint64_t file_size = src.size();
  CNNLAB_CHECK(file_size >= kMagicSize + 4, IoError, "load_npy: '", name,
               "': expected at least 10 bytes (magic, version, header length), got a file of ",
               file_size, " bytes");
  unsigned char pre[12] = {};
  src.read(0, pre, std::min<uint64_t>(file_size, 12));
  CNNLAB_CHECK(std::memcmp(pre, kMagic, kMagicSize) == 0, IoError, "load_npy: '", name,
               "': expected the magic string \\x93NUMPY, got something else (not a .npy file)");
  NpyHeader h;
  h.major_version = pre[6];
  CNNLAB_CHECK(h.major_version >= 1 && h.major_version <= 3 && pre[7] == 0, IoError, "load_npy: '",
               name, "': expected format version 1.0, 2.0 or 3.0, got ", int{pre[6]}, ".",
               int{pre[7]});
  const uint64_t len_bytes = h.major_version == 1 ? 2 : 4;
  CNNLAB_CHECK(file_size >= kMagicSize + 2 + len_bytes, IoError, "load_npy: '", name,
               "': expected a ", len_bytes, "-byte header length, got a file of ", file_size,
               " bytes");
  const uint64_t header_len = little_endian(pre + 8, static_cast<int>(len_bytes));
  const uint64_t header_start = kMagicSize + 2 + len_bytes;
  CNNLAB_CHECK(header_len <= kMaxHeaderBytes && header_len <= file_size - header_start, IoError,
               "load_npy: '", name, "': expected a header of at most ",
               std::min(kMaxHeaderBytes, file_size - header_start),
               " bytes (the rest of the file), got a header length of ", header_len);
  std::string text(header_len, '\0');
  src.read(header_start, text.data(), header_len);
  h.data_offset = header_start + header_len;

  const std::map<std::string, Value> dict = HeaderParser(text, name).parse_dict();
  for (const auto& [key, v] : dict) {
    CNNLAB_CHECK(key == "descr" || key == "fortran_order" || key == "shape", IoError, "load_npy: '",
                 name, "': header: expected the keys 'descr', 'fortran_order' and 'shape', got '",
                 key, "'");
  }
  for (const char* key : {"descr", "fortran_order", "shape"}) {
    CNNLAB_CHECK(dict.count(key), IoError, "load_npy: '", name, "': header: expected a '", key,
                 "' key, got none");
  }
  const Value& descr = dict.at("descr");
  const Value& fortran = dict.at("fortran_order");
  const Value& shape = dict.at("shape");
  CNNLAB_CHECK(descr.kind == Value::kString, IoError, "load_npy: '", name,
               "': header: expected 'descr' to be a string such as '<f4', got ",
               descr.kind == Value::kBool ? "a bool" : "a tuple");
  CNNLAB_CHECK(fortran.kind == Value::kBool, IoError, "load_npy: '", name,
               "': header: expected 'fortran_order' to be True or False, got ",
               fortran.kind == Value::kString ? "a string" : "a tuple");
  CNNLAB_CHECK(shape.kind == Value::kTuple, IoError, "load_npy: '", name,
               "': header: expected 'shape' to be a tuple of integers, got ",
               shape.kind == Value::kString ? "a string" : "a bool");
  h.descr = descr.text;
  const TypeInfo type = type_info(h.descr, name);
  h.element_size = type.size;
  CNNLAB_CHECK(!fortran.flag, IoError, "load_npy: '", name,
               "': expected C order (fortran_order False), got fortran_order True; save "
               "np.ascontiguousarray(x) instead");
  uint64_t numel = 1;
  for (uint64_t d : shape.ints) {
    // checked before multiplying, so the product cannot wrap around
    CNNLAB_CHECK(d <= kMaxElements && (d == 0 || numel <= kMaxElements / d), IoError, "load_npy: '",
                 name, "': expected at most 2^40 elements, got a shape with dimension ", d,
                 " after a product of ", numel);
    numel *= d;
    h.shape.push_back(static_cast<int64_t>(d));
  }
  const uint64_t expected = numel * type.size;
  const uint64_t found = file_size - h.data_offset;
  CNNLAB_CHECK(found == expected, IoError, "load_npy: '", name, "': expected ", expected,
               " bytes of data for shape ", h.shape, " ('", h.descr, "'), got ", found,
               found < expected ? " (truncated)" : " (extra bytes after the data)");
  return h;
}

Tensor read_data(Source& src, const NpyHeader& h) {
  const uint64_t numel = static_cast<uint64_t>(h.shape.numel());
  const uint64_t bytes = numel * h.element_size;
  if (h.descr == "<f4" || h.descr == "<f8" || h.descr == "<i8") {
    Tensor t = Tensor::empty(h.shape, h.descr == "<f4"   ? Dtype::kFloat32
                                      : h.descr == "<f8" ? Dtype::kFloat64
                                                         : Dtype::kInt64);
    src.read(h.data_offset, t.raw_data(), bytes);
    return t;
  }
  std::vector<unsigned char> raw(bytes);
  src.read(h.data_offset, raw.data(), bytes);
  if (h.descr == "<i4") {
    Tensor t = Tensor::empty(h.shape, Dtype::kInt64);
    int64_t* out = t.data<int64_t>();
    for (uint64_t i = 0; i < numel; ++i) {
      int32_t v;
      std::memcpy(&v, raw.data() + 4 * i, 4);
      out[i] = v;
    }
    return t;
  }
  Tensor t = Tensor::empty(h.shape, Dtype::kFloat32);  // '|u1'
  float* out = t.data<float>();
  for (uint64_t i = 0; i < numel; ++i) out[i] = static_cast<float>(raw[i]);
  return t;
}

const char* npy_descr(Dtype d) {
  switch (d) {
    case Dtype::kFloat32:
      return "<f4";
    case Dtype::kFloat64:
      return "<f8";
    case Dtype::kInt64:
      return "<i8";
  }
  return "?";
}

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
  FileSource src(path);
  return parse_header(src, path);
}

Tensor load_npy(const std::string& path) {
  FileSource src(path);
  const NpyHeader h = parse_header(src, path);
  return read_data(src, h);
}

Tensor parse_npy(std::string_view bytes, const std::string& name) {
  MemorySource src(bytes);
  const NpyHeader h = parse_header(src, name);
  return read_data(src, h);
}

void save_npy(const std::string& path, const Tensor& tensor) {
  CNNLAB_CHECK(tensor.defined(), ValueError, "save_npy: expected a defined tensor for '", path,
               "', got an undefined one");
  const Tensor t = tensor.to_strided();
  std::string shape = "(";
  for (int64_t d : t.shape()) shape += std::to_string(d) + ", ";
  if (t.dim() > 1) shape.resize(shape.size() - 2);  // (2, 3); NumPy writes (3,) for rank 1
  if (t.dim() == 1) shape.pop_back();
  shape += ")";
  std::string header = std::string("{'descr': '") + npy_descr(t.dtype()) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // As NumPy >= 1.24: 21 - digits(shape[0]) spare spaces (room to grow the first dimension in
  // place), then spaces and a final newline so that the data starts at a multiple of 64. The
  // bytes are then identical to np.save's (tests/unit/io/npy_test.cpp checks this).
  if (t.dim() > 0) header.append(21 - std::min<size_t>(21, std::to_string(t.size(0)).size()), ' ');
  uint64_t prefix = kMagicSize + 2 + 2;
  if (header.size() + 1 + 64 > 65535) prefix = kMagicSize + 2 + 4;  // version 2.0
  const uint64_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  const uint64_t len = header.size();
  write_atomically(path, [&](std::ostream& out) {
    out.write(kMagic, kMagicSize);
    out.put(prefix == 10 ? '\x01' : '\x02');
    out.put('\0');
    for (uint64_t i = 0; i < prefix - 8; ++i) out.put(static_cast<char>((len >> (8 * i)) & 0xff));
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(t.raw_data()),
              static_cast<std::streamsize>(t.numel() * dtype_size(t.dtype())));
  });
}

}  // namespace cnnlab::io
