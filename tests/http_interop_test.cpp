// aio's HTTP server against clients nobody here wrote: curl and Python's aiohttp (on each
// backend, on the real clock: the peers are other processes).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aio/aio.hpp"
#include "aio/http.hpp"
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
    ran.out = std::move(out);
    ran.err = std::move(err);
    ran.status = co_await process.wait();
    co_return ran;
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
