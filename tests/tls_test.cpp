// TLS over the transport seam: handshakes and echo through streams and protocols, verification
// that refuses what Python's ssl refuses (untrusted CA, wrong host name, expired), the errors'
// texts, close_notify, timeouts, and what a TLS server does with a client that is not one.
#include <openssl/ssl.h>
#include <unistd.h>

#include <any>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include "helpers.hpp"
#include "memory_transport.hpp"
#include "tls_certificates.hpp"

using namespace std::chrono_literals;

namespace {

// The talks' echo handler, for a peer that may go before the server is done: a client that
// closes right after its handshake can make the server's session tickets meet a closed socket
// (EPIPE or a reset, which end the connection; asyncio's handler would see them too).
aio::Task<> echo_lines(aio::StreamReader reader, aio::StreamWriter writer) {
    try {
        co_await aio_test::echo_lines(reader, writer);
    } catch (const std::system_error& e) {
        if (e.code() != std::errc::broken_pipe && e.code() != std::errc::connection_reset) throw;
    }
}
using aio_test::client_context;
using aio_test::client_ctx;
using aio_test::server_context;
using aio_test::server_ctx;
using aio_test::tls_files;

// (The options point to the context, which must outlive the call.)
aio::ServerOptions tls_server(const aio::ssl::SSLContext& ctx) {
    aio::ServerOptions o;
    o.ssl = &ctx;
    return o;
}

aio::ConnectOptions tls_client(const aio::ssl::SSLContext& ctx,
                               std::string_view server_hostname = {}) {
    aio::ConnectOptions o;
    o.ssl = &ctx;
    o.server_hostname = server_hostname;
    return o;
}

// Connects with `client` to a server presenting `server`, and returns the verification message
// the client refused it with ("" if the connection succeeded).
aio::Task<std::string> refusal(aio::ssl::SSLContext server, aio::ssl::SSLContext client,
                               std::string_view server_hostname, std::string host = "127.0.0.1") {
    const auto options = tls_server(server);
    auto srv = co_await aio::start_server(echo_lines, "127.0.0.1", 0, options);
    std::string message;
    try {
        const auto client_options = tls_client(client, server_hostname);
        auto [reader, writer] =
            co_await aio::open_connection(host, srv.sockets()[0].port(), client_options);
        writer.close();
        co_await writer.wait_closed();
    } catch (const aio::ssl::SSLCertVerificationError& e) {
        message = e.verify_message();
        EXPECT_NE(std::string(e.what()).find("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
                                             "failed: " +
                                             message),
                  std::string::npos)
            << e.what();
    }
    srv.close();
    co_await srv.wait_closed();
    co_return message;
}

}  // namespace

AIO_TEST(TLS, StreamsEchoOverTls) {
    const auto server_options = tls_server(server_ctx());
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0, server_options);
    const auto port = server.sockets()[0].port();
    const auto client_options = tls_client(client_ctx(), "localhost");
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", port, client_options);
    writer.write("hello over TLS\n");
    EXPECT_EQ(co_await reader.readline(), "hello over TLS\n");
    const std::string big(60'000, 'x');  // several records, both ways (under the line limit)
    writer.write(big + "\n");
    EXPECT_TRUE(co_await reader.readline() == big + "\n");

    const auto cipher = writer.transport()->get_extra_info<aio::ssl::CipherInfo>("cipher");
    AIO_ASSERT_TRUE(cipher.has_value());
    EXPECT_EQ(cipher->version, "TLSv1.3");
    const auto cert = writer.transport()->get_extra_info<aio::ssl::PeerCertificate>("peercert");
    AIO_ASSERT_TRUE(cert.has_value());
    EXPECT_NE(cert->subject.find("CN=localhost"), std::string::npos) << cert->subject;
    EXPECT_NE(cert->issuer.find("CN=aio test CA"), std::string::npos) << cert->issuer;
    EXPECT_EQ(
        cert->subject_alt_names,
        (std::vector<std::string>{"DNS:localhost", "IP Address:127.0.0.1", "IP Address:::1"}));
    EXPECT_TRUE(writer.get_extra_info("peername").has_value());
    EXPECT_FALSE(writer.can_write_eof());

    writer.close();  // close_notify: the server's readline sees the end, its handler returns
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();  // every handler ended
}

