// A socket address as plain data (family, 16 address bytes, port), so the
// Kernel interface and the trace format need no OS socket headers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reel {

inline constexpr int kAfInet = 2;    // AF_INET
inline constexpr int kAfInet6 = 10;  // AF_INET6

struct SockAddr {
  int family = 0;                  // kAfInet or kAfInet6; 0 = unset
  std::array<uint8_t, 16> addr{};  // IPv4 uses the first 4 bytes
  uint16_t port = 0;               // host byte order

  bool operator==(const SockAddr&) const = default;

  // "127.0.0.1:6379" or "[::1]:6379".
  std::string ToString() const;
  // Address without the port, as redis prints it ("127.0.0.1", "::1").
  std::string HostString() const;

  // Parses a numeric host ("127.0.0.1", "::1", "localhost") and a port.
  static std::optional<SockAddr> FromHostPort(std::string_view host, uint16_t port);
};

}  // namespace reel
