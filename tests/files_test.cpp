// Files: open modes, read/write at the file position, pread/pwrite, read_all of a big file,
// stat, fsync, close, errors, and a cancelled read (io_uring requests on io_uring, threads on
// epoll; the suite runs on both).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

// A fresh directory for one test, removed with what is in it.
struct TempDir {
    std::string path;
    TempDir() {
        char name[] = "/tmp/aio-files-XXXXXX";
        path = ::mkdtemp(name);
    }
    ~TempDir() { [[maybe_unused]] int r = std::system(("rm -rf " + path).c_str()); }
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

int error_of(const std::system_error& e) {
    return e.code().value();
}

bool on_io_uring() {
    return std::string(aio::get_running_loop().backend_name()) == "io_uring";
}

AIO_TEST(Files, WriteThenReadBack) {
    TempDir dir;
    auto f = co_await aio::open(dir / "a.txt", "w");
    EXPECT_TRUE(f.is_open());
    EXPECT_EQ(co_await f.write("hello\n"), 6u);
    EXPECT_EQ(co_await f.write("world\n"), 6u);
    co_await f.close();
    EXPECT_FALSE(f.is_open());
    co_await f.close();  // twice: nothing

    auto r = co_await aio::open(dir / "a.txt");
    EXPECT_EQ(co_await r.read(5), "hello");
    EXPECT_EQ(co_await r.read(1), "\n");
    EXPECT_EQ(co_await r.read(), "world\n");
    EXPECT_EQ(co_await r.read(10), "");  // at the end
    co_await r.close();
}

AIO_TEST(Files, Modes) {
    TempDir dir;
    const std::string path = dir / "m.txt";
    {
        auto f = co_await aio::open(path, "x");
        co_await f.write("one\n");
    }
    try {
        co_await aio::open(path, "x");
        ADD_FAILURE() << "x opened an existing file";
    } catch (const std::system_error& e) {
        EXPECT_EQ(error_of(e), EEXIST);
    }
    {
        auto f = co_await aio::open(path, "ab");
        co_await f.write("two\n");
    }
    {
        auto f = co_await aio::open(path, "r+");
        EXPECT_EQ(co_await f.read(4), "one\n");
        co_await f.write("TWO\n");  // at the position: overwrites
    }
    auto f = co_await aio::open(path);
    EXPECT_EQ(co_await f.read_all(), "one\nTWO\n");
    try {
        co_await f.write("no");  // opened read-only
        ADD_FAILURE() << "wrote to a read-only file";
    } catch (const std::system_error& e) {
        EXPECT_EQ(error_of(e), EBADF);
    }
    {
        auto w = co_await aio::open(path, "w");  // truncates
    }
    EXPECT_EQ((co_await aio::stat(path)).size, 0u);
    EXPECT_THROW(co_await aio::open(path, "rw"), std::invalid_argument);
    EXPECT_THROW(co_await aio::open(path, "q"), std::invalid_argument);
    EXPECT_THROW(co_await aio::open(path, ""), std::invalid_argument);
}

AIO_TEST(Files, PreadPwriteLeaveThePositionAlone) {
    TempDir dir;
    auto f = co_await aio::open(dir / "p.bin", "w+");
    co_await f.write("0123456789");
    EXPECT_EQ(co_await f.pwrite("ab", 2), 2u);
    EXPECT_EQ(co_await f.pread(4, 1), "1ab4");
    EXPECT_EQ(co_await f.pread(4, 8), "89");  // short at the end
    EXPECT_EQ(co_await f.pread(4, 100), "");
    co_await f.write("X");  // the position is still 10
    EXPECT_EQ(co_await f.pread(100, 0), "01ab456789X");
    co_await f.fsync();
}

AIO_TEST(Files, ReadAllOfABigFile) {
    TempDir dir;
    std::string data;
    for (int i = 0; data.size() < 5'000'000; ++i)
        data += std::to_string(i) + ",";
    auto f = co_await aio::open(dir / "big", "w");
    EXPECT_EQ(co_await f.write(data), data.size());
    co_await f.close();
    auto r = co_await aio::open(dir / "big", "rb");
    std::string back = co_await r.read_all();
    EXPECT_EQ(back.size(), data.size());
    EXPECT_TRUE(back == data);
}

AIO_TEST(Files, Stat) {
    TempDir dir;
    const mode_t mask = ::umask(022);
    ::umask(mask);
    auto f = co_await aio::open(dir / "s", "w");
    co_await f.write("12345");
    const aio::FileStat s = co_await f.stat();
    EXPECT_EQ(s.size, 5u);
    EXPECT_TRUE(S_ISREG(s.mode));
    EXPECT_EQ(s.mode & 0777, 0666 & ~mask);
    EXPECT_EQ(s.nlink, 1u);
    EXPECT_EQ(s.uid, ::getuid());
    struct stat ref {};
    ::stat((dir / "s").c_str(), &ref);
    EXPECT_EQ(s.inode, ref.st_ino);
    EXPECT_EQ(s.mtime_ns, ref.st_mtim.tv_sec * 1'000'000'000LL + ref.st_mtim.tv_nsec);

    EXPECT_TRUE(S_ISDIR((co_await aio::stat(dir.path)).mode));
    try {
        co_await aio::stat(dir / "missing");
        ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(error_of(e), ENOENT);
    }
    try {
        co_await aio::open(dir / "missing");
        ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(error_of(e), ENOENT);
        EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
    }
    co_await f.close();
    try {
        co_await f.read(1);
        ADD_FAILURE() << "read after close";
    } catch (const std::system_error& e) {
        EXPECT_EQ(error_of(e), EBADF);
    }
}

AIO_TEST(Files, CancelledReadLeavesNoTrace) {
    // A FIFO opened for reading and writing (twice): a read waits until someone writes.
    TempDir dir;
    const std::string path = dir / "fifo";
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
    auto fifo = co_await aio::open(path, "r+");
    auto other_end = co_await aio::open(path, "r+");
    auto reading = aio::create_task(fifo.read(10));
    co_await aio::sleep(1ms);
    EXPECT_FALSE(reading.done());
    reading.cancel();
    EXPECT_THROW(co_await reading, aio::CancelledError);
    // Closing the File while (on epoll) a thread still blocks in its read, then reusing the
    // number: the thread works on a duplicate of its own, never on the file that gets the number.
    co_await fifo.close();
    auto reused = co_await aio::open(dir / "plain", "w+");
    co_await reused.write("plain");
    // On epoll the thread is released by the write and consumes it (threads cannot be
    // interrupted); io_uring really cancelled the read: the byte stays for the next one.
    co_await other_end.write("x");
    if (on_io_uring()) {
        EXPECT_EQ(co_await other_end.read(10), "x");
    }
    EXPECT_EQ(co_await reused.pread(100, 0), "plain");
    EXPECT_EQ((co_await reused.stat()).size, 5u);
}

}  // namespace
