// Files without blocking the loop (aiofiles, curio's aopen): on the io_uring backend every
// operation is an io_uring request (openat, read, write, fsync, statx, close); on epoll, where
// regular files are always "ready" and a read can still wait for the disk, each runs on the
// loop's default executor. Bytes in, bytes out (Python's binary mode). Errors are
// std::system_error with the errno. Cancelling an operation never leaves the kernel or a thread
// writing into freed memory; an operation already done by the kernel or the thread has taken
// effect (a cancelled write may have written).
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "aio/task.hpp"

namespace aio {

// What stat() tells (the fields of struct stat / statx most programs use).
struct FileStat {
    std::uint64_t size = 0;
    mode_t mode = 0;  // type and permission bits (S_ISREG(mode), mode & 0777)
    std::uint64_t inode = 0;
    std::uint64_t nlink = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::int64_t mtime_ns = 0;  // since the epoch
};

class File {
  public:
    File() = default;
    explicit File(int fd) noexcept : fd_(fd) {}
    File(File&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    File& operator=(File&& o) noexcept;
    // Closes at once (a blocking close(2)) if close() was not awaited.
    ~File();

    int fileno() const noexcept { return fd_; }
    bool is_open() const noexcept { return fd_ >= 0; }

    // Up to n bytes from the file position ("" at the end); n < 0: everything to the end.
    Task<std::string> read(long n = -1);
    Task<std::string> read_all() { return read(-1); }
    // All of data at the file position (the end, in append mode); the bytes written.
    Task<std::size_t> write(std::string data);
    // At an offset, leaving the file position alone.
    Task<std::string> pread(std::size_t n, std::uint64_t offset);
    Task<std::size_t> pwrite(std::string data, std::uint64_t offset);
    Task<> fsync();
    Task<FileStat> stat();
    Task<> close();

  private:
    int fd_ = -1;
};

// open(path, mode) with Python's modes: "r", "w" (truncate), "a" (append), "x" (create, must
// not exist), each with an optional "+" (read and write) and "b" (always binary here).
// std::invalid_argument for another mode. New files get 0666 & ~umask; the fd is close-on-exec.
Task<File> open(std::string path, std::string mode);
Task<File> open(std::string path);  // "r"
// os.stat(path), following symlinks.
Task<FileStat> stat(std::string path);

}  // namespace aio
