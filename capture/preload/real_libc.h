// The libc functions the shim interposes, as found behind it with
// dlsym(RTLD_NEXT): every interposed call forwards to these.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include <csignal>
#include <cstddef>

namespace reel::preload {

struct RealLibc {
  int (*epoll_create)(int);
  int (*epoll_create1)(int);
  int (*epoll_ctl)(int, int, int, epoll_event*);
  int (*epoll_wait)(int, epoll_event*, int, int);
  int (*epoll_pwait)(int, epoll_event*, int, int, const sigset_t*);
  int (*epoll_pwait2)(int, epoll_event*, int, const timespec*, const sigset_t*);
  int (*socket)(int, int, int);
  int (*bind)(int, const sockaddr*, socklen_t);
  int (*listen)(int, int);
  int (*setsockopt)(int, int, int, const void*, socklen_t);
  int (*accept)(int, sockaddr*, socklen_t*);
  int (*accept4)(int, sockaddr*, socklen_t*, int);
  ssize_t (*read)(int, void*, size_t);
  ssize_t (*read_chk)(int, void*, size_t, size_t);
  ssize_t (*recv)(int, void*, size_t, int);
  ssize_t (*recv_chk)(int, void*, size_t, size_t, int);
  ssize_t (*recvfrom)(int, void*, size_t, int, sockaddr*, socklen_t*);
  ssize_t (*recvfrom_chk)(int, void*, size_t, size_t, int, sockaddr*, socklen_t*);
  ssize_t (*readv)(int, const iovec*, int);
  ssize_t (*write)(int, const void*, size_t);
  ssize_t (*send)(int, const void*, size_t, int);
  ssize_t (*sendto)(int, const void*, size_t, int, const sockaddr*, socklen_t);
  ssize_t (*writev)(int, const iovec*, int);
  int (*close)(int);
  int (*shutdown)(int, int);
  int (*execve)(const char*, char* const[], char* const[]);
  int (*execv)(const char*, char* const[]);
  int (*execvp)(const char*, char* const[]);
  int (*execvpe)(const char*, char* const[], char* const[]);
  int (*fexecve)(int, char* const[], char* const[]);
  int (*execveat)(int, const char*, char* const[], char* const[], int);
};

// Filled by ResolveRealLibc(). A pointer stays null until then, or for good
// when this libc lacks the function (epoll_pwait2 before glibc 2.35); the
// wrappers then fall back to the raw system call (or fail with ENOSYS
// where there is none).
extern RealLibc g_real;

// Idempotent. Runs from the shim's constructor; a wrapper called earlier (by
// another library's constructor) uses the raw syscall instead of calling this,
// because dlsym may allocate and the allocator may itself read files.
void ResolveRealLibc();

}  // namespace reel::preload
