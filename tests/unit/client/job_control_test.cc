// JobControl: what a program running a command on one of its threads (the Python module) reads
// and asks through it. The end-to-end behaviour (a job cancelled at its broker on SIGINT) is
// tests/python/test_interrupt.py; these pin the contract between the two threads.
#include "client/job_control.h"

#include <gtest/gtest.h>

#include <thread>

#include "client/broker_request.h"
#include "client/exit_codes.h"

namespace sieve {
namespace {

TEST(JobControlTest, CollectsMessagesAndOutputInsteadOfPrinting) {
  JobControl control;
  Tell(&control, "sieve: job %s submitted: %d rows\n", "j1", 3);
  Tell(&control, "sieve: %s\n", "second");
  Print(&control, "%s\n", "j1");
  EXPECT_EQ(control.messages(), "sieve: job j1 submitted: 3 rows\nsieve: second\n");
  EXPECT_EQ(control.output(), "j1\n");
}

TEST(JobControlTest, FailCommandTellsTheControlAndMapsTheExitCode) {
  JobControl control;
  EXPECT_EQ(FailCommand(Status::Unavailable("broker tcp://x: no answer"), &control),
            kExitUnreachable);
  EXPECT_EQ(control.messages(), "sieve: broker tcp://x: no answer\n");
}

TEST(JobControlTest, PublishesTheLatestStatusAndACancelAcrossThreads) {
  JobControl control;
  EXPECT_FALSE(control.latest().has_value());
  EXPECT_FALSE(control.cancel_requested());
  std::thread command([&control] {
    proto::JobStatus status;
    status.job_id = "j1";
    status.done_rows = 7;
    control.Publish(status);
    while (!control.cancel_requested()) std::this_thread::yield();
    control.AddMessage("sieve: job j1 cancelled (interrupted)\n");
  });
  while (!control.latest().has_value()) std::this_thread::yield();
  EXPECT_EQ(control.latest()->done_rows, 7u);
  control.RequestCancel();
  command.join();
  EXPECT_EQ(control.messages(), "sieve: job j1 cancelled (interrupted)\n");
}

}  // namespace
}  // namespace sieve
