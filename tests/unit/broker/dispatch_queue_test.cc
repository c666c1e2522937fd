#include "broker/dispatch_queue.h"

#include <gtest/gtest.h>

namespace sieve {
namespace {

TEST(DispatchQueueTest, FifoWithinAJob) {
  DispatchQueue q;
  for (uint64_t i = 0; i < 3; ++i) q.PushBack("a", i);
  EXPECT_EQ(q.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ(q.Pop()->chunk_index, i);
  EXPECT_FALSE(q.Pop().has_value());
}

TEST(DispatchQueueTest, RoundRobinAcrossJobs) {
  DispatchQueue q;
  for (uint64_t i = 0; i < 4; ++i) q.PushBack("a", i);
  for (uint64_t i = 0; i < 2; ++i) q.PushBack("b", i);
  std::string order;
  while (auto k = q.Pop()) order += k->job_id;
  EXPECT_EQ(order, "ababaa");
}

TEST(DispatchQueueTest, HandedBackChunkGoesFirst) {
  DispatchQueue q;
  q.PushBack("a", 5);
  q.PushBack("a", 6);
  q.PushFront("a", 2);
  EXPECT_EQ(q.Pop()->chunk_index, 2u);
}

TEST(DispatchQueueTest, RemoveJob) {
  DispatchQueue q;
  q.PushBack("a", 0);
  q.PushBack("b", 0);
  q.PushBack("b", 1);
  EXPECT_EQ(q.SizeOf("b"), 2u);
  q.RemoveJob("b");
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.SizeOf("b"), 0u);
  EXPECT_EQ(q.Pop()->job_id, "a");
}

}  // namespace
}  // namespace sieve
