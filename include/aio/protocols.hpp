// Protocols (asyncio.protocols): the callbacks a transport calls. A connection's protocol is told
// when the connection is made and lost, gets the bytes as they arrive (Protocol: a view of them;
// BufferedProtocol: read into its own memory, with no copy by aio), hears the peer's EOF, and is
// asked to pause and resume writing by the transport's write-buffer water marks. Streams
// (StreamReader/StreamWriter) are one such protocol, as in asyncio.
#pragma once
#include <cstddef>
#include <exception>
#include <span>
#include <string_view>

namespace aio {

class DatagramTransport;
class SocketAddress;
class Transport;

// asyncio.BaseProtocol. Callbacks run on the loop, one at a time, in the order of the events.
class BaseProtocol {
  public:
    virtual ~BaseProtocol() = default;
    // The transport is ready; it stays valid until connection_lost() returns.
    virtual void connection_made(Transport& transport) { (void)transport; }
    // The connection is closed: exc is null for a normal close or EOF, else the error (a
    // std::system_error with the errno for a reset). Called exactly once.
    virtual void connection_lost(std::exception_ptr exc) { (void)exc; }
    // The transport's write buffer went over its high-water mark / back to its low-water mark.
    virtual void pause_writing() {}
    virtual void resume_writing() {}
    // The peer closed its sending side. Return true to keep the transport open (to go on
    // writing; close it yourself later), false to have it closed (asyncio's default).
    virtual bool eof_received() { return false; }
};

// asyncio.Protocol: data_received gets a view of the bytes that arrived, valid during the call.
class Protocol : public BaseProtocol {
  public:
    virtual void data_received(std::string_view data) { (void)data; }
};

// asyncio.BufferedProtocol: the transport reads straight into memory the protocol lends.
class BufferedProtocol : public BaseProtocol {
  public:
    // Memory to receive into (at least one byte); size_hint is how much the transport would
    // like (a hint only, as in asyncio).
    virtual std::span<char> get_buffer(std::size_t size_hint) = 0;
    // nbytes of that memory now hold data.
    virtual void buffer_updated(std::size_t nbytes) = 0;
};

// asyncio.DatagramProtocol. Its transport is a DatagramTransport, given to this connection_made
// (BaseProtocol's, for byte-stream transports, is not called).
class DatagramProtocol : public BaseProtocol {
  public:
    virtual void connection_made(DatagramTransport& transport) { (void)transport; }
    using BaseProtocol::connection_made;
    // One whole datagram and who sent it, valid during the call.
    virtual void datagram_received(std::string_view data, const SocketAddress& addr) {
        (void)data;
        (void)addr;
    }
    // A send or receive failed (a std::system_error: ECONNREFUSED from an ICMP port-unreachable
    // on a connected socket, EMSGSIZE, ...); the transport stays open.
    virtual void error_received(std::exception_ptr exc) { (void)exc; }
};

}  // namespace aio
