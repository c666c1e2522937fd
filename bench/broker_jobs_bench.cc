// broker_jobs_bench: drives a running sieve-broker through N complete small jobs, playing the
// client, the collector and one worker over the real protocol on one DEALER socket each (a
// broker without CURVE gives every peer every role), so the broker does everything it does for
// real jobs (SQLite, spool, leases, commits, completion) without worker or collector cost.
// Used by bench/broker_memory_bench.sh to measure the broker's RSS after many ended jobs.
//
//   broker_jobs_bench ENDPOINT JOBS [WINDOW]
//
// Per job: SUBMIT, one CHUNK of one row, SEAL; the worker takes the ASSIGN; the collector
// answers COMMITTED and JOB_DONE. At most WINDOW (default 8, below the broker's 16 jobs per
// client) jobs are in flight. Prints jobs/s at the end; exits 1 on a refused message or a
// stall of 30 s.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>
#include <variant>

#include <zmq.hpp>

#include "net/zmq_io.h"
#include "proto/codec.h"

namespace {

using Clock = std::chrono::steady_clock;

std::optional<sieve::proto::Message> Receive(zmq::socket_t& socket) {
  auto frames = sieve::ReceiveFrames(socket);
  if (!frames.ok() || !frames->has_value()) return std::nullopt;
  auto message = sieve::proto::Decode(std::move(**frames));
  if (!message.ok()) {
    std::fprintf(stderr, "undecodable message: %s\n", message.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*message);
}

void Send(zmq::socket_t& socket, sieve::proto::Message message) {
  sieve::Status s = sieve::SendMessage(socket, "", std::move(message));
  if (!s.ok()) {
    std::fprintf(stderr, "send failed: %s\n", s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace proto = sieve::proto;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ENDPOINT JOBS [WINDOW]\n", argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1];
  const long jobs = std::atol(argv[2]);
  const long window = argc > 3 ? std::atol(argv[3]) : 8;
  zmq::context_t context;
  zmq::socket_t client(context, zmq::socket_type::dealer);
  zmq::socket_t collector(context, zmq::socket_type::dealer);
  zmq::socket_t worker(context, zmq::socket_type::dealer);
  for (zmq::socket_t* s : {&client, &collector, &worker}) {
    sieve::ConfigureSocket(*s);
    s->connect(endpoint);
  }
  Send(collector, proto::CollectorReady{"tcp://127.0.0.1:9", "bench-collector", ""});
  Send(worker, proto::Ready{"bench-worker", 64, 64, ""});

  long submitted = 0, done = 0;
  uint64_t request_id = 0;
  std::map<std::string, long> rows_of;  // jobs in flight
  const auto start = Clock::now();
  auto last_progress = start, last_heartbeat = start;
  while (done < jobs) {
    if (submitted - done < window && submitted < jobs) {
      proto::Submit submit;
      submit.request_id = ++request_id;
      submit.spec.name = "bench" + std::to_string(submitted);
      submit.spec.endpoint = "http://127.0.0.1:9/classify";
      submit.header_record = "website,content\n";
      Send(client, std::move(submit));
      ++submitted;
    }
    zmq::pollitem_t items[] = {{client.handle(), 0, ZMQ_POLLIN, 0},
                               {collector.handle(), 0, ZMQ_POLLIN, 0},
                               {worker.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 3, std::chrono::milliseconds(submitted - done < window ? 0 : 50));
    while (auto m = Receive(client)) {
      if (auto* s = std::get_if<proto::Submitted>(&*m)) {
        if (s->request_id == 1) std::printf("first job %s\n", s->job_id.c_str());
        Send(client, proto::Chunk{s->job_id, 0, 0, 1, "site.example,some words\n"});
        Send(client, proto::Seal{s->job_id, 1, 1});
      } else if (auto* e = std::get_if<proto::ErrorReply>(&*m)) {
        std::fprintf(stderr, "refused: %s\n", e->message.c_str());
        return 1;
      }
    }
    while (auto m = Receive(worker)) {
      if (auto* a = std::get_if<proto::Assign>(&*m)) {
        // The worker labels it at once and gives its credit back; the collector commits.
        Send(collector, proto::Committed{a->job_id, a->chunk_index, a->attempt, 1, 0});
        Send(collector, proto::JobDone{a->job_id, "/dev/null", 1, 0, ""});
        Send(worker, proto::Ready{"bench-worker", 1, 64, ""});
        ++done;
        last_progress = Clock::now();
      }
    }
    while (Receive(collector)) {
    }
    auto now = Clock::now();
    if (now - last_heartbeat > std::chrono::milliseconds(500)) {
      Send(worker, proto::Heartbeat{});
      Send(collector, proto::Heartbeat{});
      last_heartbeat = now;
    }
    if (now - last_progress > std::chrono::seconds(30)) {
      std::fprintf(stderr, "stalled at %ld of %ld jobs\n", done, jobs);
      return 1;
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%ld jobs in %.1f s (%.0f jobs/s)\n", jobs, seconds, jobs / seconds);
  return 0;
}
