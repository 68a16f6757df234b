// The model schedule, "calls from the log" driver: every recorded call is
// re-issued against the KernelModel at its recorded time, with the packets
// of the capture arriving at their own times, and the model's answer is
// compared with what the real kernel answered. This measures the kernel
// model itself, for any server (reel-server or one recorded through the
// LD_PRELOAD shim).
//
// After each comparison the model is put back in step with the recording
// (the recorded read/write sizes and accepted connection are applied), so
// one disagreement does not cascade into the rest of the run.
#pragma once

#include <cstdint>
#include <string>

#include "replay/bundle.h"

namespace reel::replay {

struct ModelScheduleOptions {
  // How long after the packet that wakes a blocked epoll_wait the waiter
  // collects its events: packets stamped within this window are included
  // (scheduler latency of the woken thread).
  int64_t wakeup_latency_ns = 20000;
  // Clock skew allowance between pcap stamps and event times.
  int64_t skew_ns = 0;
};

struct FidelityCounts {
  uint64_t calls = 0;
  uint64_t matches = 0;
  double fraction() const { return calls ? static_cast<double>(matches) / calls : 1.0; }
};

struct FidelityReport {
  FidelityCounts epoll_wait;  // same (fd, mask) list, same order
  FidelityCounts read;        // same byte count (or same errno)
  FidelityCounts write;
  FidelityCounts accept;      // same connection (or both EAGAIN)
  std::string first_mismatch;  // with the recorded and modelled results and the packets around
  uint64_t first_mismatch_seq = 0;
  // Where epoll_wait disagreed, how (counts by reason).
  uint64_t wait_extra_ready = 0;    // the model returned fds the kernel did not
  uint64_t wait_missing_ready = 0;  // the kernel returned fds the model did not
  uint64_t wait_order_only = 0;     // same set, different order
  uint64_t wait_mask_only = 0;      // same fds and order, different masks
  bool has_packets = true;
};

FidelityReport RunModelSchedule(const Bundle& bundle, const ModelScheduleOptions& options = {});

// `reel replay --schedule model`: prints the fidelity report. Exit 0 when
// epoll_wait fidelity is at least 95%, 1 below, 2 when it cannot run.
int RunModelScheduleCommand(const Bundle& bundle, bool json, bool quiet);

}  // namespace reel::replay
