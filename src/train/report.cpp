// write_report: reads a run directory (docs/run_directory.md) and renders report.html as one
// string: static CSS and JavaScript below, Chart.js from the embedded copy, the run's data as
// JSON, and the tables and image grid as HTML generated here with every file string escaped.
#include "cnnlab/train/report.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "cnnlab/core/check.hpp"
#include "cnnlab/io/atomic_file.hpp"
#include "detail/base64.hpp"

namespace cnnlab::embedded {
// Chart.js 4 (third_party/chartjs/chart.umd.js), compiled in by cmake/embed.cmake.
extern const unsigned char chartjs[];
extern const std::size_t chartjs_size;
}  // namespace cnnlab::embedded

namespace cnnlab::train {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // ordered: the config table keeps the trainer's key order

// Colours of the chart series. tests/report/check_report.sh looks for them in the screenshot.
constexpr const char* kTrainColour = "#2563eb";
constexpr const char* kTestColour = "#ea580c";
constexpr const char* kBarColour = "#7c3aed";

// ---------------------------------------------------------------------------------------------
// Reading and validating the run's files

// NOTE: every file the report reads (JSON, PNG) is small; the cap keeps a stray huge file from
// being inlined into the page (or exhausting memory) by mistake.
constexpr uintmax_t kMaxFileBytes = uintmax_t{64} << 20;

std::string read_bytes(const fs::path& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);  // fails for a missing file or a directory
  std::ifstream in(path, std::ios::binary);
  CNNLAB_CHECK(!ec && in.good(), IoError, "write_report: cannot open '", path.string(),
               "' (missing or unreadable)");
  CNNLAB_CHECK(size <= kMaxFileBytes, IoError, "write_report: '", path.string(),
               "': expected at most ", kMaxFileBytes, " bytes, got ", size);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  CNNLAB_CHECK(in.gcount() == static_cast<std::streamsize>(size), IoError,
               "write_report: cannot read '", path.string(), "'");
  return bytes;
}

// "'PATH'" or "'PATH' line N", the place named in error messages.
std::string place(const fs::path& path, int64_t line = 0) {
  return line > 0 ? detail::concat("'", path.string(), "' line ", line)
                  : detail::concat("'", path.string(), "'");
}

// A JSON value shortened for an error message.
std::string brief(const Json& value) {
  std::string s = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

Json parse_json(const std::string& text, const std::string& where) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string why = e.what();  // "[json.exception.parse_error.101] parse error at ..."
    if (const size_t end = why.find("] "); end != std::string::npos) why = why.substr(end + 2);
    throw IoError(detail::concat("write_report: ", where, ": expected valid JSON, got ", why));
  }
}

Json object_from_file(const fs::path& path) {
  Json j = parse_json(read_bytes(path), place(path));
  CNNLAB_CHECK(j.is_object(), IoError, "write_report: ", place(path),
               ": expected a JSON object, got ", brief(j));
  return j;
}

// obj[key] as a number; nullopt when absent or null.
std::optional<double> optional_number(const Json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  CNNLAB_CHECK(it->is_number(), IoError, "write_report: ", where, ": expected '", key,
               "' to be a number, got ", brief(*it));
  return it->get<double>();
}

// optional_number() that must also be a fraction in [0, 1] (accuracies and probabilities).
std::optional<double> optional_fraction(const Json& obj, const char* key,
                                        const std::string& where) {
  const std::optional<double> v = optional_number(obj, key, where);
  CNNLAB_CHECK(!v || (*v >= 0.0 && *v <= 1.0), IoError, "write_report: ", where, ": expected '",
               key, "' to be a fraction in [0, 1], got ", *v);
  return v;
}

int64_t required_integer(const Json& obj, const char* key, int64_t min, int64_t max,
                         const std::string& where) {
  const auto it = obj.find(key);
  CNNLAB_CHECK(it != obj.end(), IoError, "write_report: ", where, ": expected a key '", key,
               "', got none");
  CNNLAB_CHECK(it->is_number_integer() && it->get<int64_t>() >= min && it->get<int64_t>() <= max,
               IoError, "write_report: ", where, ": expected '", key, "' to be an integer in [",
               min, ", ", max, "], got ", brief(*it));
  return it->get<int64_t>();
}

constexpr const char* kMetricKeys[] = {"train_loss", "test_loss", "lr", "seconds",
                                       "images_per_second"};
constexpr const char* kMetricFractions[] = {"train_accuracy", "test_accuracy"};
// The neural-collapse measurements of `cnnlab collapse track` (analysis::collapse_fields).
constexpr const char* kCollapseKeys[] = {"nc1",
                                         "nc2_equinorm_means",
                                         "nc2_equinorm_classifiers",
                                         "nc2_equiangular_means",
                                         "nc2_equiangular_classifiers",
                                         "nc2_max_angle_means",
                                         "nc2_max_angle_classifiers",
                                         "nc3",
                                         "nc_train_loss",
                                         "nc_test_loss"};
constexpr const char* kCollapseFractions[] = {"nc4", "nc_train_accuracy", "nc_test_accuracy"};

// metrics.jsonl: one object per epoch, validated, sorted by epoch; when an epoch appears twice
// (a resumed run that redid it) the later line wins.
std::vector<Json> read_metrics(const fs::path& path) {
  const std::string text = read_bytes(path);
  std::map<int64_t, Json> by_epoch;
  int64_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
    const std::string where = place(path, line_number);
    Json row = parse_json(line, where);
    CNNLAB_CHECK(row.is_object(), IoError, "write_report: ", where,
                 ": expected a JSON object, got ", brief(row));
    const int64_t epoch = required_integer(row, "epoch", 1, INT64_MAX, where);
    for (const char* key : kMetricKeys) optional_number(row, key, where);
    for (const char* key : kMetricFractions) optional_fraction(row, key, where);
    for (const char* key : kCollapseKeys) optional_number(row, key, where);
    for (const char* key : kCollapseFractions) optional_fraction(row, key, where);
    by_epoch[epoch] = std::move(row);
  }
  std::vector<Json> rows;
  for (auto& [epoch, row] : by_epoch) rows.push_back(std::move(row));
  return rows;
}

