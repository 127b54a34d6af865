// write_report: the page holds the run's data, the chart library and the images, escapes every
// string from the files, works without eval.json, and names the file (and line) that is wrong.
// Also its neural-collapse section and write_minority_report (cnnlab collapse, issue 7).
#include "cnnlab/train/report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cnnlab/core/error.hpp"
#include "detail/base64.hpp"
#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

namespace fs = std::filesystem;

// A valid 2x2 8-bit gray PNG (made with Python's zlib) and its base64 text.
const std::string kTinyPng(
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00"
    "\x00\x02\x08\x00\x00\x00\x00\x57\xdd\x52\xf8\x00\x00\x00\x0c\x49\x44\x41\x54\x78\xda\x63"
    "\x60\xf8\x0f\x84\x00\x06\x00\x01\xff\xad\x2c\x37\x25\x00\x00\x00\x00\x49\x45\x4e\x44\xae"
    "\x42\x60\x82",
    69);
const char* const kTinyPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADElEQVR42mNg+A+EAAYAAf+tLDclAAAAAElFTkSuQmCC";

const char* const kMetrics =
    "{\"epoch\": 1, \"train_loss\": 0.6931, \"train_accuracy\": 0.51, \"test_loss\": 0.6, "
    "\"test_accuracy\": 0.55, \"lr\": 0.01, \"seconds\": 1.5, \"images_per_second\": 4000}\n"
    "{\"epoch\": 2, \"train_loss\": 0.4242, \"train_accuracy\": 0.72, \"test_loss\": 0.45, "
    "\"test_accuracy\": 0.7, \"lr\": 0.01, \"seconds\": 1.5, \"images_per_second\": 4100}\n"
    "{\"epoch\": 3, \"train_loss\": 0.3131, \"train_accuracy\": 0.81, \"test_loss\": 0.39, "
    "\"test_accuracy\": 0.7777, \"lr\": 0.001, \"seconds\": 1.5, \"images_per_second\": 4200}\n";

// A run directory in the temp folder, removed at the end of the test.
class RunDir {
 public:
  RunDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("cnnlab_report_" + std::string(info->test_suite_name()) +
                                         "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_ / "misclassified");
  }
  ~RunDir() { fs::remove_all(path_); }
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;

