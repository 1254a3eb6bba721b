// loop.sock_sendfile and loop.sendfile, on every backend: the bytes a file holds reach the peer
// exactly, from an offset and for a count, the file position is left after them, a transport's
// queued writes go first, and writes during the transfer are refused.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <system_error>

#include "aio/testing.hpp"
#include "helpers.hpp"

using namespace std::chrono_literals;
using aio_test::eventually;
using aio_test::factory_of;

namespace {

// A temporary file holding `size` bytes of a pattern; closed and removed at the end.
struct TempFile {
    std::string path = ::testing::TempDir() + "aio_sendfile_XXXXXX";
    std::string contents;
    int fd = -1;
    explicit TempFile(std::size_t size) {
        fd = ::mkstemp(path.data());
        contents.resize(size);
        for (std::size_t i = 0; i < size; ++i)
            contents[i] = static_cast<char>('a' + (i * 131) % 26);
        if (fd < 0 || ::write(fd, contents.data(), size) != static_cast<ssize_t>(size))
            throw std::runtime_error("cannot write the temporary file");
        ::lseek(fd, 0, SEEK_SET);
    }
    ~TempFile() {
        ::close(fd);
        ::unlink(path.c_str());
    }
    long position() const { return ::lseek(fd, 0, SEEK_CUR); }
};

aio::Task<std::string> receive(aio::Socket& sock, std::size_t n) {
    std::string got;
    while (got.size() < n) {
        std::string piece = co_await aio::sock_recv(sock, 1 << 16);
        if (piece.empty()) break;
        got += piece;
    }
    co_return got;
}

std::pair<aio::Socket, aio::Socket> socket_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
        throw std::system_error(errno, std::generic_category(), "socketpair");
    return {aio::Socket(fds[0]), aio::Socket(fds[1])};
}

struct Collect : aio::Protocol {
    std::string data;
    bool eof = false;
    void data_received(std::string_view d) override { data.append(d); }
    bool eof_received() override {
        eof = true;
        return false;
    }
};

}  // namespace

AIO_TEST(Sendfile, SockSendfileSendsARangeAndMovesThePosition) {
    TempFile file(3 << 20);  // more than a socket buffer: the send waits for room
    auto [a, b] = socket_pair();
    auto reading = aio::create_task(receive(b, 2'000'000));
    const std::size_t sent = co_await aio::sock_sendfile(a, file.fd, 100, 2'000'000);
    EXPECT_EQ(sent, 2'000'000u);
    EXPECT_TRUE(co_await reading == file.contents.substr(100, 2'000'000));
    EXPECT_EQ(file.position(), 2'000'100);
    // No count: to the end of the file.
    auto rest = aio::create_task(receive(b, file.contents.size() - 2'000'100));
    EXPECT_EQ(co_await aio::sock_sendfile(a, file.fd, 2'000'100), file.contents.size() - 2'000'100);
    EXPECT_TRUE(co_await rest == file.contents.substr(2'000'100));
    EXPECT_EQ(co_await aio::sock_sendfile(a, file.fd, file.contents.size()), 0u);  // nothing left
}

AIO_TEST(Sendfile, WhatTheKernelCannotSendIsAnErrorWithoutFallback) {
    int p[2];
    AIO_ASSERT_TRUE(::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    AIO_ASSERT_TRUE(::write(p[1], "x", 1) == 1);
    auto [a, b] = socket_pair();
    try {
        co_await aio::sock_sendfile(a, p[0], 0, 1, false);  // a pipe cannot be read at an offset
        ADD_FAILURE() << "sent from a pipe";
    } catch (const std::system_error& e) {
        EXPECT_TRUE(e.code().value() == EINVAL || e.code().value() == ESPIPE) << e.what();
    }
    ::close(p[0]);
    ::close(p[1]);
}

AIO_TEST(Sendfile, TransportSendsItsBufferFirstAndRefusesWritesMeanwhile) {
    auto server_side = std::make_shared<Collect>();
    auto server = co_await aio::create_server(factory_of(server_side), "127.0.0.1", 0);
    auto conn = co_await aio::create_connection([] { return std::make_shared<aio::Protocol>(); },
                                                "127.0.0.1", server.sockets()[0].port());
    TempFile file(8 << 20);
    conn.transport->write("header|");
    auto sending = aio::create_task(aio::sendfile(*conn.transport, file.fd));
    co_await aio::sleep(0s);
    AIO_ASSERT_TRUE(!sending.done());
    EXPECT_THROW(conn.transport->write("no"), aio::RuntimeError);
    conn.transport->close();  // waits for the file
    EXPECT_EQ(co_await sending, file.contents.size());
    AIO_ASSERT_TRUE(co_await eventually([&] { return server_side->eof; }, 20000));
    EXPECT_EQ(server_side->data.size(), file.contents.size() + 7);
    EXPECT_TRUE(server_side->data == "header|" + file.contents);
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Sendfile, TransportThatCannotSendAFileSaysSo) {
    int p[2];
    AIO_ASSERT_TRUE(::pipe2(p, O_CLOEXEC) == 0);
    ::close(p[1]);
    auto reading =
        co_await aio::connect_read_pipe([] { return std::make_shared<aio::Protocol>(); }, p[0]);
    TempFile file(10);
    EXPECT_TRUE(
        co_await aio_test::raises<aio::RuntimeError>(aio::sendfile(*reading.transport, file.fd)));
    reading.transport->close();
}