struct Sample {
  int64_t index = -1;  // in the evaluated dataset; -1 when the file does not say
  int64_t label = 0;
  int64_t predicted = 0;
  std::optional<double> probability;
  std::string data_uri;  // data:image/png;base64,...
};

struct Evaluation {
  Json data;  // eval.json as read, for the page's JSON
  std::string split = "test";
  std::optional<double> loss;
  std::optional<double> accuracy;
  std::vector<std::string> class_names;
  std::vector<std::optional<double>> per_class_accuracy;
  std::vector<std::vector<int64_t>> confusion;
  std::vector<Sample> misclassified;
};

// The PNG a misclassified entry names, as a data: URI. The path must stay inside run_dir.
std::string png_data_uri(const fs::path& run_dir, const Json& image, const std::string& where) {
  CNNLAB_CHECK(image.is_string(), IoError, "write_report: ", where,
               ": expected 'image' to be a path relative to the run directory, got ", brief(image));
  const fs::path relative(image.get<std::string>());
  const bool escapes = std::any_of(relative.begin(), relative.end(),
                                   [](const fs::path& part) { return part == ".."; });
  CNNLAB_CHECK(!relative.empty() && relative.is_relative() && !escapes, IoError,
               "write_report: ", where,
               ": expected 'image' to be a path inside the run directory, got ", brief(image));
  const fs::path path = run_dir / relative;
  const std::string bytes = read_bytes(path);
  static constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);
  CNNLAB_CHECK(std::string_view(bytes).substr(0, 8) == kPngSignature, IoError,
               "write_report: ", place(path), ": expected a PNG file, got ", bytes.size(),
               " bytes without the PNG signature");
  return "data:image/png;base64," + detail::base64_encode(bytes);
}

// One figure of viz/index.json (written by `cnnlab viz`): the "Looking inside" section.
struct VizFigure {
  std::string method, title, caption;
  std::string data_uri;
};

std::vector<VizFigure> read_viz_figures(const fs::path& run_dir, const fs::path& path) {
  const std::string text = read_bytes(path);
  const Json list = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  const std::string where = place(path);
  CNNLAB_CHECK(list.is_array(), IoError, "write_report: ", where,
               ": expected a JSON array of figures, got ", brief(list));
  std::vector<VizFigure> figures;
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& f = list[i];
    const std::string entry_where = detail::concat(where, " [", i, "]");
    CNNLAB_CHECK(f.is_object() && f.contains("image"), IoError, "write_report: ", entry_where,
                 ": expected an object with an 'image', got ", brief(f));
    auto text_of = [&](const char* key) {
      const auto it = f.find(key);
      CNNLAB_CHECK(it == f.end() || it->is_string(), IoError, "write_report: ", entry_where,
                   ": expected '", key, "' to be a string, got ", brief(*it));
      return it == f.end() ? std::string() : it->get<std::string>();
    };
    figures.push_back({text_of("method"), text_of("title"), text_of("caption"),
                       png_data_uri(run_dir, f["image"], entry_where)});
  }
  return figures;
}

Evaluation read_evaluation(const fs::path& run_dir, const fs::path& path) {
  Evaluation ev;
  ev.data = object_from_file(path);
  const Json& j = ev.data;
  const std::string where = place(path);
  auto fail = [&](const std::string& what, const Json& got) {
    throw IoError(
        detail::concat("write_report: ", where, ": expected ", what, ", got ", brief(got)));
  };
  auto require = [&](const char* key) {
    const auto it = j.find(key);
    CNNLAB_CHECK(it != j.end(), IoError, "write_report: ", where, ": expected a key '", key,
                 "', got none");
    return it;
  };

  if (const auto it = j.find("split"); it != j.end()) {
    if (!it->is_string()) fail("'split' to be a string", *it);
    ev.split = it->get<std::string>();
  }
  ev.loss = optional_number(j, "loss", where);
  ev.accuracy = optional_fraction(j, "accuracy", where);

  const auto names = require("class_names");
  if (!names->is_array() || names->empty()) fail("'class_names' to be a non-empty array", *names);
  for (const Json& name : *names) {
    if (!name.is_string()) fail("'class_names' to hold strings", name);
    ev.class_names.push_back(name.get<std::string>());
  }
  const size_t n = ev.class_names.size();
  const std::string nxn = detail::concat("'confusion' to be a ", n, "x", n,
                                         " array (one row per class name) of counts >= 0");

  const auto confusion = require("confusion");
  if (!confusion->is_array() || confusion->size() != n) fail(nxn, *confusion);
  for (const Json& row : *confusion) {
    if (!row.is_array() || row.size() != n) fail(nxn, row);
    std::vector<int64_t>& counts = ev.confusion.emplace_back();
    for (const Json& count : row) {
      if (!count.is_number_integer() || count.get<int64_t>() < 0) fail(nxn, count);
      counts.push_back(count.get<int64_t>());
    }
  }

  const std::string per_class = detail::concat("'per_class_accuracy' to be an array of ", n,
                                               " fractions in [0, 1] (or null)");
  const auto accuracies = require("per_class_accuracy");
  if (!accuracies->is_array() || accuracies->size() != n) fail(per_class, *accuracies);
  for (const Json& a : *accuracies) {
    if (a.is_null()) {
      ev.per_class_accuracy.emplace_back();
      continue;
    }
    if (!a.is_number() || a.get<double>() < 0.0 || a.get<double>() > 1.0) {
      fail(per_class, a);
    }
    ev.per_class_accuracy.emplace_back(a.get<double>());
  }

  if (const auto list = j.find("misclassified"); list != j.end() && !list->is_null()) {
    if (!list->is_array()) fail("'misclassified' to be an array", *list);
    const auto max_class = static_cast<int64_t>(n) - 1;
    for (size_t i = 0; i < list->size(); ++i) {
      const Json& entry = (*list)[i];
      const std::string entry_where = detail::concat(where, " misclassified[", i, "]");
      CNNLAB_CHECK(entry.is_object(), IoError, "write_report: ", entry_where,
                   ": expected an object, got ", brief(entry));
      Sample s;
      if (entry.contains("index")) {
        s.index = required_integer(entry, "index", 0, INT64_MAX, entry_where);
      }
      s.label = required_integer(entry, "label", 0, max_class, entry_where);
      s.predicted = required_integer(entry, "predicted", 0, max_class, entry_where);
      s.probability = optional_fraction(entry, "probability", entry_where);
      const auto image = entry.find("image");
      CNNLAB_CHECK(image != entry.end(), IoError, "write_report: ", entry_where,
                   ": expected a key 'image', got none");
      s.data_uri = png_data_uri(run_dir, *image, entry_where);
      ev.misclassified.push_back(std::move(s));
    }
  }
  return ev;
}