  std::string str() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path_ / name, std::ios::binary) << bytes;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path_ / name, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // config.json and metrics.jsonl; eval.json with three classes (the third named `third`)
  // and two misclassified PNGs when with_eval.
  void write_run(bool with_eval, const std::string& third = "Pullover") const {
    write("config.json",
          "{\"command\": \"train\", \"model\": \"lenet5\", \"data\": \"fashion-mnist\", "
          "\"epochs\": 3, \"batch_size\": 64, \"optimizer\": \"sgd\", \"lr\": 0.01, \"seed\": 7, "
          "\"num_classes\": 3, \"input_shape\": [1, 28, 28]}");
    write("metrics.jsonl", kMetrics);
    if (!with_eval) return;
    write("misclassified/000.png", kTinyPng);
    write("misclassified/001.png", kTinyPng);
    write("eval.json", eval_json("[\"T-shirt/top\", \"Trouser\", \"" + third + "\"]"));
  }

  static std::string eval_json(
      const std::string& class_names,
      const std::string& confusion = "[[50, 3, 7], [2, 58, 0], [9, 1, 40]]",
      const std::string& first_image = "misclassified/000.png", int first_label = 0) {
    return "{\"split\": \"test\", \"loss\": 0.4321, \"accuracy\": 0.8235, \"class_names\": " +
           class_names +
           ", \"per_class_accuracy\": [0.8333, 0.9667, 0.8], \"confusion\": " + confusion +
           ", \"misclassified\": [{\"index\": 12, \"label\": " + std::to_string(first_label) +
           ", \"predicted\": 2, \"probability\": 0.71, \"image\": \"" + first_image +
           "\"}, {\"index\": 40, \"label\": 2, \"predicted\": 0, \"probability\": 0.5, "
           "\"image\": \"misclassified/001.png\"}]}";
  }

 private:
  fs::path path_;
};

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(Base64Encode, MatchesRfc4648Vectors) {
  EXPECT_EQ(detail::base64_encode(""), "");
  EXPECT_EQ(detail::base64_encode("f"), "Zg==");
  EXPECT_EQ(detail::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(detail::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(detail::base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(detail::base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(detail::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(detail::base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
  EXPECT_EQ(detail::base64_encode(kTinyPng), kTinyPngBase64);
}

TEST(WriteReport, EmbedsDataChartLibraryAndImages) {
  RunDir run;
  run.write_run(true);
  train::write_report(run.str());
  const std::string html = run.read("report.html");

  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<title>cnnlab run: lenet5 on fashion-mnist, 3 epochs</title>"),
            std::string::npos);
  // The chart library, inline, and the script that draws the three charts.
  EXPECT_NE(html.find("Chart.js v4"), std::string::npos);
  EXPECT_NE(html.find("<canvas id=\"chart-loss\""), std::string::npos);
  EXPECT_NE(html.find("<canvas id=\"chart-accuracy\""), std::string::npos);
  EXPECT_NE(html.find("<canvas id=\"chart-per-class\""), std::string::npos);
  EXPECT_NE(html.find("document.body.dataset.chartsRendered"), std::string::npos);
  // Exactly four script elements (Chart.js, the data, the colours, the drawing code): the
  // library itself must not contain "</script", which would end its element early.
  EXPECT_EQ(count(html, "<script"), 4u);
  EXPECT_EQ(count(html, "</script>"), 4u);
  // Nothing loaded from the network.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // The run's data as JSON, in the files' key order.
  EXPECT_NE(html.find("{\"epoch\":3,\"train_loss\":0.3131,\"train_accuracy\":0.81,"),
            std::string::npos);
  EXPECT_NE(html.find("\"confusion\":[[50,3,7],[2,58,0],[9,1,40]]"), std::string::npos);
  // Tables: summary, configuration, per-epoch numbers, confusion counts with row totals.
  EXPECT_NE(html.find(">82.35%<"), std::string::npos);  // final test accuracy
  EXPECT_NE(html.find(">77.77%<"), std::string::npos);  // best test accuracy (epoch 3)
  EXPECT_NE(html.find("<td>batch_size</td><td>64</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>input_shape</td><td>[1, 28, 28]</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>0.6931</td>"), std::string::npos);
  EXPECT_NE(html.find(">58</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"total\">60</td>"), std::string::npos);
  // The two misclassified images as data: URIs, with labels and probabilities.
  EXPECT_EQ(count(html, std::string("src=\"data:image/png;base64,") + kTinyPngBase64 + "\""), 2u);
  EXPECT_NE(html.find("true <span class=\"true\">T-shirt/top</span><br>predicted <span "
                      "class=\"predicted\">Pullover</span> (71.0%)"),
            std::string::npos);
  EXPECT_NE(html.find("#40"), std::string::npos);
  EXPECT_EQ(html.find("evaluation-missing"), std::string::npos);
}

TEST(WriteReport, ShowsTheFiguresOfVizIndexJsonInTheirOrder) {
  RunDir run;
  run.write_run(true);
  std::filesystem::create_directories(run.file("viz/saliency"));
  run.write("viz/saliency/a.png", kTinyPng);
  run.write("viz/filters.png", kTinyPng);
  run.write("viz/index.json",
            "[{\"method\": \"saliency\", \"title\": \"Saliency <of> 3\", \"image\": "
            "\"viz/saliency/a.png\", \"caption\": \"class 2 & more\"}, {\"method\": "
            "\"filters\", \"title\": \"Filters\", \"image\": \"viz/filters.png\"}]");
  train::write_report(run.str());
  const std::string html = run.read("report.html");
  const size_t section = html.find("<section id=\"viz\">");
  ASSERT_NE(section, std::string::npos);
  EXPECT_LT(html.find("<section id=\"evaluation\">"), section);
  // Both images inline (plus the two misclassified ones), titles and captions escaped, in order.
  EXPECT_EQ(count(html, std::string("src=\"data:image/png;base64,") + kTinyPngBase64 + "\""), 4u);
  const size_t first = html.find("<strong>Saliency &lt;of&gt; 3</strong>");
  const size_t second = html.find("<strong>Filters</strong>");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_NE(html.find("class 2 &amp; more"), std::string::npos);
}

TEST(WriteReport, WithoutVizIndexHasNoLookingInsideSection) {
  RunDir run;
  run.write_run(true);
  train::write_report(run.str());
  EXPECT_EQ(run.read("report.html").find("<section id=\"viz\">"), std::string::npos);
}

TEST(WriteReport, RejectsVizFiguresOutsideTheRunOrNotPng) {
  RunDir run;
  run.write_run(false);
  std::filesystem::create_directories(run.file("viz"));
  run.write("viz/index.json", "[{\"image\": \"../elsewhere.png\"}]");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError, "inside the run directory");
  run.write("viz/not.png", "GIF89a");
  run.write("viz/index.json", "[{\"image\": \"viz/not.png\"}]");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError, "expected a PNG file");
  run.write("viz/index.json", "{\"image\": 3}");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError, "expected a JSON array of figures");
}

TEST(WriteReport, EscapesEveryStringFromTheFiles) {
  RunDir run;
  run.write_run(true, "<script>alert(1)</script> & \\\"co\\\" 'x'");
  train::write_report(run.str());
  const std::string html = run.read("report.html");

  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(count(html, "</script>"), 4u);
  // In HTML (table headers, captions, alt text) ...
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot; &#39;x&#39;"),
            std::string::npos);
  // ... and in the embedded JSON, where '<', '>' and '&' become \u escapes.
  EXPECT_NE(html.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e \\u0026 \\\"co\\\" 'x'"),
            std::string::npos);
}