AIO_TEST(TLS, ProtocolsEchoOverTls) {
    struct Echo : aio::Protocol {
        aio::Transport* t = nullptr;
        void connection_made(aio::Transport& transport) override { t = &transport; }
        void data_received(std::string_view data) override { t->write(data); }
    };
    struct Client : aio::Protocol {
        std::string got;
        bool made = false, lost = false;
        void connection_made(aio::Transport&) override { made = true; }
        void data_received(std::string_view data) override { got += data; }
        void connection_lost(std::exception_ptr) override { lost = true; }
    };
    const auto server_options = tls_server(server_ctx());
    auto server = co_await aio::create_server([] { return std::make_shared<Echo>(); }, "127.0.0.1",
                                              0, server_options);
    // (The options written in place, as asyncio's keyword arguments are. No server_hostname:
    // the host connected to is checked, here an address the certificate names. Tests never
    // resolve "localhost": a bare machine may have no /etc/hosts.)
    auto conn =
        co_await aio::create_connection([] { return std::make_shared<Client>(); }, "127.0.0.1",
                                        server.sockets()[0].port(), {.ssl = &client_ctx()});
    auto client = conn.protocol_as<Client>();
    EXPECT_TRUE(client->made);  // once create_connection returns, the handshake is done
    conn.transport->write("ping");
    AIO_ASSERT_TRUE(co_await aio_test::eventually([&] { return client->got == "ping"; }));
    conn.transport->close();
    AIO_ASSERT_TRUE(co_await aio_test::eventually([&] { return client->lost; }));
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, AClientRefusesWhatItCannotVerify) {
    const auto& f = tls_files();
    // Verification is on by default: the system's CAs do not know the test CA.
    EXPECT_EQ(co_await refusal(server_ctx(), aio::ssl::create_default_context(), "localhost"),
              "unable to get local issuer certificate");
    EXPECT_EQ(co_await refusal(server_ctx(), client_ctx(), "example.org"),
              "Hostname mismatch, certificate is not valid for 'example.org'.");
    EXPECT_EQ(co_await refusal(server_ctx(), client_ctx(), "127.0.0.2"),
              "IP address mismatch, certificate is not valid for '127.0.0.2'.");
    const auto expired = server_context(f.expired_cert, f.expired_key);
    EXPECT_EQ(co_await refusal(expired, client_ctx(), "localhost"), "certificate has expired");
    const auto self_signed = server_context(f.self_signed_cert, f.self_signed_key);
    EXPECT_EQ(co_await refusal(self_signed, client_ctx(), "localhost"), "self-signed certificate");
    // What the certificate names is accepted: its IP address, given or the host connected to.
    EXPECT_EQ(co_await refusal(server_ctx(), client_ctx(), "127.0.0.1"), "");
    EXPECT_EQ(co_await refusal(server_ctx(), client_ctx(), {}), "");
    // The CA given as text works as the file does.
    auto from_text =
        aio::ssl::create_default_context(aio::ssl::Purpose::SERVER_AUTH, "", "", f.ca_pem);
    EXPECT_EQ(co_await refusal(server_ctx(), from_text, "localhost"), "");
    // Verification off: anything goes (as Python's CERT_NONE).
    auto trusting = aio::ssl::SSLContext(aio::ssl::Side::client);
    trusting.set_check_hostname(false);
    trusting.set_verify_mode(aio::ssl::VerifyMode::CERT_NONE);
    EXPECT_EQ(co_await refusal(self_signed, trusting, {}), "");
}

