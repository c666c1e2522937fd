// Test fixtures: one fully populated message per command (no field left at its default).
#pragma once

#include <vector>

#include "proto/codec.h"

namespace sieve::proto {

JobSpec SampleJobSpec();

// One message per Command, in Command order.
std::vector<Message> SampleMessages();

}  // namespace sieve::proto
