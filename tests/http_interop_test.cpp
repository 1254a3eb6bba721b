// aio's HTTP server against clients nobody here wrote: curl and Python's aiohttp (on each
// backend, on the real clock: the peers are other processes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "aio/aio.hpp"
#include "aio/http.hpp"
#include "aio/testing.hpp"
#include "http_test_app.hpp"

namespace http = aio::http;
using namespace std::chrono_literals;

namespace {

struct Ran {
    int status = -1;
    std::string out, err;
};

// Runs a peer to its end (at most 30 s), input on its stdin.
aio::Task<Ran> run_peer(std::string program, std::vector<std::string> args, std::string input) {
    aio::ProcessOptions pipes;
    pipes.in = aio::PIPE;
    pipes.out = aio::PIPE;
    pipes.err = aio::PIPE;
    auto process = co_await aio::create_subprocess_exec(program, args, pipes);
    Ran ran;
    auto [out, err] = co_await aio::wait_for(process.communicate(std::move(input)), 30s);
    ran.out = std::move(out).value();
    ran.err = std::move(err).value();
    ran.status = co_await process.wait();
    co_return ran;
}

// A Python peer server (tests/SCRIPT) that prints "Serving on 127.0.0.1:PORT" and ends when its
// stdin closes.
struct PeerServer {
    aio::Process process;
    std::string address;  // "127.0.0.1:PORT"
};

aio::Task<PeerServer> start_python_peer(std::string script) {
    aio::ProcessOptions pipes;
    pipes.in = aio::PIPE;
    pipes.out = aio::PIPE;
    std::vector<std::string> args{std::string(AIO_TESTS_DIR) + "/" + script};
    auto process = co_await aio::create_subprocess_exec("/usr/bin/python3", args, pipes);
    std::string line = co_await aio::wait_for(process.out().readline(), 20s);
    EXPECT_EQ(line.rfind("Serving on 127.0.0.1:", 0), 0u) << line;
    while (!line.empty() && line.back() == '\n')
        line.pop_back();
    co_return PeerServer{std::move(process), line.substr(line.find("127.0.0.1:"))};
}

aio::Task<> stop_python_peer(PeerServer& peer) {
    peer.process.in().close();
    co_await aio::wait_for(peer.process.wait(), 20s);
}

// Serves the test app, runs `check` with its base URL, shuts down.
template <class Check>
void with_server(Check check) {
    aio::run([](Check check) -> aio::Task<> {
        auto server = co_await http::serve(aio_test::test_app(), "127.0.0.1", 0);
        const std::string base = "http://127.0.0.1:" + std::to_string(server.sockets()[0].port());
        co_await check(base);
        co_await server.shutdown(1s);
    }(std::move(check)));
}

aio::Task<> curl_checks(std::string base) {
    // Two URLs in one run: the second reuses the kept-alive connection.
    // (Arguments named first: g++ 12 cannot have a braced list inside a co_await.)
    std::vector<std::string> args{
        "-sS", "-v", "--max-time", "10", base + "/hello/a", base + "/hello/b"};
    Ran ran = co_await run_peer("curl", args, "");
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_EQ(ran.out, "Hello, aHello, b");
    EXPECT_NE(ran.err.find("Re-using existing connection"), std::string::npos) << ran.err;
    // An upload from stdin: curl sends it chunked.
    const std::string upload(300000, 'u');
    args = {"-sS", "-v", "--max-time", "10", "-T", "-", base + "/echo"};
    ran = co_await run_peer("curl", args, upload);
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_NE(ran.err.find("Transfer-Encoding: chunked"), std::string::npos) << ran.err;
    EXPECT_TRUE(ran.out == upload) << ran.out.size() << " bytes came back";
    args = {"-sS", "-I", "--max-time", "10", base + "/hello/head"};
    ran = co_await run_peer("curl", args, "");
    EXPECT_NE(ran.out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << ran.out;
    EXPECT_NE(ran.out.find("Content-Length: 11\r\n"), std::string::npos) << ran.out;
    args = {"-sS", "--max-time", "10", base + "/stream/40"};
    ran = co_await run_peer("curl", args, "");
    EXPECT_EQ(ran.out.size(), 40000u);
}

aio::Task<> aiohttp_checks(std::string base) {
    std::vector<std::string> args{std::string(AIO_TESTS_DIR) + "/http_peer_aiohttp.py", base};
    Ran ran = co_await run_peer("/usr/bin/python3", args, "");
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_EQ(ran.out,
              "gets True\n"
              "post 200 200000 True\n"
              "chunked 200 10000\n"
              "stream 200 chunked 50000\n"
              "missing 404\n"
              "head 200 8 0\n"
              "query a b&c|/query\n")
        << ran.err;
}

}  // namespace

TEST(HttpInterop, Curl) {
    with_server(curl_checks);
}

TEST(HttpInterop, AiohttpClient) {
    with_server(aiohttp_checks);
}

// curl's ranges and conditional requests on a file served by add_static.
TEST(HttpInterop, CurlOnStaticFiles) {
    char tmpl[] = "/tmp/aio-curl-static-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    {
        std::FILE* f = std::fopen((dir + "/data.txt").c_str(), "wb");
        std::fputs("abcdefghijklmnopqrstuvwxyz", f);
        std::fclose(f);
    }
    aio::run([](std::string dir) -> aio::Task<> {
        http::Application app;
        app.add_static("/files", dir);
        auto server = co_await http::serve(std::move(app), "127.0.0.1", 0);
        const std::string url =
            "http://127.0.0.1:" + std::to_string(server.sockets()[0].port()) + "/files/data.txt";
        std::vector<std::string> args{"-sS", "--max-time", "10", "-r", "3-6", url};
        Ran ran = co_await run_peer("curl", args, "");
        EXPECT_EQ(ran.out, "defg") << ran.err;
        args = {"-sS",
                "--max-time",
                "10",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-z",
                "Sat, 01 Jan 2000 00:00:00 GMT",
                url};
        ran = co_await run_peer("curl", args, "");
        EXPECT_EQ(ran.out, "200");
        args = {"-sS",
                "--max-time",
                "10",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-z",
                "Fri, 01 Jan 2100 00:00:00 GMT",
                url};  // (-z: If-Modified-Since)
        ran = co_await run_peer("curl", args, "");
        EXPECT_EQ(ran.out, "304");
        co_await server.shutdown(1s);
    }(dir));
    std::filesystem::remove_all(dir);
}

