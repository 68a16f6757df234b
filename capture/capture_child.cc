#include "capture/capture_child.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace reel {

namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Binds a fresh socket to the wildcard address of family on port; returns
// 0 or the errno of the failure (EAFNOSUPPORT when the family is absent).
int TryBind(int family, int port) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (family == AF_INET6) {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(static_cast<uint16_t>(port));
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

}  // namespace

std::string ResolveCommand(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return IsExecutableFile(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
    start = end + 1;
  }
  return "";
}

bool PortInUse(int port, std::string* detail) {
  for (int family : {AF_INET, AF_INET6}) {
    int err = TryBind(family, port);
    if (err == EADDRINUSE) {
      *detail = std::string(family == AF_INET ? "0.0.0.0" : "[::]") + ":" + std::to_string(port) +
                ": " + strerror(err);
      return true;
    }
  }
  return false;
}

std::string SelfDir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

int SpawnChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               SpawnedChild* child) {
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], nullptr, &attr, cargv.data(), cenv.data());
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return rc;
  *child = SpawnedChild{};
  child->pid = pid;
  return 0;
}

bool ReapChild(SpawnedChild* child) {
  if (child->reaped) return true;
  int status = 0;
  pid_t r = ::waitpid(child->pid, &status, WNOHANG);
  if (r != child->pid) return false;
  child->reaped = true;
  if (WIFEXITED(status)) child->exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    child->term_signal = WTERMSIG(status);
    child->core_dumped = WCOREDUMP(status);
  }
  return true;
}

std::string DescribeExit(const SpawnedChild& child) {
  if (!child.reaped) return "still running";
  if (child.term_signal != 0) {
    const char* abbrev = sigabbrev_np(child.term_signal);
    return std::string("killed by ") +
           (abbrev ? std::string("SIG") + abbrev : std::to_string(child.term_signal)) +
           (child.core_dumped ? " (core dumped)" : "");
  }
  return "exit code " + std::to_string(child.exit_code);
}

}  // namespace reel