AIO_TEST(TLS, ContextSettingsAreChecked) {
    auto ctx = aio::ssl::SSLContext(aio::ssl::Side::client);
    EXPECT_TRUE(ctx.check_hostname());
    EXPECT_EQ(ctx.verify_mode(), aio::ssl::VerifyMode::CERT_REQUIRED);
    EXPECT_THROW(ctx.set_verify_mode(aio::ssl::VerifyMode::CERT_NONE), std::invalid_argument);
    EXPECT_EQ(ctx.minimum_version(), aio::ssl::TLSVersion::TLSv1_2);
    ctx.set_minimum_version(aio::ssl::TLSVersion::TLSv1_3);
    EXPECT_EQ(ctx.minimum_version(), aio::ssl::TLSVersion::TLSv1_3);
    EXPECT_THROW(ctx.set_ciphers("NO-SUCH-CIPHER"), aio::ssl::SSLError);
    EXPECT_THROW(ctx.load_cert_chain("/nonexistent/cert.pem"), aio::ssl::SSLError);
    try {
        ctx.load_cert_chain(tls_files().server_cert, tls_files().expired_key);  // not its key
        ADD_FAILURE() << "a key that does not match was accepted";
    } catch (const aio::ssl::SSLError& e) {
        EXPECT_NE(std::string(e.what()).find("KEY_VALUES_MISMATCH"), std::string::npos) << e.what();
        EXPECT_EQ(e.code().category(), aio::ssl::ssl_category());
    }
    const auto server_options = tls_server(server_ctx());
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0, server_options);
    const auto port = server.sockets()[0].port();
    aio::ConnectOptions no_tls;
    no_tls.server_hostname = "localhost";  // meaningless without ssl
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", port, no_tls), std::invalid_argument);
    // A server's context cannot make a client connection.
    const auto wrong_side = tls_client(server_ctx());
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", port, wrong_side),
                 std::invalid_argument);
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, PlainTextToATlsPortIsRefusedQuietly) {
    const auto server_options = tls_server(server_ctx());
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0, server_options);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    writer.write("GET / HTTP/1.0\r\n\r\n");
    // The server answers with an alert (or nothing) and closes; its handler never starts and
    // nothing reaches the exception handler (the test would fail on a report).
    std::string answer;
    try {
        answer = co_await reader.read();
    } catch (const std::system_error&) {  // (a reset is as good as a close)
    }
    EXPECT_EQ(answer.find("HTTP"), std::string::npos);
    writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, AClientThatSaysNothingIsDroppedAfterTheHandshakeTimeout) {
    auto options = tls_server(server_ctx());
    options.ssl_handshake_timeout = 5s;
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0, options);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    const auto t0 = aio::get_running_loop().time();
    std::string got;
    try {
        got = co_await reader.read();  // EOF (or a reset) when the server gives up
    } catch (const std::system_error&) {
    }
    EXPECT_EQ(got, "");
    EXPECT_GE(aio::get_running_loop().time() - t0, 5s);
    writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, AServerThatNeverAnswersTimesTheClientOut) {
    // A plain server that reads and says nothing: the client's handshake never ends.
    auto mute = [](aio::StreamReader r, aio::StreamWriter) -> aio::Task<> { co_await r.read(); };
    auto server = co_await aio::start_server(mute, "127.0.0.1", 0);
    auto options = tls_client(client_ctx(), "localhost");
    options.ssl_handshake_timeout = 3s;
    const auto t0 = aio::get_running_loop().time();
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", server.sockets()[0].port(), options),
                 aio::TimeoutError);
    EXPECT_EQ(aio::get_running_loop().time() - t0, 3s);
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, ALostConnectionDuringTheHandshakeIsAnError) {
    // A server that closes at once: the client's handshake fails with a connection error.
    auto rude = [](aio::StreamReader, aio::StreamWriter w) -> aio::Task<> {
        w.close();
        co_return;
    };
    auto server = co_await aio::start_server(rude, "127.0.0.1", 0);
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", server.sockets()[0].port(),
                                               tls_client(client_ctx(), "localhost")),
                 std::system_error);
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, StartTlsUpgradesAPlainStream) {
    // The STARTTLS pattern (SMTP, IMAP): plain text first, then both ends upgrade.
    auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
        if (co_await r.readline() != "STARTTLS\n") co_return;
        w.write("GO\n");
        aio::ssl::StartTLSOptions server_side;
        server_side.server_side = true;
        co_await w.start_tls(server_ctx(), server_side);
        co_await echo_lines(r, w);
    };
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    writer.write("STARTTLS\n");
    EXPECT_EQ(co_await reader.readline(), "GO\n");
    EXPECT_FALSE(writer.transport()->get_extra_info<aio::ssl::CipherInfo>("cipher"));
    aio::ssl::StartTLSOptions client_side;
    client_side.server_hostname = "localhost";
    co_await writer.start_tls(client_ctx(), client_side);
    EXPECT_TRUE(writer.transport()->get_extra_info<aio::ssl::CipherInfo>("cipher"));
    writer.write("now secret\n");
    EXPECT_EQ(co_await reader.readline(), "now secret\n");
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
}

