// CRC32C (Castagnoli polynomial, the one iSCSI, ext4 and leveldb use), which
// frames every event-log record. Uses the SSE4.2 crc32 instruction when the
// CPU has it and a table otherwise; both give identical results.
//
// No allocation, no exceptions: the LD_PRELOAD shim links this too.
#pragma once

#include <cstddef>
#include <cstdint>

namespace reel {

// CRC32C of data[0, len) continuing from a previous crc (0 to start).
// Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(const void* data, size_t len, uint32_t crc = 0);

// The table implementation alone, so tests can check both paths agree.
uint32_t Crc32cPortable(const void* data, size_t len, uint32_t crc = 0);

}  // namespace reel
