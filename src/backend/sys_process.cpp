// The system-call layer's processes, signals and memory (sys.hpp).
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>

#include "backend/sys.hpp"

namespace aio::detail::sys {

int spawn_process(pid_t* pid, const char* program, bool search,
                  const posix_spawn_file_actions_t* actions, const posix_spawnattr_t* attr,
                  char* const argv[], char* const envp[]) noexcept {
    const int rc = search ? ::posix_spawnp(pid, program, actions, attr, argv, envp)
                          : ::posix_spawn(pid, program, actions, attr, argv, envp);
    return -rc;
}

int open_pidfd(pid_t pid) noexcept {
    const long fd = ::syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : static_cast<int>(fd);
}

int wait_child(pid_t pid) noexcept {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -errno;
    return status;
}

int signal_process(pid_t pid, int pidfd, int sig) noexcept {
    const long r =
        pidfd >= 0 ? ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) : ::kill(pid, sig);
    return r < 0 ? -errno : 0;
}

int signal_action(int sig, const struct sigaction* action, struct sigaction* previous) noexcept {
    return ::sigaction(sig, action, previous) < 0 ? -errno : 0;
}

void die_by_signal(int sig) noexcept {
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void ignore_sigpipe() noexcept {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction old {};
        if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
            ::signal(SIGPIPE, SIG_IGN);
    });
}

bool on_main_thread() noexcept {
    return ::gettid() == ::getpid();
}

void* map_memory(std::size_t size, std::size_t alignment) noexcept {
    // Mapped with room to slide to the alignment; what lies outside is given back.
    void* p = ::mmap(nullptr, size + alignment, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (p == MAP_FAILED) return nullptr;
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (start + alignment - 1) & ~(alignment - 1);
    if (aligned > start) ::munmap(p, aligned - start);
    if (const std::uintptr_t tail = start + alignment - aligned; tail > 0)
        ::munmap(reinterpret_cast<void*>(aligned + size), tail);
    // One system call instead of a page fault per 4 KiB (before Linux 5.14: the faults).
    ::madvise(reinterpret_cast<void*>(aligned), size, MADV_POPULATE_WRITE);
    return reinterpret_cast<void*>(aligned);
}

}  // namespace aio::detail::sys