namespace {

using aio_test::MemoryTransport;

struct Collector : aio::Protocol {
    std::string got;
    bool eof = false, lost = false;
    std::exception_ptr lost_error;
    void data_received(std::string_view data) override { got += data; }
    bool eof_received() override {
        eof = true;
        return false;
    }
    void connection_lost(std::exception_ptr error) override {
        lost = true;
        lost_error = error;
    }
};

// Hands from's pending bytes to to's protocol in pieces of 1 to max_piece bytes; true if any.
bool deliver(MemoryTransport& from, MemoryTransport& to, std::mt19937& rng, std::size_t max_piece) {
    if (from.outbox.empty() || !to.protocol) return false;
    const std::string pending = std::exchange(from.outbox, {});
    std::uniform_int_distribution<std::size_t> piece(1, max_piece);
    for (std::size_t at = 0; at < pending.size();) {
        const std::size_t n = std::min(piece(rng), pending.size() - at);
        to.receive(std::string_view(pending).substr(at, n));
        at += n;
    }
    return true;
}

// Two TLS layers talking through memory: the test moves the bytes, in pieces of its choosing.
struct MemoryPair {
    std::shared_ptr<MemoryTransport> client_wire = std::make_shared<MemoryTransport>();
    std::shared_ptr<MemoryTransport> server_wire = std::make_shared<MemoryTransport>();
    std::shared_ptr<Collector> client_app = std::make_shared<Collector>();
    std::shared_ptr<Collector> server_app = std::make_shared<Collector>();
    std::shared_ptr<aio::Transport> client, server;  // the TLS layers, once their handshake is done
    std::mt19937 rng{20261207};
    std::size_t max_piece = 5000;

    // Moves bytes both ways each round until nothing is left; true if any moved.
    bool pump() {
        bool any = false;
        for (bool moved = true; moved; any = any || moved) {
            const bool up = deliver(*client_wire, *server_wire, rng, max_piece);
            const bool down = deliver(*server_wire, *client_wire, rng, max_piece);
            moved = up || down;
        }
        return any;
    }
    ~MemoryPair() {  // (the wires' protocols hold the TLS layers: let them go)
        client_wire->protocol.reset();
        server_wire->protocol.reset();
    }
};

aio::Task<> handshake(MemoryPair& pair, aio::ssl::SSLContext client_ctx,
                      aio::ssl::SSLContext server_ctx) {
    aio::ssl::StartTLSOptions as_client, as_server;
    as_client.server_hostname = "localhost";
    as_server.server_side = true;
    auto client =
        aio::create_task(aio::start_tls(pair.client_wire, pair.client_app, client_ctx, as_client));
    auto server =
        aio::create_task(aio::start_tls(pair.server_wire, pair.server_app, server_ctx, as_server));
    while (!client.done() || !server.done()) {
        deliver(*pair.client_wire, *pair.server_wire, pair.rng, pair.max_piece);
        deliver(*pair.server_wire, *pair.client_wire, pair.rng, pair.max_piece);
        co_await aio::sleep(0s);
    }
    pair.client = co_await client;
    pair.server = co_await server;
}

SSL* ssl_object(const std::shared_ptr<aio::Transport>& tls) {
    return std::any_cast<SSL*>(tls->get_extra_info("ssl_object"));
}

}  // namespace

AIO_TEST(TLSRecords, AnySplitOfTheRecordsDecryptsToTheSameBytes) {
    std::uniform_int_distribution<int> byte(0, 255);
    for (const std::size_t max_piece : {1, 2, 7, 100, 5000}) {
        MemoryPair pair;
        pair.max_piece = max_piece;
        co_await handshake(pair, client_context(), server_context());
        // Random bytes both ways, written in random pieces, delivered in random pieces.
        std::string up, down;
        for (int i = 0; i < 30'000; ++i) {
            up += static_cast<char>(byte(pair.rng));
            down += static_cast<char>(byte(pair.rng));
        }
        for (std::size_t at = 0; at < up.size(); at += 1 + at % 4000) {
            pair.client->write(std::string_view(up).substr(at, 1 + at % 4000));
            pair.server->write(std::string_view(down).substr(at, 1 + at % 4000));
        }
        pair.pump();
        EXPECT_TRUE(pair.server_app->got == up)
            << "client to server, pieces of up to " << max_piece;
        EXPECT_TRUE(pair.client_app->got == down)
            << "server to client, pieces of up to " << max_piece;
        // close(): close_notify, which the other end reads as the end of the stream.
        pair.client->close();
        pair.pump();
        EXPECT_TRUE(pair.server_app->eof);
        EXPECT_TRUE(pair.client_wire->closed);
        pair.server->abort();
    }
}

