// A deliberately plain HTTP/1.1 client for the server's tests: raw bytes out, responses parsed
// by hand, so that a test controls exactly what the server receives (and can send what no
// well-behaved client would).
#pragma once
#include <cstdlib>
#include <string>

#include "aio/http.hpp"
#include "aio/streams.hpp"

namespace aio_test {

struct RawResponse {
    int status = 0;
    aio::http::Headers headers;
    std::string body;
};

// One response from the stream; `head_only` for the answer to a HEAD. Chunked bodies are
// decoded.
inline aio::Task<RawResponse> read_response(aio::StreamReader& reader, bool head_only = false) {
    RawResponse r;
    std::string head = co_await reader.readuntil("\r\n\r\n");
    const auto line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    r.status = std::atoi(status_line.substr(9, 3).c_str());
    std::size_t pos = line_end + 2;
    while (pos + 2 < head.size()) {
        const auto end = head.find("\r\n", pos);
        const std::string field = head.substr(pos, end - pos);
        const auto colon = field.find(':');
        std::string value = field.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        r.headers.add(field.substr(0, colon), value);
        pos = end + 2;
    }
    if (head_only || r.status == 204 || r.status == 304 || r.status / 100 == 1) co_return r;
    if (auto te = r.headers.get("Transfer-Encoding"); te && *te == "chunked") {
        while (true) {
            std::string size_line = co_await reader.readuntil("\r\n");
            const std::size_t size = std::strtoul(size_line.c_str(), nullptr, 16);
            if (size == 0) {
                co_await reader.readuntil("\r\n");
                break;
            }
            r.body += co_await reader.readexactly(size);
            co_await reader.readexactly(2);
        }
    } else if (auto length = r.headers.get("Content-Length")) {
        r.body =
            co_await reader.readexactly(std::strtoul(std::string(*length).c_str(), nullptr, 10));
    } else {
        r.body = co_await reader.read();
    }
    co_return r;
}

// "GET path HTTP/1.1" with a Host field and the extra fields given (each ending in \r\n).
inline std::string get_request(const std::string& path, const std::string& fields = {}) {
    return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + fields + "\r\n";
}

}  // namespace aio_test
