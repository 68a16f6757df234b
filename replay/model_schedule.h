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
#include "replay/progress_meter.h"

namespace reel::replay {

struct ModelScheduleOptions {
  // When epoll_wait collects its ready list. The kernel model decides *what*
  // is ready; *when* the woken thread gets a CPU is the scheduler's business,
  // which the model does not simulate. So by default the ready list is
  // collected at the call's recorded return (scan_at_return). With
  // scan_at_return = false the model uses only the call's entry time: it
  // returns at once if something is ready, else sleeps until the next packet
  // and collects wakeup_latency_ns later.
  bool scan_at_return = true;
  int64_t wakeup_latency_ns = 10000;
  bool verbose = false;  // every mismatch on stderr
  // From a packet's capture stamp to its bytes being visible in the
  // receiving socket: loopback stamps a packet on transmit, before the
  // receive softirq queues it (must be >= 0).
  // Measured on loopback captures (docs/kernel-model.md): ~4 us.
  int64_t delivery_delay_ns = 4000;
  // Ticked once per record re-answered (null: none).
  ProgressSink* progress = nullptr;
  // The congestion control's send-buffer factor (ca_ops->sndbuf_expand:
  // 2 for Reno/CUBIC, 3 for BBR), which the capture does not show. 0: calibrate
  // it from the trace's first short write (docs/kernel-model.md).
  uint32_t sndbuf_expand_factor = 0;
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
  FidelityCounts accept;       // same connection (or both EAGAIN)
  std::string first_mismatch;  // with the recorded and modelled results and the packets around
  uint64_t first_mismatch_seq = 0;
  // Where epoll_wait disagreed, how (counts by reason).
  uint64_t wait_extra_ready = 0;    // the model returned fds the kernel did not
  uint64_t wait_missing_ready = 0;  // the kernel returned fds the model did not
  uint64_t wait_order_only = 0;     // same set, different order
  uint64_t wait_mask_only = 0;      // same fds and order, different masks
  bool has_packets = true;
  // The send-buffer calibration: the factor used, and how it was chosen.
  uint32_t sndbuf_expand_factor = 0;
  std::string sndbuf_calibration;
  // The first write the kernel cut short (or refused with EAGAIN) on a
  // connection with a captured handshake: what the model answered for it.
  bool short_write_seen = false;
  uint64_t short_write_seq = 0;
  int64_t short_write_kernel = 0;  // bytes accepted (0 for EAGAIN)
  int64_t short_write_model = 0;
};

FidelityReport RunModelSchedule(const Bundle& bundle, const ModelScheduleOptions& options = {});

struct OwnCodeCheck;

// `reel replay --schedule model`: prints the fidelity report and, for a
// reel-server bundle, whether its own code on the model wrote what the
// capture holds (own, may be null). Exit 0 when epoll_wait fidelity is at
// least 95% and the own-code run (if any) matched, 1 otherwise, 2 when it
// cannot run.
int RunModelScheduleCommand(const Bundle& bundle, const ModelScheduleOptions& options, bool json,
                            bool quiet, const OwnCodeCheck* own = nullptr);

}  // namespace reel::replay