// ---------------------------------------------------------------------------------------------
// Formatting

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// JSON that is safe inside <script type="application/json">: '<', '>' and '&' only occur in
// JSON strings, where \u003c and friends mean the same, so "</script>" cannot end the element.
std::string json_for_script(const Json& j) {
  const std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string percent(double fraction) { return fixed(100.0 * fraction, 2) + "%"; }

std::string optional_text(const std::optional<double>& v, int digits, bool as_percent = false) {
  if (!v) return "–";
  return as_percent ? percent(*v) : fixed(*v, digits);
}

std::string duration(double seconds) {
  if (seconds < 60.0) return fixed(seconds, 1) + " s";
  const auto total = static_cast<int64_t>(seconds + 0.5);
  if (total < 3600) return detail::concat(total / 60, " min ", total % 60, " s");
  return detail::concat(total / 3600, " h ", (total % 3600) / 60, " min");
}

// A config value as text: strings as they are, arrays as "[1, 28, 28]", the rest as JSON.
std::string value_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      out += (i ? ", " : "") + v[i].dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    return out + "]";
  }
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string config_text(const Json& config, const char* key, const char* fallback) {
  const auto it = config.find(key);
  return it == config.end() ? fallback : value_text(*it);
}

// The vendored Chart.js without its trailing sourceMappingURL comment (the .map is not shipped).
std::string_view chartjs_source() {
  std::string_view js(reinterpret_cast<const char*>(embedded::chartjs), embedded::chartjs_size);
  if (const size_t map = js.rfind("\n//# sourceMappingURL="); map != std::string_view::npos) {
    js = js.substr(0, map + 1);
  }
  CNNLAB_ASSERT(js.find("</script") == std::string_view::npos);  // would end the element early
  return js;
}

// ---------------------------------------------------------------------------------------------
// The page

