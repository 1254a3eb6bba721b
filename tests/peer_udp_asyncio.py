"""The UDP echo client of asyncio's documentation, made a check: Python's asyncio sends datagrams
to an aio datagram server (examples/udp_echo_server) and requires each back, byte for byte.
(No empty datagram: Python before 3.12 does not send one.)

    python3 peer_udp_asyncio.py PORT
"""
import asyncio
import sys

MESSAGES = [b"Hello World!", bytes(range(256)) * 4, b"x" * 60000]


class EchoClientProtocol(asyncio.DatagramProtocol):
    def __init__(self, on_done):
        self.received = []
        self.on_done = on_done

    def connection_made(self, transport):
        for message in MESSAGES:
            transport.sendto(message)

    def datagram_received(self, data, addr):
        self.received.append(data)
        if len(self.received) == len(MESSAGES):
            self.on_done.set_result(True)

    def error_received(self, exc):
        self.on_done.set_exception(exc)


async def main(port):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: EchoClientProtocol(done), remote_addr=("127.0.0.1", port))
    try:
        await asyncio.wait_for(done, 10)
    finally:
        transport.close()
    # Loopback keeps datagrams in order; each must come back whole.
    assert protocol.received == MESSAGES, [len(m) for m in protocol.received]
    print("udp client: %d datagrams echoed" % len(MESSAGES))


asyncio.run(main(int(sys.argv[1])))