// Load from the tools made for it, briefly: every response a success, no socket errors.
aio::Task<> load_checks(std::string base) {
    std::vector<std::string> args{"--h1", "-n", "2000", "-c",
                                  "20",   "-m", "4",    base + "/hello/h2load"};
    Ran ran = co_await run_peer("h2load", args, "");
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_NE(ran.out.find("2000 succeeded, 0 failed, 0 errored"), std::string::npos) << ran.out;
    EXPECT_NE(ran.out.find("status codes: 2000 2xx"), std::string::npos) << ran.out;
    args = {"-t1", "-c16", "-d1s", "--latency", base + "/hello/wrk"};
    ran = co_await run_peer("wrk", args, "");
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_NE(ran.out.find("requests in"), std::string::npos) << ran.out;
    EXPECT_EQ(ran.out.find("Non-2xx"), std::string::npos) << ran.out;
    EXPECT_EQ(ran.out.find("Socket errors"), std::string::npos) << ran.out;
}

TEST(HttpInterop, H2loadAndWrk) {
    with_server(load_checks);
}

aio::Task<> websockets_checks(std::string base) {
    const std::string url = "ws" + base.substr(4) + "/ws";
    std::vector<std::string> args{std::string(AIO_TESTS_DIR) + "/http_peer_websockets.py", url};
    Ran ran = co_await run_peer("/usr/bin/python3", args, "");
    EXPECT_EQ(ran.status, 0) << ran.err;
    EXPECT_EQ(ran.out,
              "protocol echo\n"
              "text héllo\n"
              "binary bytes [0, 1, 2]\n"
              "pong\n"
              "fragmented fragmented\n"
              "too big 1009\n"
              "client closed 1000\n"
              "bye bye\n"
              "server closed 4000 bye\n")
        << ran.err;
}