TEST(WriteReport, EscapesConfigValuesAndKeys) {
  RunDir run;
  run.write_run(false);
  run.write("config.json",
            "{\"model\": \"<b>net</b>\", \"data\": \"/tmp/a&b\", \"epochs\": 3, "
            "\"<key>\": \"</script>\"}");
  train::write_report(run.str());
  const std::string html = run.read("report.html");
  EXPECT_NE(html.find("<h1>&lt;b&gt;net&lt;/b&gt; on /tmp/a&amp;b, 3 epochs</h1>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>&lt;key&gt;</td><td>&lt;/script&gt;</td>"), std::string::npos);
  EXPECT_EQ(html.find("<b>net"), std::string::npos);
  EXPECT_EQ(count(html, "</script>"), 4u);
}

TEST(WriteReport, WithoutEvalJsonShowsCurvesAndSaysTheEvaluationIsMissing) {
  RunDir run;
  run.write_run(false);
  train::write_report(run.str());
  const std::string html = run.read("report.html");
  EXPECT_NE(html.find("<canvas id=\"chart-loss\""), std::string::npos);
  EXPECT_NE(html.find("<canvas id=\"chart-accuracy\""), std::string::npos);
  EXPECT_EQ(html.find("<canvas id=\"chart-per-class\""), std::string::npos);
  EXPECT_NE(html.find("id=\"evaluation-missing\""), std::string::npos);
  EXPECT_NE(html.find("\"eval\":null"), std::string::npos);
  EXPECT_EQ(html.find("data:image/png"), std::string::npos);
}

TEST(WriteReport, EmptyMetricsGiveAReportWithoutEpochs) {
  RunDir run;
  run.write_run(false);
  run.write("metrics.jsonl", "");
  train::write_report(run.str());
  const std::string html = run.read("report.html");
  EXPECT_NE(html.find("No epoch has finished yet."), std::string::npos);
  EXPECT_NE(html.find("\"metrics\":[]"), std::string::npos);
  EXPECT_NE(html.find(">0 of 3<"), std::string::npos);
}

