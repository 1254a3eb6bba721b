// What an SSLContext handle shares (the SSL_CTX and Python's settings that OpenSSL does not
// keep), and the error helpers the TLS transport uses too.
#pragma once
#include <openssl/ssl.h>

#include <map>
#include <mutex>
#include <string>
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
    // A client's sessions by server name, offered again on the next connection to that name
    // (resumption: an abbreviated handshake). Guarded: a context may serve several threads.
    std::mutex sessions_mutex;
    std::map<std::string, SSL_SESSION*, std::less<>> sessions;
    void remember_session(const std::string& server_name, SSL_SESSION* session);
    SSL_SESSION* session_for(const std::string& server_name);  // a reference, or null
    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State();
};

namespace detail {
// The server name a client connection was made for (SSL ex_data), for its session's key.
int server_name_index();
// An SSLError from OpenSSL's error queue (which is cleared), as Python words it; fallback when
// the queue is empty.
SSLError error_from_queue(int code, const char* fallback);
[[noreturn]] void throw_from_queue(const char* fallback);
}  // namespace detail

}  // namespace aio::ssl