AIO_TEST(TLSRecords, ARecordCutShortByTheEndIsNotDelivered) {
    // The peer's socket ends in the middle of a record: none of that record reaches the
    // application (its authentication tag never came), and the connection ends.
    MemoryPair pair;
    co_await handshake(pair, client_context(), server_context());
    pair.client->write("whole\n");
    pair.pump();
    pair.client->write("cut short\n");
    std::string record = std::exchange(pair.client_wire->outbox, {});
    auto* wire = static_cast<aio::Protocol*>(pair.server_wire->protocol.get());
    wire->data_received(std::string_view(record).substr(0, record.size() - 5));
    EXPECT_FALSE(wire->eof_received());  // (no half-open TLS: the layer below closes)
    wire->connection_lost(nullptr);
    co_await aio::sleep(0s);
    EXPECT_EQ(pair.server_app->got, "whole\n");
    EXPECT_TRUE(pair.server_app->lost);
}

AIO_TEST(TLSRecords, AKeyUpdateMidStreamKeepsTheConnection) {
    // TLS 1.3: the client asks for new keys both ways; the server answers with its own update
    // on its next write, and data flows on under the new keys.
    MemoryPair pair;
    co_await handshake(pair, client_context(), server_context());
    pair.client->write("before\n");
    pair.pump();
    AIO_ASSERT_EQ(SSL_key_update(ssl_object(pair.client), SSL_KEY_UPDATE_REQUESTED), 1);
    pair.client->write("after\n");
    pair.pump();
    EXPECT_EQ(pair.server_app->got, "before\nafter\n");
    pair.server->write("answer\n");
    pair.pump();
    EXPECT_EQ(pair.client_app->got, "answer\n");
    EXPECT_FALSE(pair.client_wire->closed);
    EXPECT_FALSE(pair.server_wire->closed);
    pair.client->close();
    pair.pump();
    EXPECT_TRUE(pair.server_app->eof);
}

AIO_TEST(TLSRecords, ARenegotiationIsRefusedCleanly) {
    // TLS 1.2 allows a renegotiation mid-stream; aio's contexts refuse it (as Python's do). The
    // client that asks gets a no_renegotiation alert and its connection ends with an SSLError
    // saying so; the server's goes on, with nothing looping or hanging.
    auto client_ctx = client_context();
    client_ctx.set_maximum_version(aio::ssl::TLSVersion::TLSv1_2);
    MemoryPair pair;
    co_await handshake(pair, client_ctx, server_context());
    EXPECT_EQ(pair.client->get_extra_info<aio::ssl::CipherInfo>("cipher")->version, "TLSv1.2");
    // (aio's own client would not ask either: this one is made to, as another library's might)
    SSL_clear_options(ssl_object(pair.client), SSL_OP_NO_RENEGOTIATION);
    AIO_ASSERT_EQ(SSL_renegotiate(ssl_object(pair.client)), 1);
    pair.client->write("during\n");
    pair.pump();
    co_await aio::sleep(0s);  // (connection_lost comes on the loop's next turn)
    AIO_ASSERT_TRUE(pair.client_app->lost);
    try {
        std::rethrow_exception(pair.client_app->lost_error);
    } catch (const aio::ssl::SSLError& e) {
        EXPECT_NE(std::string(e.what()).find("no renegotiation"), std::string::npos) << e.what();
    } catch (...) {
        ADD_FAILURE() << "not an SSLError";
    }
    EXPECT_TRUE(pair.client_wire->closed);
    EXPECT_FALSE(pair.server_wire->closed);
    EXPECT_FALSE(pair.server_app->lost);
    // The server still answers on its side; its peer is gone, as it would be over a socket.
    pair.server->write("still here\n");
    EXPECT_FALSE(pair.server_wire->outbox.empty());
    pair.server->abort();
}

namespace {
std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}
}  // namespace

