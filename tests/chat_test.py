"""examples/chat_server and chat_client against Python asyncio clients (and a `websockets` one):
nicknames and their clashes, the commands and the bot, 50 clients in one room (each message to
every other client, in order per sender), a client that never reads (dropped; the others
unaffected; the server's memory bounded), abrupt disconnects, the terminal client, shutdown.
  chat_test.py CHAT_SERVER CHAT_CLIENT"""
import asyncio
import os
import re
import signal
import socket
import struct
import sys

import websockets

SERVER, CLIENT = sys.argv[1], sys.argv[2]
WELCOME = "Welcome to the aio chat room! What is your nickname?"


class Client:
    """A room member over TCP: lines in, lines out."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port, nick=None, rcvbuf=None):
        sock = None
        if rcvbuf:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.connect(("127.0.0.1", port))
            sock.setblocking(False)
            reader, writer = await asyncio.open_connection(sock=sock)
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self = cls(reader, writer)
        if nick:
            assert await self.line() == WELCOME
            self.send(nick)
            hello = await self.line()
            assert hello.startswith("* Hello " + nick + ". Here: "), hello
        return self

    async def line(self):
        async with asyncio.timeout(20):
            data = await self.reader.readline()
        return data.decode().rstrip("\n")

    async def until(self, wanted):
        """Reads lines until `wanted`; returns those before it."""
        seen = []
        while (line := await self.line()) != wanted:
            assert line, "the connection ended before %r; saw %r" % (wanted, seen[-5:])
            seen.append(line)
        return seen

    def send(self, text):
        self.writer.write((text + "\n").encode())

    def close(self):
        self.writer.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


async def nicknames_and_commands(port):
    alice = await Client.connect(port, "alice")
    bob = await Client.connect(port)
    assert await bob.line() == WELCOME
    bob.send("alice")
    assert await bob.line() == "Sorry, alice is taken. Another?"
    bob.send("not valid")
    assert await bob.line() == "Nicknames are 1 to 20 letters, digits, _ or -. Another?"
    bob.send("bot")
    assert await bob.line() == "Nicknames are 1 to 20 letters, digits, _ or -. Another?"
    bob.send("bob")
    assert await bob.line() == "* Hello bob. Here: alice. Commands: /who, /nick NEW, /quit; !help for the bot."
    assert await alice.line() == "* bob has joined"

    alice.send("hi bob")
    assert await bob.line() == "alice: hi bob"
    bob.send("/who")
    assert await bob.line() == "* Here: alice, bob"
    bob.send("/nick alice")
    assert await bob.line() == "* Sorry, alice is taken."
    bob.send("/nick carol")
    assert await alice.line() == "* bob is now carol"
    assert await bob.line() == "* bob is now carol"
    bob.send("/dance")
    assert await bob.line() == "* Unknown command /dance. Commands: /who, /nick NEW, /quit"
    bob.send("!time")
    assert await alice.line() == "carol: !time"
    assert re.fullmatch(r"bot: It is \d\d:\d\d:\d\d UTC\.", await alice.line())
    assert re.fullmatch(r"bot: It is \d\d:\d\d:\d\d UTC\.", await bob.line())
    alice.send("!help")
    assert await bob.line() == "alice: !help"
    assert await bob.line() == "bot: I answer !time (the time, UTC) and !help."
    assert await alice.line() == "bot: I answer !time (the time, UTC) and !help."
    bob.send("/quit")
    assert await bob.line() == "* Bye!"
    assert await bob.line() == ""  # closed by the server
    assert await alice.line() == "* carol has left"
    alice.send("/quit")
    await alice.until("* Bye!")
    alice.close()
    bob.close()
    print("nicknames, commands and the bot: ok")


async def fifty_clients(port):
    n, per_sender = 50, 20
    clients = []
    for i in range(n):
        clients.append(await Client.connect(port, "c%02d" % i))
    # Each hears the others join; the last to join hears nobody.
    for i, c in enumerate(clients):
        await c.until("* c%02d has joined" % (n - 1)) if i < n - 1 else None

    async def talk_and_listen(i, c):
        for k in range(per_sender):
            c.send("c%02d says %d" % (i, k))
        await c.writer.drain()
        got = {}
        while sum(len(v) for v in got.values()) < (n - 1) * per_sender:
            line = await c.line()
            sender, _, text = line.partition(": ")
            assert sender != "c%02d" % i, "own message echoed: " + line
            got.setdefault(sender, []).append(text)
        for sender, texts in got.items():
            assert texts == ["%s says %d" % (sender, k) for k in range(per_sender)], (sender, texts)
        assert len(got) == n - 1

    await asyncio.gather(*(talk_and_listen(i, c) for i, c in enumerate(clients)))
    for c in clients:
        c.close()
    print("50 clients, %d messages each, all delivered in order: ok" % per_sender)


async def stalled_client(port, server_pid):
    watcher = await Client.connect(port, "watcher")
    sloth = await Client.connect(port, "sloth", rcvbuf=4096)  # then never reads
    flood = await Client.connect(port, "flood")
    await watcher.until("* flood has joined")
    rss_before = rss_kib(server_pid)
    # 40 MB in rounds of 1 MB, each read by the watcher before the next is sent (a room where
    # everyone else keeps up).
    rounds, per_round, text = 40, 500, "x" * 1900
    seen = 0
    dropped = False
    for r in range(rounds):
        for k in range(r * per_round, (r + 1) * per_round):
            flood.send("%d %s" % (k, text))
        await flood.writer.drain()
        while seen < (r + 1) * per_round:
            line = await watcher.line()
            if line == "* sloth was disconnected: too far behind":
                dropped = True
                continue
            assert line == "flood: %d %s" % (seen, text), line[:40]
            seen += 1
    assert dropped, "the stalled client was not dropped"
    growth = rss_kib(server_pid) - rss_before
    assert growth < 32 * 1024, "the server grew by %d KiB" % growth
    # The stalled client's connection is gone: its reads end (after what the kernel held).
    async with asyncio.timeout(20):
        while await sloth.reader.read(1 << 20):
            pass
    for c in (watcher, sloth, flood):
        c.close()
    print("a client that never reads: dropped, the others unaffected, the server grew %d KiB: ok"
          % growth)


async def abrupt_disconnects(port):
    stay = await Client.connect(port, "stay")
    ghost = await Client.connect(port, "ghost")
    await stay.until("* ghost has joined")
    # A reset, not a close.
    ghost.writer.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ghost.writer.transport.abort()
    assert await stay.line() == "* ghost has left"
    # One that goes before choosing a name, and one in the middle of a line.
    early = await Client.connect(port)
    early.writer.transport.abort()
    half = await Client.connect(port, "half")
    assert await stay.line() == "* half has joined"
    half.writer.write(b"no newline")
    half.close()
    assert await stay.line() == "half: no newline"
    assert await stay.line() == "* half has left"
    again = await Client.connect(port, "ghost")  # the name is free again
    assert await stay.line() == "* ghost has joined"
    again.close()
    stay.close()
    print("abrupt disconnects: ok")


async def browser_and_terminal(port, web_port):
    term = await Client.connect(port, "term")
    async with websockets.connect("ws://127.0.0.1:%d/ws" % web_port) as ws:
        assert await ws.recv() == WELCOME
        await ws.send("web")
        assert (await ws.recv()).startswith("* Hello web. Here: ")
        # (Leaves from the last test may still be on their way.)
        await term.until("* web has joined")
        await ws.send("hello from the web")
        assert await term.line() == "web: hello from the web"
        term.send("hello from a terminal")
        assert await ws.recv() == "term: hello from a terminal"
    await term.until("* web has left")
    term.close()
    print("a WebSocket member and a terminal one in one room: ok")


async def terminal_client(port):
    observer = await Client.connect(port, "observer")
    proc = await asyncio.create_subprocess_exec(
        CLIENT, "--port", str(port), "--nick", "dave",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert (await proc.stdout.readline()).decode() == WELCOME + "\n"
    assert (await proc.stdout.readline()).decode().startswith("* Hello dave. Here: ")
    await observer.until("* dave has joined")
    proc.stdin.write(b"hello from chat_client\n")
    await proc.stdin.drain()
    assert await observer.line() == "dave: hello from chat_client"
    observer.send("hi dave")
    assert (await proc.stdout.readline()).decode() == "observer: hi dave\n"
    proc.stdin.close()  # the end of stdin: the client says /quit
    async with asyncio.timeout(20):
        rest = (await proc.stdout.read()).decode()
        assert rest == "* Bye!\n", rest
        assert await proc.wait() == 0
    assert await observer.line() == "* dave has left"
    observer.close()
    print("chat_client: ok")


async def shutdown(server, port):
    a = await Client.connect(port, "a")
    b = await Client.connect(port, "b")
    await a.until("* b has joined")
    server.send_signal(signal.SIGTERM)
    for c in (a, b):
        await c.until("* The server is shutting down. Bye!")
        assert await c.line() == ""
    async with asyncio.timeout(20):
        assert await server.wait() == 0
    assert (await server.stdout.read()).decode() == "Shut down\n"
    print("shutdown on SIGTERM: ok")


async def main():
    # (Under AddressSanitizer freed memory waits in a quarantine, 256 MB by default, which the
    # memory check would count.)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"
    server = await asyncio.create_subprocess_exec(
        SERVER, "--port", "0", "--web-port", "0", stdout=asyncio.subprocess.PIPE, env=env)
    try:
        async with asyncio.timeout(20):
            serving = (await server.stdout.readline()).decode()
            web = (await server.stdout.readline()).decode()
        port = int(re.fullmatch(r"Serving on 127\.0\.0\.1:(\d+)\n", serving).group(1))
        web_port = int(re.fullmatch(r"Web page on http://127\.0\.0\.1:(\d+)/\n", web).group(1))
        await nicknames_and_commands(port)
        await fifty_clients(port)
        await stalled_client(port, server.pid)
        await abrupt_disconnects(port)
        await browser_and_terminal(port, web_port)
        await terminal_client(port)
        await shutdown(server, port)
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()


asyncio.run(main())
