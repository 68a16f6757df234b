#include "capture/preload/real_libc.h"

#include <dlfcn.h>

namespace reel::preload {

RealLibc g_real = {};

namespace {
template <class Fn>
void Resolve(Fn*& slot, const char* name) {
  // RTLD_NEXT: the next definition after this library in the lookup order,
  // i.e. libc's (or that of another interposer loaded after us).
  slot = reinterpret_cast<Fn*>(dlsym(RTLD_NEXT, name));
}
}  // namespace

void ResolveRealLibc() {
  Resolve(g_real.epoll_create, "epoll_create");
  Resolve(g_real.epoll_create1, "epoll_create1");
  Resolve(g_real.epoll_ctl, "epoll_ctl");
  Resolve(g_real.epoll_wait, "epoll_wait");
  Resolve(g_real.epoll_pwait, "epoll_pwait");
  Resolve(g_real.epoll_pwait2, "epoll_pwait2");
  Resolve(g_real.socket, "socket");
  Resolve(g_real.bind, "bind");
  Resolve(g_real.listen, "listen");
  Resolve(g_real.setsockopt, "setsockopt");
  Resolve(g_real.accept, "accept");
  Resolve(g_real.accept4, "accept4");
  Resolve(g_real.read, "read");
  Resolve(g_real.read_chk, "__read_chk");
  Resolve(g_real.recv, "recv");
  Resolve(g_real.recv_chk, "__recv_chk");
  Resolve(g_real.recvfrom, "recvfrom");
  Resolve(g_real.recvfrom_chk, "__recvfrom_chk");
  Resolve(g_real.readv, "readv");
  Resolve(g_real.write, "write");
  Resolve(g_real.send, "send");
  Resolve(g_real.sendto, "sendto");
  Resolve(g_real.writev, "writev");
  Resolve(g_real.close, "close");
  Resolve(g_real.shutdown, "shutdown");
  Resolve(g_real.execve, "execve");
  Resolve(g_real.execv, "execv");
  Resolve(g_real.execvp, "execvp");
  Resolve(g_real.execvpe, "execvpe");
  Resolve(g_real.fexecve, "fexecve");
  Resolve(g_real.execveat, "execveat");
}

}  // namespace reel::preload
