// Certificates for the TLS tests, made by the tests themselves (never checked in with their
// keys): a CA, certificates it signed for localhost / 127.0.0.1 / ::1 (one valid, one expired),
// and a self-signed one. PEM files in a fresh directory, made once per process.
#pragma once
#include <aio/ssl.hpp>

#include <string>

namespace aio_test {

struct TlsFiles {
    std::string dir;
    std::string ca_cert;      // the test CA
    std::string ca_pem;       // its text, for load_verify_locations(cadata=...)
    std::string server_cert;  // localhost, 127.0.0.1, ::1, signed by the CA
    std::string server_key;
    std::string expired_cert;  // the same names, expired yesterday
    std::string expired_key;
    std::string self_signed_cert;  // localhost, signed by itself
    std::string self_signed_key;
};

const TlsFiles& tls_files();

// A server's context presenting cert (the valid server certificate by default), and a client's
// that trusts the test CA and nothing else: new ones on each call (a test may change them).
aio::ssl::SSLContext server_context(const std::string& cert, const std::string& key);
aio::ssl::SSLContext server_context();
aio::ssl::SSLContext client_context();
// The same, shared by the tests that do not change them.
const aio::ssl::SSLContext& server_ctx();
const aio::ssl::SSLContext& client_ctx();

}  // namespace aio_test
