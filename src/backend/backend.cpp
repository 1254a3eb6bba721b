// Choosing a loop's backend.
#include "backend/backend.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

#include "aio/errors.hpp"

namespace aio::detail {

namespace {
BackendKind kind_from_environment() {
    const char* v = std::getenv("AIO_BACKEND");
    if (!v || !*v) return BackendKind::automatic;
    if (std::strcmp(v, "io_uring") == 0) return BackendKind::io_uring;
    if (std::strcmp(v, "epoll") == 0) return BackendKind::epoll;
    throw RuntimeError(std::string("AIO_BACKEND must be io_uring or epoll, not '") + v + "'");
}
}  // namespace

std::unique_ptr<Backend> make_backend(BackendKind kind) {
    if (kind == BackendKind::automatic) kind = kind_from_environment();
    if (kind == BackendKind::epoll) return make_epoll_backend();
    std::string reason;
    if (auto uring = make_uring_backend(reason)) return uring;
    if (kind == BackendKind::io_uring) throw RuntimeError("io_uring is not available: " + reason);
    return make_epoll_backend();
}

}  // namespace aio::detail
