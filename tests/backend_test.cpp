// Choosing a loop's backend: the option, AIO_BACKEND, and the automatic choice; the epoll
// backend on a kernel without epoll_pwait2.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <string>

#include "helpers.hpp"

namespace {

// Restores AIO_BACKEND when a test is done with it.
struct BackendEnv {
    std::string saved;
    bool had;
    BackendEnv() : had(std::getenv("AIO_BACKEND") != nullptr) {
        if (had) saved = std::getenv("AIO_BACKEND");
    }
    ~BackendEnv() {
        if (had)
            ::setenv("AIO_BACKEND", saved.c_str(), 1);
        else
            ::unsetenv("AIO_BACKEND");
    }
};

bool io_uring_available() {
    try {
        aio::EventLoop loop({.backend = aio::BackendKind::io_uring});
        return true;
    } catch (const aio::RuntimeError& e) {
        EXPECT_NE(std::string(e.what()).find("io_uring is not available"), std::string::npos);
        return false;
    }
}

TEST(Backend, TheOptionChoosesIt) {
    BackendEnv env;
    ::setenv("AIO_BACKEND", "io_uring", 1);  // the option wins over the environment
    aio::EventLoop loop({.backend = aio::BackendKind::epoll});
    EXPECT_STREQ(loop.backend_name(), "epoll");
    if (io_uring_available()) {
        aio::EventLoop uring({.backend = aio::BackendKind::io_uring});
        EXPECT_STREQ(uring.backend_name(), "io_uring");
    }
}

TEST(Backend, TheEnvironmentChoosesItOtherwise) {
    BackendEnv env;
    ::setenv("AIO_BACKEND", "epoll", 1);
    EXPECT_STREQ(aio::EventLoop().backend_name(), "epoll");
    ::setenv("AIO_BACKEND", "kqueue", 1);
    EXPECT_THROW(aio::EventLoop(), aio::RuntimeError);
}

TEST(Backend, AutomaticPrefersIoUring) {
    BackendEnv env;
    ::unsetenv("AIO_BACKEND");
    EXPECT_STREQ(aio::EventLoop().backend_name(), io_uring_available() ? "io_uring" : "epoll");
}

// The I/O tests run once per backend (ctest sets AIO_BACKEND); check they got the one asked for.
TEST(IoBackend, TheEnvironmentIsHonoured) {
    const char* wanted = std::getenv("AIO_BACKEND");
    if (!wanted) GTEST_SKIP() << "AIO_BACKEND not set";
    EXPECT_STREQ(aio::EventLoop().backend_name(), wanted);
}

// Kernels before 5.11 (and valgrind) answer epoll_pwait2 with ENOSYS: a seccomp filter makes
// this process one of them. Every timed wait must then fall back to epoll_wait, not only the
// first (the loop once threw "epoll_wait: Success" on the second).
void refuse_epoll_pwait2() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_epoll_pwait2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
        std::exit(2);
}

TEST(EpollBackend, TimedWaitsWithoutEpollPwait2) {
    EXPECT_EXIT(
        {
            refuse_epoll_pwait2();
            int woken = 0;
            aio::run(
                [&]() -> aio::Task<> {
                    for (int i = 0; i < 3; ++i) {
                        errno = EAGAIN;  // as a read that found nothing leaves it
                        co_await aio::sleep(std::chrono::milliseconds(1));
                        ++woken;
                    }
                }(),
                {.backend = aio::BackendKind::epoll});
            std::exit(woken == 3 ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

}  // namespace
