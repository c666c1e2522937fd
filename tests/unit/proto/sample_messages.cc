#include "tests/unit/proto/sample_messages.h"

#include "proto/job_id.h"

// The samples name the first fields positionally and assign the fields added since (budgets,
// ...) one by one, so structs that grow do not break this file.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sieve::proto {
namespace {

const std::string kJob = FormatJobId(0x1234abcd);
const std::string kHeader = "website,content\r\n";
const std::string kPublicKey = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const std::string kChunkBytes =
    "https://a.example,\"multi\nline, quoted\"\r\nhttps://b.example,\"\xff\x00 bytes\"\r\n";

JobStatus SampleJobStatus(std::uint64_t n) {
  JobStatus status{FormatJobId(n),
                   "job " + std::to_string(n),
                   JobState::kSealed,
                   1000 + n,
                   500,
                   3,
                   10,
                   4,
                   2,
                   3,
                   1,
                   1700000000000,
                   1700000001000,
                   "/out/x.csv",
                   "tcp://collector:7401",
                   kPublicKey,
                   "secret",
                   "waiting for its credential headers",
                   41000 + n,
                   900,
                   "0.15,0.6"};
  status.max_cost = "1.5";
  status.max_tokens = 90000;
  status.endpoints = {{"http://a:8000/classify", 900, 12, 3, 1, 2}, {"http://b:8000/classify", 0, 0, 0, 0, 0}};
  status.cached_rows = 250 + n;
  return status;
}

std::vector<Message> WorkerAndCollectorMessages() {
  ChunkResult result{kJob,
                     7,
                     2,
                     700,
                     2,
                     1,
                     5,
                     HttpStats{9, 7, 1, 1, 2, 1234, 400},
                     {{700, "HTTP 500 after 3 retries"}, {701, "no 'label' in response"}},
                     ChunkUsage{4120, 14, 3, 1},
                     kChunkBytes,
                     1};
  return {
      Ready{"host-a:123", 4, 16, "0.1.0"},
      Assign{kJob, 7, 2, 700, 2, 30000, "tcp://collector:7401", kPublicKey, SampleJobSpec(), kHeader,
             kChunkBytes, true},
      [] {
        Heartbeat heartbeat{{{kJob, 7, 2}, {FormatJobId(9), 0, 1}}};
        heartbeat.in_flight = 48;
        heartbeat.endpoints = {{kJob, {{"http://a:8000/classify", 40, 2, 1, 0, 1}}}};
        return heartbeat;
      }(),
      Release{kJob, 7, 2, "refused", "", "HTTP 401: invalid API key"},
      DropJob{kJob},
      Disconnect{"shutting down"},
      result,
      ResultAck{kJob, 7, 2, true, "stored"},
      CollectorReady{"tcp://collector:7401", "collector-1", kPublicKey},
      JobOpen{kJob, "category", "/out/x.csv", 12, 1200, kHeader, "nightly crawl", "3,15", kJob},
      JobSealed{kJob, 12, 1200},
      JobCancel{kJob},
      [] {
        Committed committed{kJob, 7, 2, 100, 2, 4120, 14};
        committed.cached_rows = 1;
        committed.failed_rows = {{700, "HTTP 500"}, {705, "timeout after 3 tries"}};
        return committed;
      }(),
      JobDone{kJob, "/out/x.csv", 1200, 3, "/out/x.csv.summary.json"},
  };
}

std::vector<Message> ClientMessages() {
  return {
      Submit{1, SampleJobSpec(), {"a.csv", "b.csv"}, "/out/x.csv", kHeader},
      Submitted{1, kJob, 8},
      Chunk{kJob, 3, 300, 2, kChunkBytes},
      ChunkAck{kJob, 3, 7},
      Seal{kJob, 12, 1200},
      Sealed{kJob},
      StatusQuery{2, kJob},
      StatusReply{2, {SampleJobStatus(1), SampleJobStatus(2)}, "tcp://collector:7401", kPublicKey},
      WorkersQuery{3},
      WorkersReply{3, {{"w1", "10.0.0.1:5000", 2, 3, 250, 1000, 64}, {"w2", "", 0, 1, 5, 2}}},
      Cancel{4, kJob},
      CancelReply{4, kJob, JobState::kCancelled},
      Fetch{5, kJob, 1024, 65536},
      FetchReply{5, kJob, 1024, true, 2048, std::string(1024, 'r')},
      [] {
        Resume resume;
        resume.request_id = 7;
        resume.job_id = kJob;
        resume.headers = {"Authorization: Bearer sk-test"};
        resume.max_cost = "10";
        resume.max_tokens = 0;
        return resume;
      }(),
      ResumeReply{7, kJob, true, JobState::kSealed, "resumed"},
      PermitAsk{kJob, 16, 120, 4000, 3800},
      PermitGrant{kJob, 12, 1440, 2000, 0, 0},
      RateLimited{kJob, 429, 3000, 0, 1500},
      PermitsVoid{kJob, 3000},
      LimitsQuery{8},
      LimitsReply{8, {LimitInfo{"openai", "600/min", "90000/min", 590, 0, 1, 2, 12000, {kJob}}}},
      CacheLookup{11, kJob, 7, 2, "client:" + kPublicKey,
                  {std::string(64, 'a'), std::string(64, 'b')}},
      CacheAnswer{11, kJob, 7, 2, "hcwa", {"news"}},
      CacheFill{kJob, 7, "local", {std::string(64, 'c')}, {"sports"}, {std::string(64, 'd')}},
      CacheAdmin{8, "clear", 604800000},
      CacheAdminReply{8, 10, 1060, 1 << 30, 50, 10, 2, 1, 3},
      CanaryReport{kJob, 0, 1, false, "HTTP 422: {\"detail\":[{\"msg\":\"Field required\"}]}"},
      ErrorReply{6, ErrorCode::kUnknownJob, "no job j00000000000000ff"},
  };
}

}  // namespace

