// JobControl: how a program that runs a `sieve` command on one of its threads (the Python
// module, python/) follows the command's job, stops it, and receives what the command says.
//
// DESIGN
// Without a control, the commands print as the CLI does: messages to stderr, results (job ids,
// `status --json`) to stdout, progress as client/progress.h draws it. With one, every such
// message goes to the control instead (Tell, Print), and no progress is drawn: the thread that
// follows the job Publish()es the job's status at each poll (client/job_watch.h, every
// 500 ms), for the owner to draw its own.
// Cancel: the owner calls RequestCancel from any thread. The command's thread checks it
//   - between acknowledged chunks while uploading (client/submit.h): the half-uploaded job is
//     cancelled at the broker, the command ends;
//   - at each poll while following the job: it sends CANCEL to the broker and the command ends
//     with Status::Cancelled.
// So a requested cancel takes effect within one poll interval (or one chunk acknowledgement)
// plus one broker round trip (at most kBrokerReplyTimeout when the broker does not answer).
// Validating the inputs (one read of every input) is not interrupted: a cancel requested then
// takes effect at the first chunk uploaded.
//
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "proto/message_parts.h"

namespace sieve {

class JobControl {
 public:
  // Asks the command following a job to cancel it and stop (see DESIGN).
  void RequestCancel() { cancel_requested_.store(true); }
  bool cancel_requested() const { return cancel_requested_.load(); }

  // The job's status, as the command's thread last saw it.
  void Publish(const proto::JobStatus& status);
  std::optional<proto::JobStatus> latest() const;

  // What the command would have written to stderr (messages) and stdout (output), in order.
  void AddMessage(std::string_view text);
  void AddOutput(std::string_view text);
  std::string messages() const;
  std::string output() const;

 private:
  std::atomic<bool> cancel_requested_{false};
  mutable std::mutex mutex_;
  std::optional<proto::JobStatus> latest_;  // GUARDED_BY(mutex_)
  std::string messages_;                    // GUARDED_BY(mutex_)
  std::string output_;                      // GUARDED_BY(mutex_)
};

// printf-style `format` to stderr, or to control->AddMessage when `control` is not null.
void Tell(JobControl* control, const char* format, ...) __attribute__((format(printf, 2, 3)));
// printf-style `format` to stdout (flushed), or to control->AddOutput when `control` is not null.
void Print(JobControl* control, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace sieve