TEST(WriteReport, RepeatedEpochKeepsTheLaterLineAndEpochsAreSorted) {
  RunDir run;
  run.write_run(false);
  run.write("metrics.jsonl",
            "{\"epoch\": 2, \"train_loss\": 0.5}\n{\"epoch\": 1, \"train_loss\": 0.9}\n\n"
            "{\"epoch\": 2, \"train_loss\": 0.4}\r\n");
  train::write_report(run.str());
  const std::string html = run.read("report.html");
  EXPECT_NE(html.find("\"metrics\":[{\"epoch\":1,\"train_loss\":0.9},{\"epoch\":2,"
                      "\"train_loss\":0.4}]"),
            std::string::npos);
  EXPECT_NE(html.find(">2 of 3<"), std::string::npos);  // epochs done
}

TEST(WriteReport, MissingFilesAreNamed) {
  RunDir run;
  EXPECT_THROW_WITH(train::write_report(run.file("nope")), IoError,
                    "write_report: expected a run directory, got '" + run.file("nope") + "'");
  run.write_run(true);
  fs::remove(run.file("metrics.jsonl"));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    "write_report: cannot open '" + run.file("metrics.jsonl") + "'");
  run.write_run(true);
  fs::remove(run.file("config.json"));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    "cannot open '" + run.file("config.json") + "'");
  run.write_run(true);
  fs::remove(run.file("misclassified/001.png"));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    "cannot open '" + run.file("misclassified/001.png") + "'");
  EXPECT_FALSE(fs::exists(run.file("report.html")));
}

TEST(WriteReport, MalformedMetricsNameTheLine) {
  RunDir run;
  run.write_run(false);
  const std::string where = "write_report: '" + run.file("metrics.jsonl") + "' line ";
  auto metrics_with = [&](const std::string& line) {
    run.write("metrics.jsonl", "{\"epoch\": 1, \"train_loss\": 0.5}\n\n" + line + "\n");
  };
  metrics_with("{\"epoch\": 2, \"train_loss\": ");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError, where + "3: expected valid JSON, got");
  metrics_with("[1, 2]");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "3: expected a JSON object, got [1,2]");
  metrics_with("{\"train_loss\": 0.5}");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "3: expected a key 'epoch', got none");
  metrics_with("{\"epoch\": 0}");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "3: expected 'epoch' to be an integer in [1, ");
  metrics_with("{\"epoch\": 2, \"test_loss\": \"low\"}");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "3: expected 'test_loss' to be a number, got \"low\"");
  metrics_with("{\"epoch\": 2, \"test_accuracy\": 91.5}");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "3: expected 'test_accuracy' to be a fraction in [0, 1], got 91.5");
}

TEST(WriteReport, MalformedConfigOrEvalIsNamed) {
  RunDir run;
  run.write_run(true);
  run.write("config.json", "[\"not\", \"an object\"]");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    "write_report: '" + run.file("config.json") + "': expected a JSON object");

  run.write_run(true);
  const std::string where = "write_report: '" + run.file("eval.json") + "'";
  const std::string names = "[\"a\", \"b\", \"c\"]";
  run.write("eval.json", "{\"class_names\": ");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError, where + ": expected valid JSON");
  run.write("eval.json", "{\"confusion\": []}");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + ": expected a key 'class_names', got none");
  run.write("eval.json", RunDir::eval_json(names, "[[1, 2, 3], [4, 5, 6]]"));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where +
                        ": expected 'confusion' to be a 3x3 array (one row per class name) "
                        "of counts >= 0, got [[1,2,3],[4,5,6]]");
  run.write("eval.json", RunDir::eval_json(names, "[[1, 2, 3], [4, -5, 6], [7, 8, 9]]"));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError, "of counts >= 0, got -5");
  run.write("eval.json", RunDir::eval_json(names, "[[1, 0, 0], [0, 1, 0], [0, 0, 1]]",
                                           "misclassified/000.png", 3));
  EXPECT_THROW_WITH(
      train::write_report(run.str()), IoError,
      where + " misclassified[0]: expected 'label' to be an integer in [0, 2], got 3");
  run.write("eval.json",
            RunDir::eval_json(names, "[[1, 0, 0], [0, 1, 0], [0, 0, 1]]", "../elsewhere.png"));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where +
                        " misclassified[0]: expected 'image' to be a path inside the run "
                        "directory, got \"../elsewhere.png\"");
  run.write("eval.json",
            RunDir::eval_json(names, "[[1, 0, 0], [0, 1, 0], [0, 0, 1]]", "/etc/hostname"));
  EXPECT_THROW_WITH(
      train::write_report(run.str()), IoError,
      "expected 'image' to be a path inside the run directory, got \"/etc/hostname\"");
  run.write("misclassified/000.png", "GIF89a, not a PNG");
  run.write("eval.json", RunDir::eval_json(names));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    "write_report: '" + run.file("misclassified/000.png") +
                        "': expected a PNG file, got 17 bytes without the PNG signature");
}

