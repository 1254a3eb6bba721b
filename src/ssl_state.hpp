// What an SSLContext handle shares (the SSL_CTX and Python's settings that OpenSSL does not
// keep), and the error helpers the TLS transport uses too.
#pragma once
#include <openssl/ssl.h>

#include <vector>

#include "aio/ssl.hpp"

namespace aio::ssl {

struct SSLContext::State {
    SSL_CTX* ctx = nullptr;
    Side side = Side::client;
    bool check_hostname = true;
    VerifyMode verify_mode = VerifyMode::CERT_REQUIRED;
    std::vector<unsigned char> alpn_wire;  // length-prefixed names, the server's preference
    SNICallback sni;
    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State();
};

namespace detail {
// An SSLError from OpenSSL's error queue (which is cleared), as Python words it; fallback when
// the queue is empty.
SSLError error_from_queue(int code, const char* fallback);
[[noreturn]] void throw_from_queue(const char* fallback);
}  // namespace detail

}  // namespace aio::ssl
