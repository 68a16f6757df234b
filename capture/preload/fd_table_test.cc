#include "capture/preload/fd_table.h"

#include <gtest/gtest.h>

#include <memory>

namespace reel::preload {
namespace {

TEST(PreloadFdTable, UnknownFdsAreUntracked) {
  auto t = std::make_unique<FdTable>();
  EXPECT_EQ(t->Kind(0), FdKind::kUntracked);
  EXPECT_EQ(t->Kind(5000), FdKind::kUntracked);
  EXPECT_EQ(t->Kind(-1), FdKind::kUntracked);
  EXPECT_EQ(t->Kind(1 << 22), FdKind::kUntracked);
  EXPECT_EQ(t->Get(-1), nullptr);
  EXPECT_EQ(t->Get(1 << 22), nullptr);
  t->ReleaseAll();
}

TEST(PreloadFdTable, CreatedCloseAndReuseRestartOffsets) {
  auto t = std::make_unique<FdTable>();
  t->Created(7, FdKind::kSocket);
  t->Created(4096 * 3 + 1, FdKind::kEpoll);  // another chunk
  EXPECT_EQ(t->Kind(7), FdKind::kSocket);
  EXPECT_EQ(t->Kind(4096 * 3 + 1), FdKind::kEpoll);
  EXPECT_EQ(t->Kind(8), FdKind::kUntracked);
  t->Get(7)->read_offset += 100;
  t->Get(7)->write_offset += 30;
  t->Closed(7);
  EXPECT_EQ(t->Kind(7), FdKind::kUntracked);
  t->Created(7, FdKind::kSocket);  // the number is reused by a new socket
  EXPECT_EQ(t->Get(7)->read_offset, 0u);
  EXPECT_EQ(t->Get(7)->write_offset, 0u);
  t->Closed(123456);  // never created: harmless
  EXPECT_EQ(t->Kind(123456), FdKind::kUntracked);
  t->ReleaseAll();
  EXPECT_EQ(t->Kind(7), FdKind::kUntracked);
}

}  // namespace
}  // namespace reel::preload
