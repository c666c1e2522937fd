// body_template_bench: the worker's CPU per row with a --body-template (chat request, answer
// read through a JSON pointer, usage counted, label normalised) against without (the row as an
// object, {"label": ...} read by key), in one run over the same rows (docs/benchmarks.md,
// "Body templates").
//
//   BM_BodyRowObject        render: the row as {"website":...,"content":...} (no template)
//   BM_BodyChatTemplate     render: examples/chat-template.json with the row's content
//   BM_AnswerClassify       read:   {"label":"news","score":0.99} by key
//   BM_AnswerChat           read:   a chat.completion: /choices/0/message/content, usage,
//                                   "The category is: News." normalised to news
// Rows are those of examples/websites.csv (content 1-3 KB, UTF-8); bytes/s is body bytes.
//
//   build/release/bench/body_template_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true        (one command line)
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "common/body_template.h"
#include "common/csv_record.h"
#include "worker/json_body.h"
#include "worker/label_reader.h"
#include "worker/label_set.h"

namespace sieve {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Rows {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

const Rows& WebsiteRows() {
  static const Rows rows = [] {
    Rows r;
    const std::string csv = ReadText(SIEVE_SOURCE_DIR "/examples/websites.csv");
    RecordIterator records(csv);
    std::string_view record;
    RecordFields fields;
    bool first = true;
    for (;;) {
      Result<bool> more = records.Next(&record);
      if (!more.ok() || !*more) break;
      if (!ParseRecord(record, &fields).ok()) continue;
      std::vector<std::string> row(fields.begin(), fields.end());
      if (first) {
        r.header = std::move(row);
        first = false;
      } else {
        r.rows.push_back(std::move(row));
      }
    }
    return r;
  }();
  return rows;
}

void BM_BodyRowObject(benchmark::State& state) {
  const Rows& rows = WebsiteRows();
  const RowEncoder encoder = *RowEncoder::Create(rows.header, {});
  std::string body;
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    body.clear();
    benchmark::DoNotOptimize(encoder.AppendObject(rows.rows[i++ % rows.rows.size()], &body));
    bytes += static_cast<int64_t>(body.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_BodyRowObject);

void BM_BodyChatTemplate(benchmark::State& state) {
  const Rows& rows = WebsiteRows();
  const BodyTemplate t = *BodyTemplate::Compile(
      ReadText(SIEVE_SOURCE_DIR "/examples/chat-template.json"), rows.header);
  std::string body;
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    body.clear();
    benchmark::DoNotOptimize(t.Append(rows.rows[i++ % rows.rows.size()], &body));
    bytes += static_cast<int64_t>(body.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_BodyChatTemplate);

void BM_AnswerClassify(benchmark::State& state) {
  const LabelReader reader = *LabelReader::Create("label");
  const std::string answer = R"({"label":"news","score":0.9934})";
  for (auto _ : state) benchmark::DoNotOptimize(reader.ReadOne(answer));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnswerClassify);

void BM_AnswerChat(benchmark::State& state) {
  const LabelReader reader = *LabelReader::Create("/choices/0/message/content");
  const LabelSet labels({"education", "entertainment", "finance", "government", "health", "news",
                         "shopping", "sports", "technology", "travel"});
  const std::string answer =
      R"({"id":"chatcmpl-sieve-1","object":"chat.completion","created":1764748800,)"
      R"("model":"sieve-classifier","choices":[{"index":0,"message":{"role":"assistant",)"
      R"("content":"The category is: News."},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":412,"completion_tokens":2,"total_tokens":414}})";
  for (auto _ : state) {
    TokenUsage usage;
    Result<std::string> text = reader.ReadOne(answer, &usage);
    benchmark::DoNotOptimize(labels.Normalise(*text));
    benchmark::DoNotOptimize(usage);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnswerChat);

}  // namespace
}  // namespace sieve

BENCHMARK_MAIN();