TEST(WriteReport, FailureLeavesThePreviousReportIntact) {
  RunDir run;
  run.write_run(true);
  train::write_report(run.str());
  const std::string before = run.read("report.html");
  run.write("metrics.jsonl", "{\"epoch\": 1}\n{oops\n");
  EXPECT_THROW(train::write_report(run.str()), IoError);
  EXPECT_EQ(run.read("report.html"), before);
  EXPECT_EQ(std::distance(fs::directory_iterator(run.str()), fs::directory_iterator()), 5)
      << "no temporary file is left behind";
}

// ---- neural collapse (cnnlab collapse track) ---------------------------------------------------

// The fields of analysis::collapse_fields with NC4 = nc4 and the eval-mode training accuracy
// train_accuracy, as one metrics.jsonl line of epoch `epoch` (with the usual epoch metrics).
std::string collapse_line(int epoch, double train_accuracy, const std::string& nc4 = "0.25") {
  return "{\"epoch\": " + std::to_string(epoch) +
         ", \"train_loss\": 0.5, \"train_accuracy\": 0.9, \"nc1\": 2.5, "
         "\"nc2_equinorm_means\": 0.1, \"nc2_equinorm_classifiers\": 0.05, "
         "\"nc2_equiangular_means\": 0.2, \"nc2_equiangular_classifiers\": 0.15, "
         "\"nc2_max_angle_means\": 0.3, \"nc2_max_angle_classifiers\": 0.12, \"nc3\": 0.7, "
         "\"nc4\": " +
         nc4 +
         ", \"nc_train_loss\": 0.4, \"nc_train_accuracy\": " + std::to_string(train_accuracy) +
         ", \"nc_test_loss\": 0.45, \"nc_test_accuracy\": 0.85}\n";
}

TEST(WriteReportCollapse, ShowsChartsTableAndTheEpochOfZeroTrainingError) {
  RunDir run;
  run.write_run(true);
  // epochs 1, 2 and 4 measured; the eval-mode training error is zero from epoch 4
  run.write("metrics.jsonl", collapse_line(1, 0.8) + "{\"epoch\": 3, \"train_loss\": 0.3}\n" +
                                 collapse_line(2, 0.95) + collapse_line(4, 1.0, "0.0"));
  train::write_report(run.str());
  const std::string html = run.read("report.html");
  ASSERT_NE(html.find("<section id=\"collapse\">"), std::string::npos);
  EXPECT_NE(html.find("at 3 log-spaced epochs"), std::string::npos);
  EXPECT_NE(html.find("The training error first reached zero at epoch 4 (dashed line)"),
            std::string::npos);
  EXPECT_NE(html.find("\"zero_error_epoch\":4"), std::string::npos);
  for (const char* id : {"chart-nc1", "chart-nc2-equinorm", "chart-nc2-equiangular",
                         "chart-nc2-max-angle", "chart-nc3", "chart-nc4", "chart-nc-error"}) {
    EXPECT_EQ(count(html, std::string("<canvas id=\"") + id + "\""), 1u) << id;
  }
  // One table row per measured epoch (epoch 3 has no measurement), with NC4 as a percentage;
  // the page's data carries the errors the error chart draws.
  EXPECT_NE(html.find("<tr><td>1</td><td>2.5</td><td>0.1</td>"), std::string::npos);
  EXPECT_EQ(html.find("<tr><td>3</td><td>2.5</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>0.7</td><td>0.00%</td><td>100.00%</td><td>85.00%</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("\"nc_train_error\":0.0"), std::string::npos);
}

