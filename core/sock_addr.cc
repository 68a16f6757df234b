#include "core/sock_addr.h"

#include <arpa/inet.h>  // inet_pton/inet_ntop: pure conversions, no syscalls

#include <cstring>

namespace reel {

std::string SockAddr::HostString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == kAfInet) {
    inet_ntop(AF_INET, addr.data(), buf, sizeof buf);
  } else if (family == kAfInet6) {
    inet_ntop(AF_INET6, addr.data(), buf, sizeof buf);
  } else {
    return "?";
  }
  return buf;
}

std::string SockAddr::ToString() const {
  if (family == kAfInet6) return "[" + HostString() + "]:" + std::to_string(port);
  return HostString() + ":" + std::to_string(port);
}

std::optional<SockAddr> SockAddr::FromHostPort(std::string_view host, uint16_t port) {
  std::string h(host);
  if (h == "localhost") h = "127.0.0.1";
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  SockAddr a;
  a.port = port;
  if (inet_pton(AF_INET, h.c_str(), a.addr.data()) == 1) {
    a.family = kAfInet;
    return a;
  }
  if (inet_pton(AF_INET6, h.c_str(), a.addr.data()) == 1) {
    a.family = kAfInet6;
    return a;
  }
  return std::nullopt;
}

}  // namespace reel