AIO_TEST(TLS, AThousandHandshakesThatVanishLeaveNothingBehind) {
    const auto options = tls_server(server_ctx());
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0, options);
    const auto address = server.sockets()[0];
    const std::size_t fds_before = open_fds();
    // Each client starts a handshake (a real ClientHello, cut short) and goes away.
    std::string hello;
    {
        auto wire = std::make_shared<MemoryTransport>();
        aio::ssl::StartTLSOptions as_client;
        as_client.server_hostname = "localhost";
        auto attempt = aio::create_task(
            aio::start_tls(wire, std::make_shared<Collector>(), client_context(), as_client));
        co_await aio::sleep(0s);
        hello = wire->outbox;
        attempt.cancel();
        EXPECT_THROW(co_await attempt, aio::CancelledError);
        wire->protocol.reset();
    }
    AIO_ASSERT_TRUE(hello.size() > 100);
    for (int i = 0; i < 1000; ++i) {
        auto sock = aio::Socket::create(AF_INET, SOCK_STREAM);
        co_await aio::sock_connect(sock, address);
        co_await aio::sock_sendall(sock, std::string_view(hello).substr(0, 1 + i % 100));
        sock.close();
    }
    // The server lets every one of them go: no connection, no handler, no descriptor left.
    AIO_ASSERT_TRUE(co_await aio_test::eventually([&] { return open_fds() == fds_before; }));
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, AlpnAndSniChooseWhatTheClientAskedFor) {
    const auto& f = tls_files();
    // The server picks a certificate by the name the client asks for: the self-signed one for
    // "other.test" (which the client then refuses), the CA's for everything else.
    auto server_ctx = server_context();
    const auto other = server_context(f.self_signed_cert, f.self_signed_key);
    std::vector<std::string> names_seen;
    server_ctx.set_sni_callback([&](std::string_view name) -> std::optional<aio::ssl::SSLContext> {
        names_seen.emplace_back(name);
        if (name == "other.test") return other;
        return std::nullopt;
    });
    server_ctx.set_alpn_protocols({"h2", "http/1.1"});
    const auto options = tls_server(server_ctx);
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0, options);
    const auto port = server.sockets()[0].port();

    auto client_ctx = client_context();
    client_ctx.set_alpn_protocols({"http/1.1", "spdy/1"});
    const auto as_localhost = tls_client(client_ctx, "localhost");
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", port, as_localhost);
    EXPECT_EQ(writer.transport()->get_extra_info<std::string>("selected_alpn_protocol"),
              "http/1.1");
    writer.close();
    co_await writer.wait_closed();

    const auto as_other = tls_client(client_ctx, "other.test");
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", port, as_other),
                 aio::ssl::SSLCertVerificationError);
    EXPECT_EQ(names_seen, (std::vector<std::string>{"localhost", "other.test"}));
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, APeerThatClosesWithoutCloseNotifyEndsTheStream) {
    // The server's handler sends a line and drops the socket with no close_notify (an abort of
    // the TLS layer): the client reads the line, then the end of the stream, as asyncio reports
    // a missing close_notify (connection_lost without an error).
    auto handler = [](aio::StreamReader, aio::StreamWriter w) -> aio::Task<> {
        w.write("last words\n");
        co_await w.drain();
        co_await aio::sleep(10ms);
        w.transport()->abort();
    };
    const auto options = tls_server(server_ctx());
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0, options);
    const auto client_options = tls_client(client_ctx(), "localhost");
    auto [reader, writer] =
        co_await aio::open_connection("127.0.0.1", server.sockets()[0].port(), client_options);
    EXPECT_EQ(co_await reader.readline(), "last words\n");
    std::string rest;
    try {
        rest = co_await reader.read();
    } catch (const std::system_error&) {  // (a reset, if the abort came as one)
    }
    EXPECT_EQ(rest, "");
    writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, ASecondConnectionResumesTheSession) {
    const auto server_context_here = server_context();  // (its own session ticket keys)
    const auto options = tls_server(server_context_here);
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0, options);
    const auto client = client_context();
    const auto client_options = tls_client(client, "localhost");
    std::vector<bool> reused;
    for (int i = 0; i < 3; ++i) {
        auto [reader, writer] =
            co_await aio::open_connection("127.0.0.1", server.sockets()[0].port(), client_options);
        writer.write("hi\n");
        EXPECT_EQ(co_await reader.readline(), "hi\n");  // (the ticket comes with the answer)
        reused.push_back(*writer.transport()->get_extra_info<bool>("session_reused"));
        writer.close();
        co_await writer.wait_closed();
    }
    EXPECT_EQ(reused, (std::vector<bool>{false, true, true}));
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, AServerThatRequiresClientCertificates) {
    const auto& f = tls_files();
    auto server_ctx = server_context();
    server_ctx.load_verify_locations(f.ca_cert);
    server_ctx.set_verify_mode(aio::ssl::VerifyMode::CERT_REQUIRED);
    std::vector<std::string> clients_seen;
    auto handler = [&](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
        const auto cert = w.transport()->get_extra_info<aio::ssl::PeerCertificate>("peercert");
        clients_seen.push_back(cert ? cert->subject : "");
        co_await echo_lines(r, w);
    };
    const auto options = tls_server(server_ctx);
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0, options);
    const auto port = server.sockets()[0].port();

    // With a certificate the CA signed: served, and the server sees who it is.
    auto with_cert = client_context();
    with_cert.load_cert_chain(f.server_cert, f.server_key);
    const auto as_known = tls_client(with_cert, "localhost");
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", port, as_known);
    writer.write("me\n");
    EXPECT_EQ(co_await reader.readline(), "me\n");
    writer.close();
    co_await writer.wait_closed();

    // Without one: the server's alert reaches the client (in TLS 1.3 after the client's side of
    // the handshake is done, so at its first read) as an SSLError naming it.
    const auto as_anonymous = tls_client(client_ctx(), "localhost");
    auto [reader2, writer2] = co_await aio::open_connection("127.0.0.1", port, as_anonymous);
    try {
        co_await reader2.read();
        ADD_FAILURE() << "a client without a certificate was served";
    } catch (const aio::ssl::SSLError& e) {
        EXPECT_NE(std::string(e.what()).find("CERTIFICATE_REQUIRED"), std::string::npos)
            << e.what();
    }
    writer2.close();
    EXPECT_EQ(clients_seen.size(), 1u);
    AIO_ASSERT_TRUE(!clients_seen.empty());
    EXPECT_NE(clients_seen[0].find("CN=localhost"), std::string::npos) << clients_seen[0];
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, OverUnixSockets) {
    const std::string path = "/tmp/aio-tls-test-" + std::to_string(::getpid()) + ".sock";
    const auto options = tls_server(server_ctx());
    auto server = co_await aio::start_unix_server(echo_lines, path, options);
    // A path is no host name: the name the certificate is checked against is needed.
    const auto nameless = tls_client(client_ctx());
    EXPECT_THROW(co_await aio::open_unix_connection(path, nameless), std::invalid_argument);
    const auto named = tls_client(client_ctx(), "localhost");
    auto [reader, writer] = co_await aio::open_unix_connection(path, named);
    writer.write("over a path\n");
    EXPECT_EQ(co_await reader.readline(), "over a path\n");
    writer.close();
    co_await writer.wait_closed();
    struct Quiet : aio::Protocol {};
    auto conn =
        co_await aio::create_unix_connection([] { return std::make_shared<Quiet>(); }, path, named);
    EXPECT_TRUE(conn.transport->get_extra_info<aio::ssl::CipherInfo>("cipher"));
    conn.transport->close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, OverSocketsConnectedSomeOtherWay) {
    // asyncio's sock= forms: create_connection / open_connection on a socket connected by hand,
    // connect_accepted_socket on one accepted by hand, each with ssl.
    auto listener = aio::Socket::create(AF_INET);
    listener.bind(aio::SocketAddress::parse("127.0.0.1", 0));
    listener.listen(4);
    const auto address = listener.getsockname();
    struct Echo : aio::Protocol {
        aio::Transport* t = nullptr;
        void connection_made(aio::Transport& transport) override { t = &transport; }
        void data_received(std::string_view data) override { t->write(data); }
    };
    const auto server_options = tls_server(server_ctx());
    auto serve_one = [&]() -> aio::Task<aio::Connection> {
        auto [conn, peer] = co_await aio::sock_accept(listener);
        co_return co_await aio::connect_accepted_socket([] { return std::make_shared<Echo>(); },
                                                        std::move(conn), server_options);
    };
    auto connect_one = [&]() -> aio::Task<aio::Socket> {
        auto sock = aio::Socket::create(AF_INET);
        co_await aio::sock_connect(sock, address);
        co_return sock;
    };

    // Streams, then a protocol, each against a server-side connect_accepted_socket.
    const auto named = tls_client(client_ctx(), "localhost");
    auto served = aio::create_task(serve_one());
    auto [reader, writer] = co_await aio::open_connection(co_await connect_one(), named);
    auto server_side = co_await served;
    EXPECT_TRUE(server_side.transport->get_extra_info<aio::ssl::CipherInfo>("cipher"));
    // (the client sent no certificate: Python's None)
    EXPECT_FALSE(server_side.transport->get_extra_info<aio::ssl::PeerCertificate>("peercert"));
    writer.write("by hand\n");
    EXPECT_EQ(co_await reader.readline(), "by hand\n");
    writer.close();
    co_await writer.wait_closed();

    struct LineCollector : Collector {
        aio::Future<> line;
        void data_received(std::string_view data) override {
            Collector::data_received(data);
            if (got.find('\n') != std::string::npos && !line.done()) line.set_result();
        }
    };
    served = aio::create_task(serve_one());
    auto client = co_await aio::create_connection([] { return std::make_shared<LineCollector>(); },
                                                  co_await connect_one(), named);
    co_await served;
    client.transport->write("twice\n");
    auto* collector = static_cast<LineCollector*>(client.protocol.get());
    co_await collector->line;
    EXPECT_EQ(collector->got, "twice\n");
    client.transport->close();

    // A socket is no host name either: a context that checks names needs server_hostname.
    const auto nameless = tls_client(client_ctx());
    EXPECT_THROW(co_await aio::open_connection(co_await connect_one(), nameless),
                 std::invalid_argument);
    co_await aio::sock_accept(listener);  // (that connection, closed already)
    // A server's handshake that fails (a plain-text client) is raised to its caller.
    served = aio::create_task(serve_one());
    auto [plain_reader, plain_writer] = co_await aio::open_connection(co_await connect_one());
    plain_writer.write("GET / HTTP/1.0\r\n\r\n");
    EXPECT_THROW(co_await served, aio::ssl::SSLError);
    plain_writer.close();
}

