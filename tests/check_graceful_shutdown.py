"""check_graceful_shutdown.py BINARY SIGNAL: starts the graceful_shutdown example on a free
loopback port, opens two connections whose handlers are mid-work, sends SIGNAL (INT or TERM),
and checks that new connections are refused, both clients get their answers, and the server
exits 0 having printed what it should."""
import signal
import socket
import subprocess
import sys

binary, signame = sys.argv[1], sys.argv[2]
sig = getattr(signal, "SIG" + signame)
server = subprocess.Popen([binary, "0"], stdout=subprocess.PIPE, text=True)
try:
    first = server.stdout.readline()
    assert first.startswith("serving on 127.0.0.1:"), first
    port = int(first.rsplit(":", 1)[1])
    clients = []
    for i in range(2):
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.sendall(f"hello {i}\n".encode())
        clients.append(c)
    working = sorted(server.stdout.readline() for _ in clients)
    assert working == ["working on hello 0\n", "working on hello 1\n"], working

    server.send_signal(sig)
    line = server.stdout.readline()
    assert line == f"SIG{signame}: no new connections; 2 in flight\n", line
    try:
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
        raise AssertionError("a new connection was accepted after the signal")
    except ConnectionRefusedError:
        pass
    for i, c in enumerate(clients):
        answer = b""
        while chunk := c.recv(100):
            answer += chunk
        assert answer == f"HELLO {i}\n".encode(), answer
        c.close()
    rest = server.stdout.read().splitlines(keepends=True)
    assert sorted(rest[:2]) == ["answered HELLO 0\n", "answered HELLO 1\n"], rest
    assert rest[2:] == ["all handlers done, exiting\n"], rest
    assert server.wait(timeout=10) == 0, server.returncode
finally:
    if server.poll() is None:
        server.kill()
print("ok")
