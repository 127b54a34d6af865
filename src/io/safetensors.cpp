// safetensors reader and writer; see include/cnnlab/io/safetensors.hpp for the format.
#include "cnnlab/io/safetensors.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "cnnlab/io/atomic_file.hpp"

namespace cnnlab::io {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit

const char* st_dtype(Dtype d) {
  switch (d) {
    case Dtype::kFloat32:
      return "F32";
    case Dtype::kFloat64:
      return "F64";
    case Dtype::kInt64:
      return "I64";
  }
  return "?";
}

}  // namespace

const Tensor& TensorFile::at(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) {
    std::string known;
    for (const auto& [k, v] : tensors) known += (known.empty() ? "" : ", ") + k;
    throw IoError(detail::concat("safetensors: '", path, "' has no tensor '", name,
                                 "' (known: ", known, ")"));
  }
  return it->second;
}

TensorFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  CNNLAB_CHECK(in.good(), IoError, "load_safetensors: cannot open '", path, "'");
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  CNNLAB_CHECK(!ec && file_size >= 8, IoError, "load_safetensors: '", path,
               "' is too short to hold a header (", file_size, " bytes)");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  CNNLAB_CHECK(header_len <= kMaxHeaderBytes && header_len <= file_size - 8, IoError,
               "load_safetensors: '", path, "' declares a header of ", header_len,
               " bytes but the file has ", file_size, " bytes");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  CNNLAB_CHECK(in.good(), IoError, "load_safetensors: '", path, "': short read of the header");
  nlohmann::json j = nlohmann::json::parse(header, nullptr, false);
  CNNLAB_CHECK(j.is_object(), IoError, "load_safetensors: '", path,
               "' has a header that is not a JSON object");
  const uint64_t data_size = file_size - 8 - header_len;

  TensorFile out;
  out.path = path;
  struct Pending {  // a validated entry, read once every entry has passed
    std::string name;
    Shape shape;
    Dtype dtype;
    uint64_t begin, end;
  };
  std::vector<Pending> pending;
  for (auto& [name, entry] : j.items()) {
    if (name == "__metadata__") {
      CNNLAB_CHECK(entry.is_object(), IoError, "load_safetensors: '", path,
                   "': __metadata__ is not an object");
      for (auto& [k, v] : entry.items()) {
        CNNLAB_CHECK(v.is_string(), IoError, "load_safetensors: '", path, "': metadata '", k,
                     "' is not a string");
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const bool well_formed = entry.is_object() && entry.contains("dtype") &&
                             entry["dtype"].is_string() && entry.contains("shape") &&
                             entry["shape"].is_array() && entry.contains("data_offsets") &&
                             entry["data_offsets"].is_array() && entry["data_offsets"].size() == 2;
    CNNLAB_CHECK(well_formed, IoError, "load_safetensors: '", path, "': entry '", name,
                 "' lacks dtype, shape or data_offsets");
    const std::string dt = entry["dtype"].get<std::string>();
    Dtype dtype;
    if (dt == "F32") {
      dtype = Dtype::kFloat32;
    } else if (dt == "F64") {
      dtype = Dtype::kFloat64;
    } else if (dt == "I64") {
      dtype = Dtype::kInt64;
    } else {
      throw IoError(detail::concat("load_safetensors: '", path, "': tensor '", name, "' has dtype ",
                                   dt, "; cnnlab reads F32, F64 and I64"));
    }
    Shape shape;
    uint64_t numel = 1;
    constexpr uint64_t kMaxElements = uint64_t{1} << 40;
    for (const auto& d : entry["shape"]) {
      CNNLAB_CHECK(d.is_number_unsigned() && d.get<uint64_t>() <= kMaxElements, IoError,
                   "load_safetensors: '", path, "': tensor '", name, "' has an invalid dim");
      const uint64_t dim = d.get<uint64_t>();
      // check before multiplying, so the product cannot wrap around
      CNNLAB_CHECK(dim == 0 || numel <= kMaxElements / dim, IoError, "load_safetensors: '", path,
                   "': tensor '", name, "' has more than 2^40 elements");
      shape.push_back(static_cast<int64_t>(dim));
      numel *= dim;
    }
    const auto& offs = entry["data_offsets"];
    CNNLAB_CHECK(offs[0].is_number_unsigned() && offs[1].is_number_unsigned(), IoError,
                 "load_safetensors: '", path, "': tensor '", name, "' has invalid data_offsets");
    const uint64_t begin = offs[0].get<uint64_t>(), end = offs[1].get<uint64_t>();
    const uint64_t expected = numel * static_cast<uint64_t>(dtype_size(dtype));
    CNNLAB_CHECK(begin <= end && end <= data_size && end - begin == expected, IoError,
                 "load_safetensors: '", path, "': tensor '", name, "' of shape ", shape, " (", dt,
                 ") needs ", expected, " bytes but its data_offsets are [", begin, ", ", end,
                 "] in a data section of ", data_size, " bytes");
    pending.push_back({name, shape, dtype, begin, end});
  }
  // NOTE: no two tensors may share bytes (as in the reference implementation): otherwise a small
  // file could name one large range many times and make the reader allocate far more memory
  // than the file holds. Checked for every tensor before the first allocation.
  std::vector<const Pending*> by_offset;
  for (const Pending& p : pending) by_offset.push_back(&p);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Pending* a, const Pending* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const Pending& a = *by_offset[i - 1];
    const Pending& b = *by_offset[i];
    CNNLAB_CHECK(b.begin >= a.end, IoError, "load_safetensors: '", path, "': tensor '", b.name,
                 "' has data_offsets [", b.begin, ", ", b.end, "] overlapping tensor '", a.name,
                 "' at [", a.begin, ", ", a.end, "]; expected disjoint ranges");
  }
  for (const Pending& p : pending) {
    Tensor t = Tensor::empty(p.shape, p.dtype);
    in.seekg(static_cast<std::streamoff>(8 + header_len + p.begin));
    in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(p.end - p.begin));
    CNNLAB_CHECK(in.good(), IoError, "load_safetensors: '", path, "': short read of tensor '",
                 p.name, "'");
    out.tensors.emplace(p.name, t);  // NOTE: assumes a little-endian host, as x86 and ARM are
  }
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    CNNLAB_CHECK(t.defined(), ValueError, "save_safetensors: tensor '", name, "' is undefined");
    const uint64_t bytes = static_cast<uint64_t>(t.numel() * dtype_size(t.dtype()));
    header[name] = {{"dtype", st_dtype(t.dtype())},
                    {"shape", t.shape().dims()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text += ' ';  // align the data section to 8 bytes
  write_atomically(path, [&](std::ostream& out) {
    uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& [name, t] : tensors) {
      out.write(static_cast<const char*>(t.raw_data()),
                static_cast<std::streamsize>(t.numel() * dtype_size(t.dtype())));
    }
  });
}

}  // namespace cnnlab::io