TEST(HttpInterop, WebsocketsClient) {
    with_server(websockets_checks);
}

// examples/http_client against this server: a line per URL as each completes (order varies),
// then the total.
aio::Task<> example_client_checks(std::string base) {
    std::vector<std::string> args{"--concurrency",     "2",
                                  base + "/hello/a",   base + "/nowhere",
                                  base + "/stream/50", "http://127.0.0.1:1/"};
    Ran ran = co_await run_peer(AIO_HTTP_CLIENT_EXAMPLE, args, "");
    EXPECT_EQ(ran.status, 0) << ran.err;
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < ran.out.size()) {
        const auto end = ran.out.find('\n', start);
        lines.push_back(ran.out.substr(start, end - start));
        start = end + 1;
    }
    AIO_ASSERT_EQ(lines.size(), 5u);
    std::sort(lines.begin(), lines.end() - 1);
    // "STATUS SIZE bytes SECONDS s  URL" (std::regex is avoided: g++ 12 warns in it under ASan)
    struct Line {
        int status = 0;
        unsigned long size = 0;
        double seconds = -1;
        char url[256] = {};
    };
    auto parse = [](const std::string& text) {
        Line l;
        if (std::sscanf(text.c_str(), "%d %lu bytes %lf s %255s", &l.status, &l.size, &l.seconds,
                        l.url) != 4)
            l.status = -1;
        return l;
    };
    const Line hello = parse(lines[0]), stream = parse(lines[1]), missing = parse(lines[2]);
    EXPECT_EQ(hello.status, 200) << lines[0];
    EXPECT_EQ(hello.size, 8u);
    EXPECT_EQ(std::string(hello.url), base + "/hello/a");
    EXPECT_GE(hello.seconds, 0);
    EXPECT_EQ(stream.size, 50000u) << lines[1];
    EXPECT_EQ(missing.status, 404) << lines[2];
    EXPECT_EQ(lines[3].rfind("error: Cannot connect to host 127.0.0.1:1", 0), 0u) << lines[3];
    unsigned urls = 0, answered = 0, bytes = 0;
    double seconds = -1;
    EXPECT_EQ(std::sscanf(lines[4].c_str(), "%u URLs, %u answered, %u bytes in %lf s", &urls,
                          &answered, &bytes, &seconds),
              4)
        << lines[4];
    EXPECT_EQ(urls, 4u);
    EXPECT_EQ(answered, 3u);
    EXPECT_EQ(bytes, 50017u);
}

TEST(HttpInterop, ExampleHttpClient) {
    with_server(example_client_checks);
}

// aio's client against an aiohttp server: keep-alive, gzip, chunked, a redirect, a POST and
// a WebSocket.
aio::Task<> client_against_aiohttp() {
    PeerServer peer = co_await start_python_peer("http_peer_aiohttp_server.py");
    const std::string base = "http://" + peer.address;
    {
        http::ClientSession session;
        auto r = co_await session.get(base + "/hello");
        EXPECT_EQ(co_await r.text(), "hello from aiohttp");
        r = co_await session.get(base + "/gzip");
        EXPECT_EQ(r.headers.get("Content-Encoding"), "gzip");
        EXPECT_EQ(co_await r.text(), std::string(20000, 'z'));
        r = co_await session.get(base + "/chunked");
        EXPECT_EQ(r.headers.get("Transfer-Encoding"), "chunked");
        EXPECT_EQ((co_await r.read()).size(), 10000u);
        r = co_await session.get(base + "/redirect");
        EXPECT_EQ(r.redirects, 1);
        EXPECT_EQ(co_await r.text(), "hello from aiohttp");
        r = co_await session.post(base + "/echo", std::string(300000, 'e'));
        EXPECT_EQ((co_await r.read()).size(), 300000u);
        EXPECT_EQ(session.idle_connections(), 1u);  // one kept-alive connection throughout
        auto ws = co_await session.ws_connect("ws" + base.substr(4) + "/ws");
        co_await ws.send_str("hi");
        auto reply = co_await ws.receive();
        EXPECT_TRUE(reply && reply->data == "aiohttp: hi");
        co_await ws.close();
        EXPECT_EQ(ws.close_code(), 1000);
        co_await session.close();
    }
    co_await stop_python_peer(peer);
}

