// The cases of CPython's Lib/test/test_asyncio/test_protocols.py that apply to aio, under their
// names: the default callbacks do nothing (and eof_received says "close"), and a
// BufferedProtocol whose buffer is smaller than what arrives gets it in pieces, every byte in
// order. (Not ported: test_buffered_protocol - aio's get_buffer/buffer_updated have no default;
// test_subprocess_protocol - aio has no SubprocessProtocol; test_memoryview_input - no
// memoryview.)
#include <sys/socket.h>

#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "aio/testing.hpp"
#include "helpers.hpp"

using aio_test::eventually;
using aio_test::factory_of;

AIO_TEST(CPythonProtocols, test_base_protocol) {
    aio::BaseProtocol p;
    p.connection_lost(nullptr);
    p.pause_writing();
    p.resume_writing();
    EXPECT_FALSE(p.eof_received());
    co_return;
}

AIO_TEST(CPythonProtocols, test_protocol) {
    aio::Protocol p;
    p.data_received("data");
    EXPECT_FALSE(p.eof_received());  // asyncio: None, i.e. close the transport
    p.pause_writing();
    p.resume_writing();
    p.connection_lost(std::make_exception_ptr(std::runtime_error("lost")));
    co_return;
}

AIO_TEST(CPythonProtocols, test_datagram_protocol) {
    aio::DatagramProtocol dp;
    dp.error_received(std::make_exception_ptr(std::runtime_error("error")));
    dp.datagram_received("data", aio::SocketAddress::parse("127.0.0.1", 9));
    dp.connection_lost(nullptr);
    co_return;
}

namespace {
// FeedDataToBufferedProtoTests._make_proto(64).
struct SmallBuffer : aio::BufferedProtocol {
    char buf[64];
    std::string received;
    std::span<char> get_buffer(std::size_t) override { return std::span<char>(buf, sizeof buf); }
    void buffer_updated(std::size_t nbytes) override { received.append(buf, nbytes); }
};
}  // namespace

// On a real transport (both backends: reads straight into the 64 bytes on readiness, copies
// out of a provided buffer in pieces on io_uring).
AIO_TEST(CPythonProtocolsIO, test_large_multi_iteration) {
    int fds[2];
    AIO_ASSERT_TRUE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    aio::Socket sender(fds[1]);
    auto proto = std::make_shared<SmallBuffer>();
    auto conn = co_await aio::connect_accepted_socket(factory_of(proto), aio::Socket(fds[0]));
    std::string data;
    for (int i = 0; i < 16; ++i)
        for (int b = 0; b < 256; ++b)
            data.push_back(static_cast<char>(b));
    co_await aio::sock_sendall(sender, data);
    AIO_ASSERT_TRUE(co_await eventually([&] { return proto->received.size() >= data.size(); }));
    EXPECT_TRUE(proto->received == data);
    conn.transport->close();
}
