// Test harness for command unit tests: a keyspace, the real command table
// and a clock-and-randomness-only Kernel, so a test can run a command and
// compare its raw RESP reply.
//
//   CommandHarness h;
//   EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n");
//   h.AdvanceMs(1500);  // moves the clock (expiry tests)
#pragma once

#include <cerrno>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/kernel.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/reply.h"

namespace reel::testing {

// Only the clocks and the random source work; any socket call fails with
// ENOSYS, so a family command that touched the network would be caught.
class ClockOnlyKernel : public Kernel {
 public:
  SysResult EpollCreate(int) override { return SysResult::Error(ENOSYS); }
  SysResult EpollCtl(int, int, int, uint32_t, uint64_t) override { return SysResult::Error(ENOSYS); }
  SysResult EpollWait(int, EpollEvent*, int, int) override { return SysResult::Error(ENOSYS); }
  SysResult Socket(int, int, int) override { return SysResult::Error(ENOSYS); }
  SysResult SetSockOpt(int, int, int, int) override { return SysResult::Error(ENOSYS); }
  SysResult Bind(int, const SockAddr&) override { return SysResult::Error(ENOSYS); }
  SysResult Listen(int, int) override { return SysResult::Error(ENOSYS); }
  SysResult Accept4(int, SockAddr*, int) override { return SysResult::Error(ENOSYS); }
  SysResult GetSockName(int, SockAddr*) override { return SysResult::Error(ENOSYS); }
  SysResult Read(int, void*, size_t) override { return SysResult::Error(ENOSYS); }
  SysResult Write(int, const void*, size_t) override { return SysResult::Error(ENOSYS); }
  SysResult Writev(int, const IoVec*, int) override { return SysResult::Error(ENOSYS); }
  SysResult Close(int) override { return SysResult::Error(ENOSYS); }
  SysResult Shutdown(int, int) override { return SysResult::Error(ENOSYS); }
  int64_t MonotonicNs() override { return mono_ns; }
  int64_t RealtimeNs() override { return real_ns; }
  void RandomBytes(void* buf, size_t len) override {
    auto* p = static_cast<uint8_t*>(buf);
    for (size_t i = 0; i < len; i++) {
      // xorshift64*: deterministic, seeded per test.
      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      p[i] = static_cast<uint8_t>((state * 0x2545F4914F6CDD1Dull) >> 56);
    }
  }
  void SleepNs(int64_t ns) override {
    mono_ns += ns;
    real_ns += ns;
  }
  int64_t ProcessId() override { return 4242; }
  bool StopRequested() override { return false; }

  int64_t mono_ns = 1'000'000'000;
  int64_t real_ns = 1'700'000'000'000'000'000;  // 2023-11-14
  uint64_t state = 0x9E3779B97F4A7C15ull;
};

class CommandHarness {
 public:
  CommandHarness() : db_(0x1234) {}

  // Runs one command (argv[0] is the name, any case) and returns its raw reply.
  std::string Run(std::initializer_list<std::string_view> args) {
    return Run(std::vector<std::string_view>(args));
  }
  std::string Run(const std::vector<std::string_view>& args) {
    std::string out;
    Reply reply(out);
    Argv argv(args.begin(), args.end());
    const CommandSpec* cmd = table_.Find(argv[0]);
    if (cmd == nullptr) return "<no such command>";
    int argc = static_cast<int>(argv.size());
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
      reply.WrongArity(cmd->name);
      return out;
    }
    int64_t now_ms = kernel_.real_ns / 1000000;
    db_.set_now_ms(now_ms);
    CommandContext ctx{nullptr, nullptr, db_, kernel_, argv, reply, now_ms};
    cmd->proc(ctx);
    return out;
  }

  void AdvanceMs(int64_t ms) {
    kernel_.mono_ns += ms * 1000000;
    kernel_.real_ns += ms * 1000000;
  }
  int64_t NowMs() const { return kernel_.real_ns / 1000000; }
  Keyspace& db() { return db_; }
  ClockOnlyKernel& kernel() { return kernel_; }
  const CommandTable& table() const { return table_; }

 private:
  ClockOnlyKernel kernel_;
  Keyspace db_;
  CommandTable table_;
};

}  // namespace reel::testing
