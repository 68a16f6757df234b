// Write errors must never crash or block the caller: the writer stops,
// counts what it dropped and reports the error.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>

#include "capture/trace_test_util.h"
#include "capture/trace_writer.h"

// An impossible buffer size must make malloc return null, as it does
// without ASan, instead of ASan aborting the test.
extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1";
}

namespace reel {
namespace {

using testing::Decode;
using testing::ReadAll;
using testing::ScratchDir;
using testing::TestHeader;

TEST(TraceWriterErrors, OpenFailureIsAnErrno) {
  TraceWriter w;
  EXPECT_EQ(w.Open("/nonexistent-dir/events.reel", TestHeader()), ENOENT);
  EXPECT_FALSE(w.is_open());
  // Appending to a writer that never opened counts drops, nothing else.
  w.Read(1, 5, 10, 0, SysResult::Ok(10));
  EXPECT_EQ(w.stats().records, 1u);
  EXPECT_EQ(w.stats().records_dropped, 1u);
}

TEST(TraceWriterErrors, HeaderWriteFailureOnAFullDevice) {
  TraceWriter w;
  // /dev/full accepts open() and fails every write with ENOSPC.
  EXPECT_EQ(w.Open("/dev/full", TestHeader()), ENOSPC);
  EXPECT_FALSE(w.is_open());
}

TEST(TraceWriterErrors, EnospcStopsTheWriterAndCountsDrops) {
  int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  // The header goes through a first, healthy fd; then swap in /dev/full via
  // dup2 so the buffered records hit ENOSPC.
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriter w;
  TraceWriterOptions opt;
  opt.buffer_bytes = 4096;
  ASSERT_EQ(w.Open(path.c_str(), TestHeader(), opt), 0);
  w.Read(5'000'000'001, 5, 10, 0, SysResult::Ok(10));
  w.Flush();
  ASSERT_EQ(w.stats().records_dropped, 0u);
  // The writer's fd is the lowest free one at Open; find it through /proc.
  int writer_fd = -1;
  for (int cand = 3; cand < 1024; cand++) {
    char link[64], target[512];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", cand);
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == path) writer_fd = cand;
  }
  ASSERT_GE(writer_fd, 0);
  ASSERT_EQ(::dup2(fd, writer_fd), writer_fd);
  ::close(fd);

  for (int i = 0; i < 10; i++) w.Read(5'000'000'002 + i, 5, 10, 10, SysResult::Ok(10));
  EXPECT_FALSE(w.failed());
  w.Flush();
  EXPECT_TRUE(w.failed());
  EXPECT_EQ(w.stats().write_errno, ENOSPC);
  EXPECT_EQ(w.stats().records_dropped, 10u);
  // Later records are dropped without another write attempt.
  uint64_t flushes = w.stats().flushes;
  for (int i = 0; i < 5000; i++) w.Read(5'000'001'000 + i, 5, 10, 10, SysResult::Ok(10));
  w.Flush();
  EXPECT_EQ(w.stats().flushes, flushes);
  EXPECT_EQ(w.stats().records, 5011u);
  EXPECT_EQ(w.stats().records_dropped, 5010u);
  EXPECT_EQ(w.Close(), ENOSPC);
  // What reached the real file before the swap is intact.
  auto d = Decode(ReadAll(path));
  EXPECT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.damage, "");
}

TEST(TraceWriterErrors, EfbigFromTheFileSizeLimitDoesNotKillTheProcess) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Without the writer blocking SIGXFSZ around its writes this child would
    // die of it.
    signal(SIGXFSZ, SIG_DFL);
    struct rlimit lim = {1000, 1000};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(10);
    TraceWriter w;
    TraceWriterOptions opt;
    opt.buffer_bytes = 4096;
    if (w.Open(path.c_str(), TestHeader(), opt) != 0) _exit(11);
    for (int i = 0; i < 2000; i++) w.Read(5'000'000'001 + i, 5, 10, 10u * i, SysResult::Ok(10));
    int err = w.Close();
    if (err != EFBIG) _exit(12);
    if (w.stats().records_dropped == 0 || w.stats().records_dropped > 2000) _exit(13);
    struct sigaction sa {};
    sigaction(SIGXFSZ, nullptr, &sa);
    if (sa.sa_handler != SIG_DFL) _exit(14);  // blocked while writing, never ignored
    if (w.stats().records_written + w.stats().records_dropped != 2000) _exit(15);
    // For the parent: how many records the writer says reached the file.
    FILE* f = std::fopen(dir.File("written").c_str(), "w");
    if (f == nullptr) _exit(16);
    std::fprintf(f, "%llu", static_cast<unsigned long long>(w.stats().records_written));
    std::fclose(f);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The file stopped at the limit with a torn record, which the reader
  // reports while keeping everything before it.
  std::string data = ReadAll(path);
  EXPECT_EQ(data.size(), 1000u);
  auto d = Decode(data);
  EXPECT_GT(d.records.size(), 50u);
  EXPECT_NE(d.damage.find("torn record"), std::string::npos) << d.damage;
  // The whole records in front of the cut count as written, exactly.
  EXPECT_EQ(ReadAll(dir.File("written")), std::to_string(d.records.size()));
  for (size_t i = 0; i < d.records.size(); i++) EXPECT_EQ(d.records[i].seq, i + 1);
}

// Counts on_stop calls and keeps the last errno.
struct StopLog {
  int calls = 0;
  int err = 0;
  static void Hook(void* self, int err) {
    auto* log = static_cast<StopLog*>(self);
    log->calls++;
    log->err = err;
  }
};

TEST(TraceWriterErrors, OnStopIsCalledOnceWithTheError) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  StopLog stops;
  TraceWriterOptions opt;
  opt.on_stop = &StopLog::Hook;
  opt.on_stop_context = &stops;
  TraceWriter w;
  ASSERT_EQ(w.Open(path.c_str(), TestHeader(), opt), 0);
  w.Read(5'000'000'001, 5, 10, 0, SysResult::Ok(10));
  w.Flush();
  int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  int writer_fd = -1;
  for (int cand = 3; cand < 1024 && writer_fd < 0; cand++) {
    char link[64], target[512];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", cand);
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == path) writer_fd = cand;
  }
  ASSERT_GE(writer_fd, 0);
  ASSERT_EQ(::dup2(full, writer_fd), writer_fd);
  ::close(full);
  for (int round = 0; round < 3; round++) {
    w.Read(5'000'000'002 + round, 5, 10, 10, SysResult::Ok(10));
    w.Flush();
  }
  EXPECT_EQ(stops.calls, 1);
  EXPECT_EQ(stops.err, ENOSPC);
  EXPECT_EQ(w.stats().records_written, 1u);
  EXPECT_EQ(w.stats().stopped_at_ns, 5'000'000'002);
  EXPECT_EQ(w.Close(), ENOSPC);
  EXPECT_EQ(stops.calls, 1);
  // Every record is either written or counted as dropped.
  EXPECT_EQ(w.stats().records, w.stats().records_written + w.stats().records_dropped);
}

TEST(TraceWriterErrors, RemovedLogStopsTheWriterInsteadOfFillingAnUnlinkedFile) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  StopLog stops;
  TraceWriterOptions opt;
  opt.on_stop = &StopLog::Hook;
  opt.on_stop_context = &stops;
  TraceWriter w;
  ASSERT_EQ(w.Open(path.c_str(), TestHeader(), opt), 0);
  for (int i = 0; i < 10; i++) w.Read(5'000'000'001 + i, 5, 10, 10u * i, SysResult::Ok(10));
  w.Flush();
  uint64_t bytes_before = w.stats().bytes_written;
  ASSERT_EQ(::unlink(path.c_str()), 0);
  for (int i = 0; i < 10; i++) w.Read(5'000'001'001 + i, 5, 10, 100 + 10u * i, SysResult::Ok(10));
  w.Flush();
  EXPECT_TRUE(w.failed());
  EXPECT_TRUE(w.stats().log_removed);
  EXPECT_EQ(w.stats().write_errno, ENOENT);
  EXPECT_EQ(stops.calls, 1);
  EXPECT_EQ(stops.err, ENOENT);
  EXPECT_EQ(w.stats().bytes_written, bytes_before);  // nothing went into the unlinked file
  EXPECT_EQ(w.stats().records_written, 10u);
  EXPECT_EQ(w.stats().records_dropped, 10u);
  EXPECT_EQ(w.Close(), ENOENT);
}

TEST(TraceWriterErrors, BufferAllocationFailureLeavesAValidEmptyLogAndCountsDrops) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriterOptions opt;
  opt.buffer_bytes = SIZE_MAX / 4;  // no allocator can provide this
  TraceWriter w;
  EXPECT_EQ(w.Open(path.c_str(), TestHeader(), opt), ENOMEM);
  EXPECT_FALSE(w.is_open());
  EXPECT_TRUE(w.failed());
  for (int i = 0; i < 7; i++) w.Read(5'000'000'001 + i, 5, 10, 0, SysResult::Ok(10));
  EXPECT_EQ(w.stats().records, 7u);
  EXPECT_EQ(w.stats().records_dropped, 7u);
  EXPECT_EQ(w.stats().records_written, 0u);
  EXPECT_EQ(w.stats().write_errno, ENOMEM);
  EXPECT_EQ(w.Close(), ENOMEM);
  auto d = Decode(ReadAll(path));
  EXPECT_EQ(d.error, "");
  EXPECT_EQ(d.records.size(), 0u);
  EXPECT_EQ(d.damage, "");
}

TEST(TraceWriterErrors, FifoWithoutReaderGivesEpipeNotSigpipeAndKeepsDispositions) {
  ScratchDir dir;
  std::string fifo = dir.File("events.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGPIPE, SIG_DFL);  // the default action would kill this child
    int rfd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    int wfd = ::open(fifo.c_str(), O_WRONLY);
    if (rfd < 0 || wfd < 0) _exit(10);
    TraceWriter w;
    if (w.OpenFd(wfd, TestHeader()) != 0) _exit(11);
    ::close(rfd);  // the reader goes away
    w.Read(5'000'000'001, 5, 10, 0, SysResult::Ok(10));
    w.Flush();
    if (w.stats().write_errno != EPIPE) _exit(12);
    struct sigaction sa {};
    sigaction(SIGPIPE, nullptr, &sa);
    if (sa.sa_handler != SIG_DFL) _exit(13);  // the writer changed nothing
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE)) _exit(14);  // its own SIGPIPE was consumed
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(TraceWriterErrors, AppendsAfterCloseAreCountedAsDropped) {
  ScratchDir dir;
  std::string path = dir.File("events.reel");
  TraceWriter w;
  ASSERT_EQ(w.Open(path.c_str(), TestHeader()), 0);
  w.Read(5'000'000'001, 5, 10, 0, SysResult::Ok(10));
  ASSERT_EQ(w.Close(), 0);
  w.Close(5'000'000'002, 5, SysResult::Ok(0));
  EXPECT_EQ(w.stats().records, 2u);
  EXPECT_EQ(w.stats().records_dropped, 1u);
  EXPECT_EQ(w.stats().write_errno, 0);
  EXPECT_EQ(Decode(ReadAll(path)).records.size(), 1u);
  // A closed writer cannot be reopened onto another file by mistake.
  EXPECT_EQ(w.Open(dir.File("other").c_str(), TestHeader()), EBUSY);
}

}  // namespace
}  // namespace reel
