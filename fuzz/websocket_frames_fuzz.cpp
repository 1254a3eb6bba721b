// Fuzz target: the WebSocket frame reader (wslay and aio's core around it: fragments, control
// frames, close codes, UTF-8 checks, the message limit). The input is what a client sends after
// the handshake (after one byte that chooses where it is cut into reads); a server-side
// WebSocket over a memory transport receives it and echoes each message. Whatever arrives,
// nothing may crash or leak (ASan, under make fuzz), every message delivered must be within the
// limit (and text must be UTF-8), and once the connection is lost the WebSocket must be closed
// with a code.
#include <aio/aio.hpp>
#include <aio/http.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "../src/http/websocket_core.hpp"
#include "../tests/memory_transport.hpp"

namespace {

namespace http = aio::http;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "websocket_frames_fuzz: %s\n", what);
    std::abort();
}

constexpr std::size_t kLimit = 1024;

bool utf8(const std::string& s) {
    // (A second opinion on the core's check: decode with the C library's multibyte rules.)
    std::mbstate_t state{};
    const char* p = s.data();
    const char* end = p + s.size();
    while (p < end) {
        wchar_t wc;
        const std::size_t n = std::mbrtowc(&wc, p, static_cast<std::size_t>(end - p), &state);
        if (n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) return false;
        p += n == 0 ? 1 : n;
    }
    return true;
}

aio::Task<> echo(http::WebSocket& ws) {
    while (auto message = co_await ws.receive()) {
        if (message->data.size() > kLimit) fail("a message over the limit was delivered");
        if (message->type == http::WSMsgType::text && !utf8(message->data))
            fail("a text message that is not UTF-8 was delivered");
        try {
            co_await ws.send_bytes(message->data);
        } catch (const std::system_error&) {
            break;  // closing
        }
    }
}

aio::Task<> run(const std::uint8_t* data, std::size_t size) {
    auto transport = std::make_shared<aio_test::MemoryTransport>();
    http::WebSocketOptions options;
    options.max_msg_size = kLimit;
    auto core = std::make_shared<http::detail::WebSocketCore>(false, *transport, options, "");
    core->on_done = [transport] { transport->close(); };
    http::WebSocket ws(core);
    auto echoing = aio::create_task(echo(ws));
    const std::size_t cut = size ? data[0] % 32 + 1 : 1;
    for (std::size_t at = size ? 1 : 0; at < size && !transport->closed;) {
        const std::size_t n = std::min(cut, size - at);
        core->feed(std::string_view(reinterpret_cast<const char*>(data + at), n));
        at += n;
        co_await aio::sleep(std::chrono::seconds(0));
    }
    core->lost(nullptr);
    co_await echoing;
    if (!ws.closed() || !ws.close_code()) fail("the WebSocket is not closed after the connection");
    if (!transport->outbox.empty() && (static_cast<unsigned char>(transport->outbox[0]) & 0x70))
        fail("the server wrote a frame with reserved bits");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto* loop = [] {
        std::setlocale(LC_CTYPE, "C.UTF-8");
        return new aio::EventLoop({.virtual_time = true, .backend = aio::BackendKind::epoll});
    }();
    loop->run_until_complete(run(data, size));
    return 0;
}
