#include "aio/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "aio/detail/io_op.hpp"
#include "aio/executor.hpp"
#include "backend/backend.hpp"
#include "backend/sys.hpp"

namespace aio {

namespace {

using detail::FileOp;
using detail::IoOp;
namespace sys = detail::sys;

// io_uring does the operation itself; epoll sends it to a thread.
bool kernel_does_files() {
    return get_running_loop().backend().does_file_io();
}

long check(long result, const char* what) {
    if (result < 0)
        throw std::system_error(static_cast<int>(-result), std::generic_category(), what);
    return result;
}

// One io_uring file operation; the result or -errno. Whatever args point to lives in the
// caller's frame, which the IoOp keeps until the kernel is done with it (even when cancelled).
Task<long> submit(IoOp::Kind kind, int fd, FileOp::Args args) {
    FileOp op(kind, fd, args);
    co_return co_await op;
}

// A thread's own reference to fd, a duplicate it closes when done. The caller may be cancelled
// and its File closed while the thread still blocks in the call; the number can then be reused
// at once, and the thread must not read or write whatever file gets it.
using ThreadFd = std::shared_ptr<const int>;
ThreadFd thread_fd(int fd) {
    const int own = sys::duplicate_fd(fd);
    if (own < 0) throw std::system_error(-own, std::generic_category(), "dup");
    return ThreadFd(new int(own), [](const int* p) {
        sys::close_fd(*p);
        delete p;
    });
}

// On a thread, reading into a buffer the job owns (a cancelled caller's frame may be gone
// before the thread is done).
Task<std::string> read_on_thread(int fd, std::size_t n, long long offset) {
    auto job = [own = thread_fd(fd), n, offset] {
        std::string buf(n, '\0');
        const long r = sys::read_file(*own, buf.data(), n, offset);
        buf.resize(static_cast<std::size_t>(check(r, offset < 0 ? "read" : "pread")));
        return buf;
    };
    co_return co_await to_thread(job);
}

Task<std::string> read_some(int fd, std::size_t n, long long offset) {
    if (!kernel_does_files()) co_return co_await read_on_thread(fd, n, offset);
    std::string buf(n, '\0');
    const long r = co_await submit(IoOp::Kind::file_read, fd, {buf.data(), n, offset});
    buf.resize(static_cast<std::size_t>(check(r, offset < 0 ? "read" : "pread")));
    co_return buf;
}

// All of data, in as many writes as it takes; offset < 0: at the file position.
Task<std::size_t> write_all(int fd, std::string data, long long offset) {
    const char* what = offset < 0 ? "write" : "pwrite";
    if (!kernel_does_files()) {
        auto job = [own = thread_fd(fd), data = std::move(data), offset, what] {
            const int fd = *own;
            std::size_t done = 0;
            while (done < data.size()) {
                const long r =
                    sys::write_file(fd, data.data() + done, data.size() - done,
                                    offset < 0 ? -1 : offset + static_cast<long long>(done));
                done += static_cast<std::size_t>(check(r, what));
            }
            return done;
        };
        co_return co_await to_thread(job);
    }
    std::size_t done = 0;
    while (done < data.size()) {
        FileOp::Args args{data.data() + done, data.size() - done,
                          offset < 0 ? -1 : offset + static_cast<long long>(done)};
        done += static_cast<std::size_t>(
            check(co_await submit(IoOp::Kind::file_write, fd, args), what));
    }
    co_return done;
}

FileStat from_statx(const struct statx& s) {
    return {s.stx_size,
            static_cast<mode_t>(s.stx_mode),
            s.stx_ino,
            s.stx_nlink,
            s.stx_uid,
            s.stx_gid,
            static_cast<std::int64_t>(s.stx_mtime.tv_sec) * 1'000'000'000 + s.stx_mtime.tv_nsec};
}

// statx of path relative to dirfd (AT_EMPTY_PATH with "": of dirfd itself).
Task<FileStat> stat_at(int dirfd, std::string path, int flags) {
    struct statx out {};
    long r;
    if (kernel_does_files()) {
        FileOp::Args args;
        args.buf = path.data();
        args.flags = flags;
        args.out = &out;
        r = co_await submit(IoOp::Kind::statx, dirfd, args);
    } else {
        auto job = [own = dirfd >= 0 ? thread_fd(dirfd) : nullptr, dirfd, path, flags] {
            const int at = own ? *own : dirfd;
            struct statx s {};
            const long res = sys::file_status(at, path.c_str(), flags, &s);
            return std::pair{res, s};
        };
        auto [res, s] = co_await to_thread(job);
        r = res;
        out = s;
    }
    check(r, "stat");
    co_return from_statx(out);
}

int open_flags(std::string_view mode) {
    int flags = 0;
    int kinds = 0;
    bool plus = false;
    for (char c : mode) {
        switch (c) {
            case 'r':
                flags = O_RDONLY, ++kinds;
                break;
            case 'w':
                flags = O_WRONLY | O_CREAT | O_TRUNC, ++kinds;
                break;
            case 'a':
                flags = O_WRONLY | O_CREAT | O_APPEND, ++kinds;
                break;
            case 'x':
                flags = O_WRONLY | O_CREAT | O_EXCL, ++kinds;
                break;
            case '+':
                plus = true;
                break;
            case 'b':
                break;
            default:
                kinds = 2;
                break;
        }
    }
    if (kinds != 1) throw std::invalid_argument("invalid mode: '" + std::string(mode) + "'");
    if (plus) flags = (flags & ~(O_RDONLY | O_WRONLY)) | O_RDWR;
    return flags | O_CLOEXEC;
}

}  // namespace

File& File::operator=(File&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) sys::close_fd(fd_);
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

File::~File() {
    if (fd_ >= 0) sys::close_fd(fd_);
}

Task<std::string> File::read(long n) {
    if (fd_ < 0) throw std::system_error(EBADF, std::generic_category(), "read");
    if (n >= 0) co_return co_await read_some(fd_, static_cast<std::size_t>(n), -1);
    // To the end: in chunks that grow, so a big file takes few reads and a small one one.
    std::string all;
    std::size_t chunk = 64 * 1024;
    while (true) {
        std::string part = co_await read_some(fd_, chunk, -1);
        if (part.empty()) break;
        all += part;
        if (chunk < 4 * 1024 * 1024) chunk *= 2;
    }
    co_return all;
}

Task<std::size_t> File::write(std::string data) {
    if (fd_ < 0) throw std::system_error(EBADF, std::generic_category(), "write");
    co_return co_await write_all(fd_, std::move(data), -1);
}

Task<std::string> File::pread(std::size_t n, std::uint64_t offset) {
    if (fd_ < 0) throw std::system_error(EBADF, std::generic_category(), "pread");
    co_return co_await read_some(fd_, n, static_cast<long long>(offset));
}

Task<std::size_t> File::pwrite(std::string data, std::uint64_t offset) {
    if (fd_ < 0) throw std::system_error(EBADF, std::generic_category(), "pwrite");
    co_return co_await write_all(fd_, std::move(data), static_cast<long long>(offset));
}

Task<> File::fsync() {
    if (fd_ < 0) throw std::system_error(EBADF, std::generic_category(), "fsync");
    const int fd = fd_;
    long r;
    if (kernel_does_files()) {
        r = co_await submit(IoOp::Kind::fsync, fd, {});
    } else {
        auto job = [own = thread_fd(fd)] { return static_cast<long>(sys::sync_file(*own)); };
        r = co_await to_thread(job);
    }
    check(r, "fsync");
}

Task<FileStat> File::stat() {
    if (fd_ < 0) throw std::system_error(EBADF, std::generic_category(), "stat");
    co_return co_await stat_at(fd_, std::string(), AT_EMPTY_PATH);
}

Task<> File::close() {
    if (fd_ < 0) co_return;
    const int fd = std::exchange(fd_, -1);  // closed whatever the outcome, as close(2) does
    long r;
    if (kernel_does_files()) {
        r = co_await submit(IoOp::Kind::close, fd, {});
    } else {
        auto job = [fd] { return static_cast<long>(sys::close_fd(fd)); };
        r = co_await to_thread(job);
    }
    check(r, "close");
}

Task<File> open(std::string path) {
    return open(std::move(path), "r");
}

Task<File> open(std::string path, std::string mode) {
    const int flags = open_flags(mode);
    constexpr unsigned kMode = 0666;
    if (kernel_does_files()) {
        FileOp::Args args;
        args.buf = path.data();
        args.flags = flags;
        args.mode = kMode;
        // (If the task is cancelled after the kernel opened it, the fd still comes back here
        // and is owned by the File.)
        const long r = co_await submit(IoOp::Kind::openat, AT_FDCWD, args);
        check(r, ("open " + path).c_str());
        co_return File(static_cast<int>(r));
    }
    // The thread returns a File: if the awaiting task was cancelled meanwhile, the dropped
    // result closes the fd.
    auto job = [path, flags] {
        const long r = sys::open_file(path.c_str(), flags, kMode);
        check(r, ("open " + path).c_str());
        return File(static_cast<int>(r));
    };
    co_return co_await to_thread(job);
}

Task<FileStat> stat(std::string path) {
    co_return co_await stat_at(AT_FDCWD, std::move(path), 0);
}

}  // namespace aio