constexpr std::string_view kStyle = R"css(
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f3f4f6; --card: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #1e293b; color: #f8fafc; padding: 22px 32px; }
header h1 { margin: 0 0 4px; font-size: 1.55rem; font-weight: 600; }
header p { margin: 0; color: #cbd5e1; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 8px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 18px 24px 22px; margin-bottom: 24px; }
h2 { font-size: 1.2rem; margin: 0 0 14px; }
h3 { font-size: 1rem; margin: 22px 0 10px; color: #334155; }
.muted { color: var(--muted); }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.stat .label { font-size: .75rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.stat .value { font-size: 1.35rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 24px; }
.chart { position: relative; height: 300px; margin: 0; }
.chart.wide { height: 320px; }
.notice { background: #fef9c3; border: 1px solid #eab308; border-radius: 6px; padding: 10px 14px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 5px 12px; border-bottom: 1px solid var(--line); text-align: right; }
table.data th { font-weight: 600; background: #f9fafb; }
table.data th:first-child, table.data td:first-child { text-align: left; }
table.config td { text-align: left; word-break: break-word; }
table.config td:first-child { font-weight: 600; white-space: nowrap; }
table.confusion { font-size: .85rem; }
table.confusion td { min-width: 3.2em; height: 2.3em; padding: 2px 6px; text-align: center;
  border: 1px solid #fff; }
table.confusion td.total { color: var(--muted); border: none; }
table.confusion th { font-weight: 500; white-space: nowrap; }
table.confusion th.row { text-align: right; padding-right: 8px; }
table.confusion th.col { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left;
  padding: 6px 0; vertical-align: bottom; }
table.confusion th span { display: inline-block; overflow: hidden; text-overflow: ellipsis; }
table.confusion th.col span { max-height: 11em; }
table.confusion th.row span { max-width: 16em; vertical-align: middle; }
table.confusion th.axis { color: var(--muted); font-size: .8rem; text-align: left; vertical-align: bottom; }
.samples { display: grid; grid-template-columns: repeat(auto-fill, minmax(128px, 1fr)); gap: 12px; }
.samples figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px;
  text-align: center; }
.samples img { width: 96px; height: 96px; object-fit: contain; image-rendering: pixelated;
  background: #111827; border-radius: 3px; }
.samples figcaption { font-size: .8rem; line-height: 1.35; margin-top: 6px; word-break: break-word; }
.viz { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 16px; }
.viz figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.viz img { width: 100%; max-height: 480px; object-fit: contain; image-rendering: pixelated; }
.viz figcaption { font-size: .85rem; line-height: 1.4; margin-top: 6px; }
.true { color: #15803d; font-weight: 600; }
.predicted { color: #b91c1c; font-weight: 600; }
footer { color: var(--muted); font-size: .8rem; text-align: center; padding: 0 16px 24px; }
)css";

// Draws the charts from the JSON in #cnnlab-run-data, then sets <body data-charts-rendered="N">
// (the Chromium test compares N with the number of canvases).
constexpr std::string_view kRenderScript = R"js(
(function () {
  'use strict';
  var run = JSON.parse(document.getElementById('cnnlab-run-data').textContent);
  var colours = JSON.parse(document.getElementById('cnnlab-colours').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#374151';
  var rendered = 0;

  function label(digits, suffix) {
    return function (item) {
      var y = item.parsed.y;
      return item.dataset.label + ': ' + (y === null ? 'n/a' : y.toFixed(digits) + suffix);
    };
  }
  function series(key, scale) {
    return run.metrics.map(function (m) {
      return {x: m.epoch, y: typeof m[key] === 'number' ? m[key] * scale : null};
    });
  }
  function line(name, colour, data) {
    return {label: name, data: data, borderColor: colour, backgroundColor: colour,
            borderWidth: 2, pointRadius: 3, spanGaps: true};
  }
  function curves(id, key, scale, title, digits, suffix) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: 'line',
      data: {datasets: [line('train', colours.train, series('train_' + key, scale)),
                        line('test', colours.test, series('test_' + key, scale))]},
      options: {
        interaction: {mode: 'nearest', axis: 'x', intersect: false},
        scales: {x: {type: 'linear', title: {display: true, text: 'epoch'}, ticks: {precision: 0}},
                 y: {title: {display: true, text: title}}},
        plugins: {legend: {position: 'bottom'}, tooltip: {callbacks: {label: label(digits, suffix)}}}
      }
    });
    rendered += 1;
  }
  curves('chart-loss', 'loss', 1, 'cross-entropy loss', 4, '');
  curves('chart-accuracy', 'accuracy', 100, 'accuracy (%)', 2, '%');

  var bars = document.getElementById('chart-per-class');
  if (bars && run.eval) {
    new Chart(bars, {
      type: 'bar',
      data: {labels: run.eval.class_names,
             datasets: [{label: 'accuracy', backgroundColor: colours.bars,
                         data: run.eval.per_class_accuracy.map(function (a) {
                           return a === null ? null : 100 * a;
                         })}]},
      options: {
        scales: {y: {min: 0, max: 100, title: {display: true, text: 'accuracy (%)'}},
                 x: {ticks: {autoSkip: false}}},
        plugins: {legend: {display: false}, tooltip: {callbacks: {label: label(2, '%')}}}
      }
    });
    rendered += 1;
  }

  // Neural collapse (cnnlab collapse track): each metric against the epoch on a log scale, with
  // the epoch of zero training error as a dashed vertical line.
  function collapse(id, title, keys, logScale, scale) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var datasets = [], low = Infinity, high = -Infinity;
    keys.forEach(function (k) {
      var data = run.metrics.filter(function (m) { return typeof m[k[0]] === 'number'; })
        .map(function (m) {
          var y = m[k[0]] * scale;
          if (logScale && !(y > 0)) y = null;
          if (y !== null) { low = Math.min(low, y); high = Math.max(high, y); }
          return {x: m.epoch, y: y};
        });
      datasets.push(line(k[1], k[2], data));
    });
    if (run.zero_error_epoch && low <= high) {
      var marker = line('zero training error (epoch ' + run.zero_error_epoch + ')', '#6b7280',
                        [{x: run.zero_error_epoch, y: logScale ? low : 0},
                         {x: run.zero_error_epoch, y: high}]);
      marker.borderDash = [6, 4];
      marker.pointRadius = 0;
      marker.borderWidth = 1.5;
      datasets.push(marker);
    }
    new Chart(canvas, {
      type: 'line',
      data: {datasets: datasets},
      options: {
        interaction: {mode: 'nearest', axis: 'x', intersect: false},
        scales: {x: {type: 'linear', title: {display: true, text: 'epoch'}, ticks: {precision: 0}},
                 y: {type: logScale ? 'logarithmic' : 'linear', title: {display: true, text: title}}},
        plugins: {legend: {position: 'bottom'}, tooltip: {callbacks: {label: label(4, '')}}}
      }
    });
    rendered += 1;
  }
  var means = colours.train, classifiers = colours.test;
  collapse('chart-nc1', 'NC1: Tr(Σ_W Σ_B⁺)/C', [['nc1', 'NC1', means]], true, 1);
  collapse('chart-nc2-equinorm', 'NC2 equinorm: std/mean of norms',
           [['nc2_equinorm_means', 'class means', means],
            ['nc2_equinorm_classifiers', 'classifiers', classifiers]], true, 1);
  collapse('chart-nc2-equiangular', 'NC2 equiangularity: std of cosines',
           [['nc2_equiangular_means', 'class means', means],
            ['nc2_equiangular_classifiers', 'classifiers', classifiers]], true, 1);
  collapse('chart-nc2-max-angle', 'NC2 maximal angle: mean |cos + 1/(C-1)|',
           [['nc2_max_angle_means', 'class means', means],
            ['nc2_max_angle_classifiers', 'classifiers', classifiers]], true, 1);
  collapse('chart-nc3', 'NC3: ||W/||W|| - M/||M||||²', [['nc3', 'NC3', means]], true, 1);
  collapse('chart-nc4', 'NC4: decisions off the nearest class mean (%)',
           [['nc4', 'NC4', means]], false, 100);
  collapse('chart-nc-error', 'error (%), eval mode',
           [['nc_train_error', 'train', means], ['nc_test_error', 'test', classifiers]], true, 100);
  document.body.dataset.chartsRendered = String(rendered);
})();
)js";

void stat(std::string& html, const std::string& label, const std::string& value) {
  html += "<div class=\"stat\"><div class=\"label\">" + escape_html(label) +
          "</div><div class=\"value\">" + escape_html(value) + "</div></div>\n";
}

void summary_section(std::string& html, const Json& config, const std::vector<Json>& metrics,
                     const std::optional<Evaluation>& eval) {
  const std::string where = "metrics.jsonl";  // already validated: nothing throws here
  std::string epochs = detail::concat(metrics.size());
  if (const auto it = config.find("epochs"); it != config.end()) {
    epochs += " of " + value_text(*it);
  }
  html += "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"stats\">\n";
  stat(html, "Epochs done", epochs);
  if (eval && eval->accuracy) {
    stat(html, "Final " + eval->split + " accuracy", percent(*eval->accuracy));
  }
  std::optional<double> best;
  int64_t best_epoch = 0;
  double seconds = 0;
  double throughput = 0;
  int64_t throughput_count = 0;
  for (const Json& m : metrics) {
    const std::optional<double> acc = optional_number(m, "test_accuracy", where);
    if (acc && (!best || *acc > *best)) {
      best = acc;
      best_epoch = m["epoch"].get<int64_t>();
    }
    seconds += optional_number(m, "seconds", where).value_or(0.0);
    if (const auto ips = optional_number(m, "images_per_second", where)) {
      throughput += *ips;
      ++throughput_count;
    }
  }
  if (best) {
    stat(html, detail::concat("Best test accuracy (epoch ", best_epoch, ")"), percent(*best));
  }
  if (!metrics.empty()) {
    if (const auto loss = optional_number(metrics.back(), "train_loss", where)) {
      stat(html, "Last train loss", fixed(*loss, 4));
    }
  }
  if (seconds > 0) stat(html, "Training time", duration(seconds));
  if (throughput_count > 0) {
    stat(html, "Images per second", fixed(throughput / static_cast<double>(throughput_count), 0));
  }
  html += "</div>\n</section>\n";
}

void curves_section(std::string& html, size_t epochs) {
  html += "<section id=\"curves\">\n<h2>Training curves</h2>\n";
  if (epochs == 0) html += "<p class=\"notice\">No epoch has finished yet.</p>\n";
  html +=
      "<div class=\"charts\">\n"
      "<figure class=\"chart\"><canvas id=\"chart-loss\" role=\"img\" "
      "aria-label=\"train and test loss per epoch\"></canvas></figure>\n"
      "<figure class=\"chart\"><canvas id=\"chart-accuracy\" role=\"img\" "
      "aria-label=\"train and test accuracy per epoch\"></canvas></figure>\n"
      "</div>\n</section>\n";
}

void confusion_table(std::string& html, const Evaluation& ev) {
  const size_t n = ev.class_names.size();
  html +=
      "<div class=\"scroll\"><table class=\"confusion\">\n<tr><th class=\"axis\">true ↓ "
      "predicted →</th>";
  for (const std::string& name : ev.class_names) {
    html += "<th class=\"col\"><span title=\"" + escape_html(name) + "\">" + escape_html(name) +
            "</span></th>";
  }
  html += "<th class=\"axis\">total</th></tr>\n";
  for (size_t t = 0; t < n; ++t) {
    int64_t total = 0;
    for (const int64_t c : ev.confusion[t]) total += c;
    const std::string name = escape_html(ev.class_names[t]);
    html += "<tr><th class=\"row\"><span title=\"" + name + "\">" + name + "</span></th>";
    for (size_t p = 0; p < n; ++p) {
      const int64_t count = ev.confusion[t][p];
      const double share = total > 0 ? static_cast<double>(count) / static_cast<double>(total) : 0;
      // NOTE: colour by the share of the true class (the row), so that small classes are as
      // readable as large ones; green on the diagonal (right), red off it (mistakes).
      std::string style;
      if (count > 0) {
        const double alpha = 0.08 + 0.92 * share;
        style = detail::concat(" style=\"background:rgba(", t == p ? "22,163,74," : "220,38,38,",
                               fixed(alpha, 3), ")", alpha > 0.55 ? ";color:#fff" : "", "\"");
      }
      html += detail::concat("<td", style, " title=\"true ", escape_html(ev.class_names[t]),
                             ", predicted ", escape_html(ev.class_names[p]), ": ", count, " (",
                             percent(share), " of the class)\">", count, "</td>");
    }
    html += detail::concat("<td class=\"total\">", total, "</td></tr>\n");
  }
  html += "</table></div>\n";
}

void evaluation_section(std::string& html, const std::optional<Evaluation>& eval) {
  html += "<section id=\"evaluation\">\n<h2>Evaluation</h2>\n";
  if (!eval) {
    html +=
        "<p class=\"notice\" id=\"evaluation-missing\">The evaluation is missing: this run "
        "directory has no eval.json yet (the run is still training, or stopped before its final "
        "evaluation). Confusion matrix, per-class accuracy and misclassified images appear once "
        "it exists.</p>\n</section>\n";
    return;
  }
  const Evaluation& ev = *eval;
  html += "<p>On the " + escape_html(ev.split) + " set: accuracy <strong>" +
          optional_text(ev.accuracy, 0, true) + "</strong>, loss <strong>" +
          optional_text(ev.loss, 4) + "</strong>.</p>\n";
  html +=
      "<h3>Confusion matrix</h3>\n<p class=\"muted\">Rows are the true classes, columns the "
      "predicted ones; the colour shows each cell's share of its row.</p>\n";
  confusion_table(html, ev);
  html +=
      "<h3>Per-class accuracy</h3>\n<figure class=\"chart wide\"><canvas "
      "id=\"chart-per-class\" role=\"img\" aria-label=\"accuracy per class\"></canvas>"
      "</figure>\n";
  html += detail::concat("<h3>Misclassified ", escape_html(ev.split), " images (",
                         ev.misclassified.size(), ")</h3>\n");
  if (ev.misclassified.empty()) {
    html += "<p class=\"muted\">None recorded.</p>\n";
  } else {
    html += "<div class=\"samples\">\n";
    for (const Sample& s : ev.misclassified) {
      const std::string truth = escape_html(ev.class_names[static_cast<size_t>(s.label)]);
      const std::string guess = escape_html(ev.class_names[static_cast<size_t>(s.predicted)]);
      const std::string number = s.index >= 0 ? detail::concat("#", s.index) : "";
      html += "<figure><img src=\"" + s.data_uri + "\" alt=\"" + escape_html(ev.split) + " image " +
              number + ": true " + truth + ", predicted " + guess + "\"><figcaption>";
      if (!number.empty()) html += "<span class=\"muted\">" + number + "</span><br>";
      html += "true <span class=\"true\">" + truth +
              "</span><br>predicted <span class=\"predicted\">" + guess + "</span>";
      if (s.probability) html += " (" + fixed(100.0 * *s.probability, 1) + "%)";
      html += "</figcaption></figure>\n";
    }
    html += "</div>\n";
  }
  html += "</section>\n";
}

void viz_section(std::string& html, const std::vector<VizFigure>& figures) {
  if (figures.empty()) return;
  html +=
      "<section id=\"viz\">\n<h2>Looking inside</h2>\n<p class=\"muted\">Figures written "
      "by <code>cnnlab viz</code> (docs/viz.md).</p>\n<div class=\"viz\">\n";
  for (const VizFigure& f : figures) {
    html += "<figure><img src=\"" + f.data_uri + "\" alt=\"" + escape_html(f.title) +
            "\"><figcaption><strong>" + escape_html(f.title) + "</strong>";
    if (!f.method.empty()) html += " <span class=\"muted\">(" + escape_html(f.method) + ")</span>";
    if (!f.caption.empty()) html += "<br>" + escape_html(f.caption);
    html += "</figcaption></figure>\n";
  }
  html += "</div>\n</section>\n";
}

// The first epoch at which the training error is zero: in the eval-mode measurement of
// `cnnlab collapse track` or in the running training accuracy, whichever comes first; 0 = never.
int64_t zero_error_epoch(const std::vector<Json>& metrics) {
  const std::string where = "metrics.jsonl";
  for (const Json& m : metrics) {
    if (optional_number(m, "nc_train_accuracy", where).value_or(0.0) >= 1.0 ||
        optional_number(m, "train_accuracy", where).value_or(0.0) >= 1.0) {
      return m["epoch"].get<int64_t>();
    }
  }
  return 0;
}

// "Neural collapse": charts and a table of the epochs measured by `cnnlab collapse track`.
void collapse_section(std::string& html, const std::vector<Json>& metrics) {
  const std::string where = "metrics.jsonl";
  std::vector<const Json*> measured;
  for (const Json& m : metrics) {
    if (optional_number(m, "nc1", where)) measured.push_back(&m);
  }
  if (measured.empty()) return;
  const int64_t zero_epoch = zero_error_epoch(metrics);
  html +=
      "<section id=\"collapse\">\n<h2>Neural collapse</h2>\n<p class=\"muted\">NC1-NC4 "
      "(Papyan, Han &amp; Donoho 2020) of the penultimate features on the training set, measured "
      "in eval mode by <code>cnnlab collapse track</code> at " +
      detail::concat(measured.size()) + " log-spaced epochs. ";
  html += zero_epoch > 0
              ? detail::concat("The training error first reached zero at epoch ", zero_epoch,
                               " (dashed line); the terminal phase of training follows.")
              : std::string("The training error has not reached zero yet.");
  html += " Formulas: docs/collapse.md.</p>\n<div class=\"charts\">\n";
  const char* charts[][2] = {{"chart-nc1", "NC1 per epoch"},
                             {"chart-nc2-equinorm", "NC2 equinorm per epoch"},
                             {"chart-nc2-equiangular", "NC2 equiangularity per epoch"},
                             {"chart-nc2-max-angle", "NC2 maximal angle per epoch"},
                             {"chart-nc3", "NC3 per epoch"},
                             {"chart-nc4", "NC4 per epoch"},
                             {"chart-nc-error", "train and test error per epoch"}};
  for (const auto& [id, label] : charts) {
    html += std::string("<figure class=\"chart\"><canvas id=\"") + id +
            "\" role=\"img\" aria-label=\"" + label + "\"></canvas></figure>\n";
  }
  html +=
      "</div>\n<h3>Measurements</h3>\n<div class=\"scroll\"><table class=\"data\">\n<tr>"
      "<th>epoch</th><th>NC1</th><th>equinorm M</th><th>equinorm W</th><th>equiangular M</th>"
      "<th>equiangular W</th><th>max angle M</th><th>max angle W</th><th>NC3</th><th>NC4</th>"
      "<th>train acc.</th><th>test acc.</th></tr>\n";
  auto sci = [&](const Json& m, const char* key) {
    const std::optional<double> v = optional_number(m, key, where);
    if (!v) return std::string("–");
    char text[32];
    std::snprintf(text, sizeof(text), "%.3g", *v);
    return std::string(text);
  };
  for (const Json* m : measured) {
    html += detail::concat("<tr><td>", (*m)["epoch"].get<int64_t>(), "</td>");
    for (const char* key : {"nc1", "nc2_equinorm_means", "nc2_equinorm_classifiers",
                            "nc2_equiangular_means", "nc2_equiangular_classifiers",
                            "nc2_max_angle_means", "nc2_max_angle_classifiers", "nc3"}) {
      html += "<td>" + sci(*m, key) + "</td>";
    }
    html += "<td>" + optional_text(optional_number(*m, "nc4", where), 2, true) + "</td><td>" +
            optional_text(optional_number(*m, "nc_train_accuracy", where), 2, true) + "</td><td>" +
            optional_text(optional_number(*m, "nc_test_accuracy", where), 2, true) + "</td></tr>\n";
  }
  html += "</table></div>\n</section>\n";
}

void epochs_section(std::string& html, const std::vector<Json>& metrics) {
  if (metrics.empty()) return;
  html +=
      "<section id=\"epochs\">\n<h2>Epochs</h2>\n<div class=\"scroll\"><table class=\"data\">"
      "\n<tr><th>epoch</th><th>train loss</th><th>train accuracy</th><th>test loss</th>"
      "<th>test accuracy</th><th>learning rate</th><th>seconds</th><th>images/s</th></tr>\n";
  const std::string where = "metrics.jsonl";
  for (const Json& m : metrics) {
    html += detail::concat(
        "<tr><td>", m["epoch"].get<int64_t>(), "</td><td>",
        optional_text(optional_number(m, "train_loss", where), 4), "</td><td>",
        optional_text(optional_number(m, "train_accuracy", where), 0, true), "</td><td>",
        optional_text(optional_number(m, "test_loss", where), 4), "</td><td>",
        optional_text(optional_number(m, "test_accuracy", where), 0, true), "</td><td>");
    const std::optional<double> lr = optional_number(m, "lr", where);
    html += lr ? escape_html(value_text(m["lr"])) : "–";
    html += detail::concat(
        "</td><td>", optional_text(optional_number(m, "seconds", where), 1), "</td><td>",
        optional_text(optional_number(m, "images_per_second", where), 0), "</td></tr>\n");
  }
  html += "</table></div>\n</section>\n";
}

void config_section(std::string& html, const Json& config) {
  html +=
      "<section id=\"config\">\n<h2>Configuration</h2>\n<p class=\"muted\">From config.json: "
      "everything needed to repeat the run.</p>\n<table class=\"data config\">\n";
  for (const auto& [key, value] : config.items()) {
    html += "<tr><td>" + escape_html(key) + "</td><td>" + escape_html(value_text(value)) +
            "</td></tr>\n";
  }
  html += "</table>\n</section>\n";
}

std::string render(const Json& config, const std::vector<Json>& metrics,
                   const std::optional<Evaluation>& eval, const std::vector<VizFigure>& figures) {
  const std::string title = config_text(config, "model", "model") + " on " +
                            config_text(config, "data", "data") + ", " +
                            config_text(config, "epochs", "?") + " epochs";
  // the errors of the collapse charts, from the measured accuracies
  std::vector<Json> rows = metrics;
  for (Json& m : rows) {
    for (const char* split : {"train", "test"}) {
      const auto it = m.find(std::string("nc_") + split + "_accuracy");
      if (it != m.end() && it->is_number()) {
        m[std::string("nc_") + split + "_error"] = 1.0 - it->get<double>();
      }
    }
  }
  Json data = {{"config", config},
               {"metrics", rows},
               {"eval", nullptr},
               {"zero_error_epoch", zero_error_epoch(metrics)}};
  if (eval) data["eval"] = eval->data;
  const Json colours = {{"train", kTrainColour}, {"test", kTestColour}, {"bars", kBarColour}};

  std::string html;
  html.reserve(embedded::chartjs_size + 64 * 1024);
  html +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>cnnlab run: " +
      escape_html(title) + "</title>\n<style>" + std::string(kStyle) +
      "</style>\n</head>\n<body>\n";
  html += "<header>\n<h1>" + escape_html(title) + "</h1>\n<p>cnnlab run report";
  if (const auto it = config.find("seed"); it != config.end()) {
    html += " · seed " + escape_html(value_text(*it));
  }
  html +=
      "</p>\n</header>\n<main>\n<noscript><p class=\"notice\">The charts need JavaScript; "
      "the tables below do not.</p></noscript>\n";
  summary_section(html, config, metrics, eval);
  curves_section(html, metrics.size());
  evaluation_section(html, eval);
  collapse_section(html, metrics);
  viz_section(html, figures);
  epochs_section(html, metrics);
  config_section(html, config);
  html +=
      "</main>\n<footer>Generated by cnnlab from config.json, metrics.jsonl and eval.json. "
      "Charts by Chart.js (MIT licence), embedded.</footer>\n";
  html += "<script>\n";
  html += chartjs_source();
  html += "</script>\n<script type=\"application/json\" id=\"cnnlab-run-data\">" +
          json_for_script(data) +
          "</script>\n<script type=\"application/json\" "
          "id=\"cnnlab-colours\">" +
          json_for_script(colours) + "</script>\n<script id=\"cnnlab-render\">" +
          std::string(kRenderScript) + "</script>\n</body>\n</html>\n";
  return html;
}

// ---------------------------------------------------------------------------------------------
// The minority-collapse page (cnnlab collapse minority)

// Draws the two charts of #cnnlab-minority-data against the ratio R on a log axis.
constexpr std::string_view kMinorityScript = R"js(
(function () {
  'use strict';
  var ex = JSON.parse(document.getElementById('cnnlab-minority-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  var rendered = 0;
  function chart(id, title, keys, scale) {
    var datasets = keys.map(function (k) {
      return {label: k[1], borderColor: k[2], backgroundColor: k[2], borderWidth: 2,
              pointRadius: 4, data: ex.ratios.filter(function (r) { return r[k[0]] !== null; })
                .map(function (r) { return {x: r.ratio, y: r[k[0]] * scale}; })};
    });
    new Chart(document.getElementById(id), {
      type: 'line', data: {datasets: datasets},
      options: {scales: {x: {type: 'logarithmic', title: {display: true, text: 'imbalance ratio R'},
                             ticks: {callback: function (v) {  // powers of 10 only
                               var e = Math.log10(v);
                               return Math.abs(e - Math.round(e)) < 1e-9 ? String(v) : '';
                             }}},
                         y: {title: {display: true, text: title}}},
                plugins: {legend: {position: 'bottom'}}}
    });
    rendered += 1;
  }
  chart('chart-cosines', 'mean cosine of classifier rows',
        [['minority_cosine', 'minority classes', '#ea580c'],
         ['majority_cosine', 'majority classes', '#2563eb']], 1);
  chart('chart-minority-accuracy', 'test accuracy (%)',
        [['minority_test_accuracy', 'minority classes', '#ea580c'],
         ['majority_test_accuracy', 'majority classes', '#2563eb'],
         ['test_accuracy', 'all classes', '#7c3aed']], 100);
  document.body.dataset.chartsRendered = String(rendered);
})();
)js";

std::string render_minority(const Json& ex, const std::string& where) {
  auto number = [&](const Json& obj, const char* key) {
    const auto it = obj.find(key);
    CNNLAB_CHECK(it != obj.end() && (it->is_number() || it->is_null()), IoError,
                 "write_minority_report: ", where, ": expected a number '", key, "', got ",
                 it == obj.end() ? std::string("none") : brief(*it));
    return it->is_null() ? std::optional<double>() : std::optional<double>(it->get<double>());
  };
  const auto ratios = ex.find("ratios");
  CNNLAB_CHECK(ratios != ex.end() && ratios->is_array(), IoError, "write_minority_report: ", where,
               ": expected an array 'ratios'");
  const std::string title = "Minority collapse: " + config_text(ex, "model", "model") + " on " +
                            config_text(ex, "data", "data") + ", " +
                            config_text(ex, "majority_classes", "?") + " majority classes";
  std::string html;
  html.reserve(embedded::chartjs_size + 32 * 1024);
  html +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>cnnlab: " +
      escape_html(title) + "</title>\n<style>" + std::string(kStyle) +
      "</style>\n</head>\n<body>\n<header>\n<h1>" + escape_html(title) +
      "</h1>\n<p>cnnlab collapse minority (Fang, He, Long &amp; Su 2021)</p>\n</header>\n<main>\n"
      "<section id=\"minority\">\n<h2>Classifier cosines and accuracies against the imbalance"
      "</h2>\n<p class=\"muted\">Classes 0.." +
      escape_html(detail::concat(number(ex, "majority_classes").value_or(0) - 1)) + " have " +
      escape_html(config_text(ex, "majority_images_per_class", "?")) +
      " training images each; every other class has that number divided by R. The cosine is "
      "the mean over pairs of rows of the last layer's weight, taken as they are (not centred), "
      "as in the authors' code; minority collapse drives the minority cosine towards 1. "
      "Oversampling factor of the minority classes: " +
      escape_html(config_text(ex, "oversample", "1")) +
      ".</p>\n<div class=\"charts\">\n"
      "<figure class=\"chart\"><canvas id=\"chart-cosines\" role=\"img\" aria-label=\""
      "classifier cosines against the ratio\"></canvas></figure>\n<figure class=\"chart\">"
      "<canvas id=\"chart-minority-accuracy\" role=\"img\" aria-label=\"test accuracies "
      "against the ratio\"></canvas></figure>\n</div>\n<h3>Every ratio</h3>\n<div "
      "class=\"scroll\"><table class=\"data\">\n<tr><th>R</th><th>minority images per class"
      "</th><th>minority cosine</th><th>majority cosine</th><th>test acc.</th><th>majority "
      "test acc.</th><th>minority test acc.</th><th>train acc.</th><th>run</th></tr>\n";
  for (const Json& r : *ratios) {
    CNNLAB_CHECK(r.is_object(), IoError, "write_minority_report: ", where,
                 ": expected an object per ratio, got ", brief(r));
    const std::string run =
        r.contains("run") && r["run"].is_string() ? r["run"].get<std::string>() : std::string();
    const std::optional<double> ratio = number(r, "ratio");
    html += "<tr><td>" + (ratio ? detail::concat(*ratio) : std::string("–")) + "</td><td>" +
            optional_text(number(r, "minority_images_per_class"), 0) + "</td><td>" +
            optional_text(number(r, "minority_cosine"), 4) + "</td><td>" +
            optional_text(number(r, "majority_cosine"), 4) + "</td><td>" +
            optional_text(number(r, "test_accuracy"), 2, true) + "</td><td>" +
            optional_text(number(r, "majority_test_accuracy"), 2, true) + "</td><td>" +
            optional_text(number(r, "minority_test_accuracy"), 2, true) + "</td><td>" +
            optional_text(number(r, "train_accuracy"), 2, true) + "</td><td>" +
            (run.empty() ? std::string("–")
                         : "<a href=\"" + escape_html(run) + "/report.html\">" + escape_html(run) +
                               "</a>") +
            "</td></tr>\n";
  }
  html +=
      "</table></div>\n</section>\n</main>\n<footer>Generated by cnnlab from "
      "minority.json. Charts by Chart.js (MIT licence), embedded.</footer>\n<script>\n";
  html += chartjs_source();
  html += "</script>\n<script type=\"application/json\" id=\"cnnlab-minority-data\">" +
          json_for_script(ex) + "</script>\n<script>" + std::string(kMinorityScript) +
          "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace

void write_minority_report(const std::string& dir) {
  const fs::path path = fs::path(dir) / "minority.json";
  const Json ex = object_from_file(path);
  const std::string html = render_minority(ex, place(path));
  io::write_atomically((fs::path(dir) / "report.html").string(),
                       [&](std::ostream& out) { out << html; });
}

void write_report(const std::string& run_dir) {
  const fs::path dir(run_dir);
  CNNLAB_CHECK(fs::is_directory(dir), IoError, "write_report: expected a run directory, got '",
               run_dir, "' (missing or not a directory)");
  const Json config = object_from_file(dir / "config.json");
  const std::vector<Json> metrics = read_metrics(dir / "metrics.jsonl");
  std::optional<Evaluation> eval;
  if (const fs::path eval_path = dir / "eval.json"; fs::exists(eval_path)) {
    eval = read_evaluation(dir, eval_path);
  }
  std::vector<VizFigure> figures;
  if (const fs::path viz = dir / "viz" / "index.json"; fs::exists(viz)) {
    figures = read_viz_figures(dir, viz);
  }
  const std::string html = render(config, metrics, eval, figures);
  io::write_atomically((dir / "report.html").string(), [&](std::ostream& out) { out << html; });
}

}  // namespace cnnlab::train