TEST(WriteReportCollapse, SaysWhenTheTrainingErrorHasNotReachedZero) {
  RunDir run;
  run.write_run(false);
  run.write("metrics.jsonl", collapse_line(1, 0.8) + collapse_line(2, 0.99));
  train::write_report(run.str());
  const std::string html = run.read("report.html");
  EXPECT_NE(html.find("The training error has not reached zero yet."), std::string::npos);
  EXPECT_NE(html.find("\"zero_error_epoch\":0"), std::string::npos);
}

TEST(WriteReportCollapse, RunningTrainingAccuracyOfOneAlsoMarksZeroError) {
  RunDir run;
  run.write_run(false);
  run.write("metrics.jsonl", collapse_line(1, 0.8) +
                                 "{\"epoch\": 2, \"train_loss\": 0.01, \"train_accuracy\": 1.0}\n" +
                                 collapse_line(3, 1.0));
  train::write_report(run.str());
  EXPECT_NE(run.read("report.html").find("first reached zero at epoch 2"), std::string::npos);
}

TEST(WriteReportCollapse, RunWithoutMeasurementsHasNoCollapseSection) {
  RunDir run;
  run.write_run(true);
  train::write_report(run.str());
  const std::string html = run.read("report.html");
  EXPECT_EQ(html.find("<section id=\"collapse\">"), std::string::npos);
  EXPECT_EQ(html.find("<canvas id=\"chart-nc1\""), std::string::npos);
}

TEST(WriteReportCollapse, RejectsMeasurementsOutOfRangeNamingTheLine) {
  RunDir run;
  run.write_run(false);
  const std::string where = "write_report: '" + run.file("metrics.jsonl") + "' line 2: ";
  run.write("metrics.jsonl", collapse_line(1, 0.8) + collapse_line(2, 0.9, "1.5"));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "expected 'nc4' to be a fraction in [0, 1], got 1.5");
  run.write("metrics.jsonl", collapse_line(1, 0.8) + collapse_line(2, 0.9, "-0.01"));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "expected 'nc4' to be a fraction in [0, 1], got -0.01");
  run.write("metrics.jsonl", collapse_line(1, 0.8) + collapse_line(2, 1.25));
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "expected 'nc_train_accuracy' to be a fraction in [0, 1], got 1.25");
  run.write("metrics.jsonl", collapse_line(1, 0.8) + "{\"epoch\": 2, \"nc1\": \"small\"}\n");
  EXPECT_THROW_WITH(train::write_report(run.str()), IoError,
                    where + "expected 'nc1' to be a number, got \"small\"");
  EXPECT_FALSE(fs::exists(run.file("report.html")));
}

// ---- minority collapse (cnnlab collapse minority) ----------------------------------------------

// The second ratio of minority_json(): no majority cosine (as with fewer than two majority
// classes).
const std::string kRatio10 =
    "{\"ratio\": 10.0, \"run\": \"R10\", \"majority_images_per_class\": 500, "
    "\"minority_images_per_class\": 50, \"minority_cosine\": 0.4321, \"majority_cosine\": null, "
    "\"train_accuracy\": 1.0, \"test_accuracy\": 0.7, \"majority_test_accuracy\": 0.9, "
    "\"minority_test_accuracy\": 0.5}";