AIO_TEST(TLS, AnUnverifiedCertificateIsNotDescribed) {
    // As Python's getpeercert(): {} when the context does not verify, None when there is none.
    auto trusting = aio::ssl::create_default_context(aio::ssl::Purpose::SERVER_AUTH);
    trusting.set_check_hostname(false);
    trusting.set_verify_mode(aio::ssl::VerifyMode::CERT_NONE);
    const auto server_options = tls_server(server_ctx());
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0, server_options);
    const auto client_options = tls_client(trusting);
    auto [reader, writer] =
        co_await aio::open_connection("127.0.0.1", server.sockets()[0].port(), client_options);
    const auto cert = writer.transport()->get_extra_info<aio::ssl::PeerCertificate>("peercert");
    AIO_ASSERT_TRUE(cert.has_value());
    EXPECT_EQ(cert->subject, "");
    EXPECT_EQ(cert->pem, "");
    writer.write("unverified\n");
    EXPECT_EQ(co_await reader.readline(), "unverified\n");
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(TLS, ACloseThatThePeerNeverTakesEndsAfterTheShutdownTimeout) {
    // The server writes more than the sockets hold and closes; its client has stopped reading,
    // so neither the data nor the close_notify can leave. After ssl_shutdown_timeout the server
    // gives up and aborts the connection.
    struct Flood : aio::Protocol {
        aio::Future<> lost;
        void connection_made(aio::Transport& t) override {
            t.write(std::string(16 << 20, 'x'));
            t.close();
        }
        void connection_lost(std::exception_ptr) override { lost.set_result(); }
    };
    struct Deaf : aio::Protocol {
        void connection_made(aio::Transport& t) override { t.pause_reading(); }
    };
    auto flood = std::make_shared<Flood>();
    auto options = tls_server(server_ctx());
    options.ssl_shutdown_timeout = 7s;
    auto server = co_await aio::create_server([&] { return flood; }, "127.0.0.1", 0, options);
    const auto t0 = aio::get_running_loop().time();
    auto client = co_await aio::create_connection([] { return std::make_shared<Deaf>(); },
                                                  "127.0.0.1", server.sockets()[0].port(),
                                                  tls_client(client_ctx(), "localhost"));
    co_await flood->lost;
    const auto waited = aio::get_running_loop().time() - t0;
    EXPECT_GE(waited, 7s);
    EXPECT_LT(waited, 8s);
    client.transport->abort();
    server.close();
    co_await server.wait_closed();
}