TEST(HttpInterop, ClientAgainstAiohttpServer) {
    aio::run(client_against_aiohttp());
}

// aio's WebSocket client against Python's websockets server.
aio::Task<> client_against_websockets() {
    PeerServer peer = co_await start_python_peer("http_peer_websockets_server.py");
    const std::string url = "ws://" + peer.address;
    {
        http::ClientSession session;
        http::WebSocketOptions options;
        options.protocols = {"chat", "echo"};
        auto ws = co_await session.ws_connect(url, options);
        EXPECT_EQ(ws.protocol(), "echo");
        co_await ws.send_str("héllo");
        auto reply = co_await ws.receive();
        EXPECT_TRUE(reply && reply->data == "websockets: héllo");
        co_await ws.send_bytes(std::string(200000, '\x01'));
        reply = co_await ws.receive();
        EXPECT_TRUE(reply && reply->type == http::WSMsgType::binary &&
                    reply->data.size() == 200000);
        co_await ws.ping("p");
        co_await ws.send_str("close");
        EXPECT_FALSE((co_await ws.receive()).has_value());
        EXPECT_EQ(ws.close_code(), 4001);
        co_await session.close();
    }
    co_await stop_python_peer(peer);
}

TEST(HttpInterop, WebSocketClientAgainstWebsocketsServer) {
    aio::run(client_against_websockets());
}

// examples/static_server serves a directory, as python3 -m http.server does.
aio::Task<> example_static_server(std::string dir) {
    aio::ProcessOptions pipes;
    pipes.out = aio::PIPE;
    std::vector<std::string> args{"--directory", dir, "--port", "0"};
    auto server = co_await aio::create_subprocess_exec(AIO_STATIC_SERVER_EXAMPLE, args, pipes);
    const std::string line = co_await aio::wait_for(server.out().readline(), 20s);
    // "Serving HTTP on 127.0.0.1 port PORT (http://127.0.0.1:PORT/) ..."
    const auto open = line.find("(http://"), close = line.find(')', open);
    EXPECT_EQ(line.rfind("Serving HTTP on 127.0.0.1 port ", 0), 0u) << line;
    const std::string base = line.substr(open + 1, close - open - 1);
    {
        http::ClientSession session;
        auto r = co_await session.get(base + "file.txt");
        EXPECT_EQ(co_await r.text(), "static text\n");
        EXPECT_EQ(r.headers.get("Content-Type"), "text/plain; charset=utf-8");
        r = co_await session.get(base);
        EXPECT_NE((co_await r.text()).find("<a href=\"file.txt\">file.txt</a>"), std::string::npos);
        co_await session.close();
    }
    server.terminate();
    co_await aio::wait_for(server.wait(), 20s);
}

TEST(HttpInterop, ExampleStaticServer) {
    char tmpl[] = "/tmp/aio-static-example-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    std::FILE* f = std::fopen((dir + "/file.txt").c_str(), "wb");
    std::fputs("static text\n", f);
    std::fclose(f);
    aio::run(example_static_server(dir));
    std::filesystem::remove_all(dir);
}