// minority.json as cli/commands/collapse.cpp writes it, for ratios 1 and 10 (`second`).
std::string minority_json(const std::string& second = kRatio10) {
  return "{\"model\": \"<b>cnn_bn</b>\", \"data\": \"fashion-mnist\", \"classes\": 10, "
         "\"majority_classes\": 5, \"majority_images_per_class\": 500, \"oversample\": 1, "
         "\"epochs\": 60, \"layer\": \"(last Linear)\", \"ratios\": [{\"ratio\": 1.0, \"run\": "
         "\"R1\", \"majority_images_per_class\": 500, \"minority_images_per_class\": 500, "
         "\"minority_cosine\": -0.1093, \"majority_cosine\": -0.1201, \"train_accuracy\": 1.0, "
         "\"test_accuracy\": 0.9012, \"majority_test_accuracy\": 0.88, "
         "\"minority_test_accuracy\": 0.9224}, " +
         second + "]}\n";
}

// text with its (first) `from` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(WriteMinorityReport, ShowsChartsAndOneRowPerRatioLinkingItsRun) {
  RunDir dir;
  dir.write("minority.json", minority_json());
  train::write_minority_report(dir.str());
  const std::string html = dir.read("report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<h1>Minority collapse: &lt;b&gt;cnn_bn&lt;/b&gt; on fashion-mnist, 5 "
                      "majority classes</h1>"),
            std::string::npos);
  EXPECT_EQ(html.find("<b>cnn_bn"), std::string::npos);
  EXPECT_EQ(count(html, "<canvas id=\"chart-cosines\""), 1u);
  EXPECT_EQ(count(html, "<canvas id=\"chart-minority-accuracy\""), 1u);
  EXPECT_NE(html.find("Chart.js v4"), std::string::npos);
  EXPECT_NE(html.find("document.body.dataset.chartsRendered"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>1</td><td>500</td><td>-0.1093</td><td>-0.1201</td><td>90.12%</td>"
                      "<td>88.00%</td><td>92.24%</td><td>100.00%</td><td><a "
                      "href=\"R1/report.html\">R1</a></td></tr>"),
            std::string::npos);
  // a null cosine (fewer than two majority classes) shows as a dash
  EXPECT_NE(html.find("<tr><td>10</td><td>50</td><td>0.4321</td><td>–</td>"), std::string::npos);
  EXPECT_NE(html.find("\"majority_cosine\":null"), std::string::npos);
}

TEST(WriteMinorityReport, MissingOrMalformedMinorityJsonIsNamed) {
  RunDir dir;
  const std::string file = dir.file("minority.json");
  EXPECT_THROW_WITH(train::write_minority_report(dir.str()), IoError, "cannot open '" + file + "'");
  EXPECT_THROW_WITH(train::write_minority_report(dir.file("nope")), IoError,
                    "cannot open '" + dir.file("nope/minority.json") + "'");
  dir.write("minority.json", "{\"ratios\": [");
  EXPECT_THROW_WITH(train::write_minority_report(dir.str()), IoError,
                    "'" + file + "': expected valid JSON");
  dir.write("minority.json", "[1, 10]");
  EXPECT_THROW_WITH(train::write_minority_report(dir.str()), IoError,
                    "'" + file + "': expected a JSON object, got [1,10]");
  dir.write("minority.json", "{\"model\": \"lenet5\"}");
  EXPECT_THROW_WITH(train::write_minority_report(dir.str()), IoError,
                    "write_minority_report: '" + file + "': expected an array 'ratios'");
  dir.write("minority.json", minority_json("7"));
  EXPECT_THROW_WITH(train::write_minority_report(dir.str()), IoError,
                    "write_minority_report: '" + file + "': expected an object per ratio, got 7");
  dir.write("minority.json",
            minority_json(replaced(kRatio10, "\"minority_images_per_class\": 50, ", "")));
  EXPECT_THROW_WITH(train::write_minority_report(dir.str()), IoError,
                    "write_minority_report: '" + file +
                        "': expected a number 'minority_images_per_class', got none");
  dir.write("minority.json", minority_json(replaced(kRatio10, "\"minority_cosine\": 0.4321",
                                                    "\"minority_cosine\": \"high\"")));
  EXPECT_THROW_WITH(train::write_minority_report(dir.str()), IoError,
                    "expected a number 'minority_cosine', got \"high\"");
  EXPECT_FALSE(fs::exists(dir.file("report.html")));
}

}  // namespace
}  // namespace cnnlab
