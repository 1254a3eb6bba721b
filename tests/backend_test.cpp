// Choosing a loop's backend: the option, AIO_BACKEND, and the automatic choice.
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

}  // namespace
