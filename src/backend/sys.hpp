// Every system call aio makes outside the backends: a transport's on its own fd (recv/send on
// sockets, read/write on pipes, shutdown), an IoOp's (accept, connect, messages), a socket's
// set-up, the blocking file calls that epoll sends to threads, processes and signals. Each returns
// the count (or fd) or -errno, retries EINTR where the call can be retried, reports EWOULDBLOCK as
// -EAGAIN, and never raises SIGPIPE. (sys.cpp: descriptors, sockets, files; sys_process.cpp:
// processes, signals, memory.)
#pragma once
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace aio::detail::sys {

long receive(int fd, bool socket, void* buf, std::size_t len) noexcept;
long transmit(int fd, bool socket, const void* buf, std::size_t len) noexcept;
// readv(2) into first, then second (a socket or a pipe).
long receive_two(int fd, std::span<char> first, std::span<char> second) noexcept;
// accept4(2), the connection non-blocking and close-on-exec: its fd.
long accept_connection(int fd, sockaddr* addr, socklen_t* addr_len) noexcept;
// recvmsg(2), sendmsg(2).
long receive_message(int fd, msghdr* msg) noexcept;
long send_message(int fd, const msghdr* msg) noexcept;
// connect(2) on a non-blocking socket: 0, -EAGAIN while it is in progress (wait for writability,
// then ask connect_result), or -errno.
long start_connect(int fd, const sockaddr* addr, socklen_t len) noexcept;
// How a connect that was in progress ended (SO_ERROR): 0 or -errno.
long connect_result(int fd) noexcept;
// One datagram: recvfrom(2) (from/from_len may be null) and sendto(2) (to null: send(2)).
long receive_from(int fd, void* buf, std::size_t len, sockaddr* from, socklen_t* from_len) noexcept;
long send_to(int fd, const void* buf, std::size_t len, const sockaddr* to,
             socklen_t to_len) noexcept;
// sendfile(2) of count bytes of in_fd from offset to out_fd; pread(2); lseek(fd, offset, SEEK_SET).
long send_file(int out_fd, int in_fd, std::uint64_t offset, std::size_t count) noexcept;
long read_at(int fd, void* buf, std::size_t len, std::uint64_t offset) noexcept;
long seek_to(int fd, std::uint64_t offset) noexcept;
// Whether fd is readable (or writable) right now: a zero-timeout poll(2).
bool ready_now(int fd, bool for_writing) noexcept;
// Adopting an fd made elsewhere (a pipe): non-blocking and close-on-exec; 0 or -errno.
int adopt_fd(int fd) noexcept;
// A socket's address family (SO_DOMAIN), AF_UNSPEC if it cannot be told.
int socket_family(int fd) noexcept;
// Removes the socket file at path (a Unix server's), if there is one there; anything else at
// path stays.
void remove_socket_file(const char* path) noexcept;
// shutdown(2): 0 or -errno.
int shutdown_socket(int fd, int how) noexcept;

// ---- descriptors ----
// close(2): 0 or -errno. The fd is gone either way (after EINTR too: Linux has closed it).
int close_fd(int fd) noexcept;
// A close-on-exec duplicate (fcntl F_DUPFD_CLOEXEC): the new fd or -errno.
int duplicate_fd(int fd) noexcept;
// pipe2(2) with flags (O_CLOEXEC, O_NONBLOCK): 0 or -errno.
int make_pipe(int fds[2], int flags) noexcept;

// ---- sockets ----
// socket(2), non-blocking and close-on-exec: the fd or -errno.
int open_socket(int family, int type, int protocol) noexcept;
// bind(2), listen(2), setsockopt(2) and getsockopt(2) of an int, getsockname(2), getpeername(2):
// 0 or -errno.
int bind_to(int fd, const sockaddr* addr, socklen_t len) noexcept;
int listen_on(int fd, int backlog) noexcept;
int set_option(int fd, int level, int name, int value) noexcept;
int get_option(int fd, int level, int name, int* value) noexcept;
int local_address(int fd, sockaddr* addr, socklen_t* len) noexcept;
int peer_address(int fd, sockaddr* addr, socklen_t* len) noexcept;

// ---- files: blocking calls, made on the executor's threads when the backend does no file I/O
// read(2) or write(2) at the file position (offset < 0), else pread(2) or pwrite(2).
long read_file(int fd, void* buf, std::size_t len, long long offset) noexcept;
long write_file(int fd, const void* buf, std::size_t len, long long offset) noexcept;
// open(2): the fd or -errno.
int open_file(const char* path, int flags, mode_t mode) noexcept;
// statx(2) of path relative to dir_fd (or of dir_fd itself with AT_EMPTY_PATH): 0 or -errno.
int file_status(int dir_fd, const char* path, int flags, struct statx* out) noexcept;
// fsync(2): 0 or -errno.
int sync_file(int fd) noexcept;

// ---- processes ----
// posix_spawnp(3) when search (a program name looked up in PATH), else posix_spawn(3): 0 or
// -errno; glibc reports a failed exec here, in the parent.
int spawn_process(pid_t* pid, const char* program, bool search,
                  const posix_spawn_file_actions_t* actions, const posix_spawnattr_t* attr,
                  char* const argv[], char* const envp[]) noexcept;
// pidfd_open(2) (close-on-exec by definition): the fd or -errno.
int open_pidfd(pid_t pid) noexcept;
// waitpid(2) until it reports pid (EINTR retried): the wait status, or -errno.
int wait_child(pid_t pid) noexcept;
// Sends sig through the pidfd when there is one (it cannot reach a process that reused the pid),
// else kill(2): 0 or -errno.
int signal_process(pid_t pid, int pidfd, int sig) noexcept;

// ---- signals ----
// sigaction(2): 0 or -errno.
int signal_action(int sig, const struct sigaction* action, struct sigaction* previous) noexcept;
// Writing to a pipe whose reader has gone must be an EPIPE error, not the end of the process:
// SIGPIPE is ignored from the first pipe aio writes to on (unless the program set a handler).
void ignore_sigpipe() noexcept;
// Ends the process as sig's default action would: the handler is reset first, then sig raised.
void die_by_signal(int sig) noexcept;
// Whether the calling thread is the process's main thread.
bool on_main_thread() noexcept;

// ---- memory ----
// Anonymous private memory at a multiple of `alignment` (a power of two, at least a page), its
// pages populated: the address, or null.
void* map_memory(std::size_t size, std::size_t alignment) noexcept;

}  // namespace aio::detail::sys