JobSpec SampleJobSpec() {
  // Field by field: other changes add fields to JobSpec.
  JobSpec spec;
  spec.name = "scrape-2024";
  spec.endpoint = "http://model:8000/classify";
  spec.fields = {"website", "content"};
  spec.label_field = "category";
  spec.label_column = "predicted";
  spec.error_label = "ERR";
  spec.timeout_ms = 12000;
  spec.connect_timeout_ms = 1500;
  spec.retries = 5;
  spec.headers = {"Authorization: Bearer not-a-real-token", "X-Team: data"};
  spec.batch_size = 8;
  spec.concurrency = 32;
  spec.max_attempts = 4;
  spec.secret_headers = {"X-Team-Token"};
  spec.withheld_headers = {"Authorization"};
  spec.body_template = R"({"messages":[{"role":"user","content":"{{content}}"}],"temperature":0})";
  spec.labels = {"news", "sports"};
  spec.invalid_retries = 2;
  spec.price = "0.15,0.6";
  spec.rate = "600/min";
  spec.token_rate = "90000/min";
  spec.limit_key = "openai";
  spec.max_cost = "2.5";
  spec.max_tokens = 1000000;
  spec.endpoints = {"http://model:8000/classify", "http://model-2:8000/classify"};
  spec.retry_of = kJob;
  spec.no_cache = true;
  spec.cache_namespace = "local";
  spec.canary = true;
  spec.run_inputs = "sieve-run-v1 endpoint=given chunk_rows=1000 chunk_bytes=4194304 inputs=12:ab";
  return spec;
}

std::vector<Message> SampleMessages() {
  std::vector<Message> all = WorkerAndCollectorMessages();
  for (Message& m : ClientMessages()) all.push_back(std::move(m));
  return all;
}

}  // namespace sieve::proto
