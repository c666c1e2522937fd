#include "common/csv_limits.h"

#include <string>

namespace sieve {

Status CsvLimits::Validate() const {
  if (block_bytes < kMinBlockBytes) {
    return Status::InvalidArgument("CSV block size must be at least " +
                                   std::to_string(kMinBlockBytes) + " bytes");
  }
  if (max_field_bytes == 0) return Status::InvalidArgument("CSV field size limit must be > 0");
  if (max_record_bytes == 0) return Status::InvalidArgument("CSV record size limit must be > 0");
  if (max_columns == 0) return Status::InvalidArgument("CSV column limit must be > 0");
  return Status::Ok();
}

}  // namespace sieve
