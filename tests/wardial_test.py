"""examples/wardial (and wardial.py, the asyncio original) against listeners this test opens:
50 on random ports found by a scan of all 65,535, a /29 network, a banner, IPv6, and the
targets and arguments it must refuse.

The listeners are on 127.A.B.42, A and B drawn at random, not on 127.0.0.1: other tests running
beside this one (this one on the other backend too) listen on loopback and would be found.
Only a listener on a wildcard address (0.0.0.0, ::) reaches this address as well; those are read
from /proc/net/tcp* and allowed.
  wardial_test.py WARDIAL WARDIAL_PY"""
import asyncio
import os
import random
import socket
import subprocess
import sys

WARDIAL, WARDIAL_PY = sys.argv[1], sys.argv[2]
rng = random.Random(os.getpid())
NET = "127.%d.%d." % (rng.randrange(1, 255), rng.randrange(1, 255))
HOST = NET + "42"


def listen(host, family=socket.AF_INET, port=0):
    s = socket.socket(family)
    s.bind((host, port))
    s.listen(100)
    return s


def wildcard_listeners():
    """Ports listened on at 0.0.0.0 or :: (any loopback address reaches them)."""
    ports = set()
    for name, wildcard in (("/proc/net/tcp", "00000000"), ("/proc/net/tcp6", "0" * 32)):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    local, state = line.split()[1], line.split()[3]
                    address, port = local.split(":")
                    if state == "0A" and address == wildcard:
                        ports.add(int(port, 16))
        except FileNotFoundError:
            pass
    return ports


def run(*args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def open_ports(out, host=HOST):
    found = set()
    for line in out.splitlines():
        address, _, rest = line.rpartition(":")
        assert rest.endswith(" open") or "  " in rest, line
        if address == host:
            found.add(int(rest.split()[0]))
    return found


def full_scan():
    listeners = [listen(HOST) for _ in range(50)]
    ours = {s.getsockname()[1] for s in listeners}
    before = wildcard_listeners()
    r = run(WARDIAL, HOST, "--ports", "1-65535")
    after = wildcard_listeners()
    assert r.returncode == 0, r.stderr
    found = open_ports(r.stdout)
    assert ours <= found, "missed: %s" % sorted(ours - found)
    assert found - ours <= before | after, "not listening: %s" % sorted(found - ours - before - after)
    lines = r.stdout.splitlines()
    assert lines == ["%s:%d open" % (HOST, p) for p in sorted(found)], "not sorted"
    assert r.stderr.startswith("65535 ports tried in "), r.stderr
    assert r.stderr.rstrip().endswith(", %d open" % len(found)), r.stderr
    # The asyncio original reports the same, over a range around a few of them.
    lo = min(ours)
    window = "%d-%d" % (lo, min(lo + 3000, 65535))
    mine = run(WARDIAL, HOST, "--ports", window)
    theirs = run("/usr/bin/python3", WARDIAL_PY, HOST, "--ports", window)
    assert mine.returncode == theirs.returncode == 0, theirs.stderr
    assert mine.stdout == theirs.stdout, (mine.stdout, theirs.stdout)
    for s in listeners:
        s.close()
    print("a scan of all 65,535 ports found the 50 listeners (%d other: wildcard listeners): ok"
          % len(found - ours))


def network_and_banner():
    quiet = listen(NET + "41")
    port = quiet.getsockname()[1]
    talker = listen(NET + "45", port=port)  # the same port, another host of the /29

    async def serve_banner():
        server = await asyncio.start_server(banner, sock=listen(NET + "46", port=port))
        async with server:
            proc = await asyncio.create_subprocess_exec(
                WARDIAL, NET + "40/29", "--ports", "%d" % port, "--banner", "--timeout", "0.5",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await proc.communicate()
            return proc.returncode, out.decode(), err.decode()

    async def banner(reader, writer):
        writer.write(b"SSH-2.0-aio-test\r\n")
        await writer.drain()
        await reader.read()
        writer.close()

    status, out, err = asyncio.run(serve_banner())
    assert status == 0, err
    expected = [NET + "41:%d open" % port, NET + "45:%d open" % port,
                NET + "46:%d open  SSH-2.0-aio-test" % port]
    wild = port in wildcard_listeners()
    lines = [l for l in out.splitlines() if not (wild and l.split(":")[0] not in
                                                 (NET + "41", NET + "45", NET + "46"))]
    assert lines == expected, out
    assert err.startswith("8 ports tried in "), err
    quiet.close()
    talker.close()
    print("a /29 network, sorted, with a banner: ok")


def ipv6():
    try:
        six = listen("::1", socket.AF_INET6)
    except OSError as e:
        print("no IPv6 loopback here (%s): the IPv6 scan is not run" % e)
        return
    port = six.getsockname()[1]
    r = run(WARDIAL, "::1", "--ports", "%d,%d" % (port, port))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "[::1]:%d open\n[::1]:%d open\n" % (port, port), r.stdout
    six.close()
    print("IPv6: ok")


def refusals():
    for args, why in (
            (["10.1.2.3", "--ports", "80"], "is not loopback"),
            (["192.168.0.0/24", "--ports", "80"], "is not loopback"),
            (["2001:db8::1", "--ports", "80"], "is not loopback"),
            (["example.com", "--ports", "80"], "not an IP address"),
            (["127.0.0.1", "--ports", "0-10"], "bad port range"),
            (["127.0.0.1", "--ports", "10-5"], "bad port range"),
            (["127.0.0.1", "--ports", "x"], "bad port"),
            (["127.0.0.0/8", "--ports", "80"], "networks from /16 to /32 only"),
            (["127.0.0.1"], "--ports are needed"),
            (["127.0.0.1", "--ports", "80", "--concurrency", "0"], "--concurrency from 1"),
            (["127.0.0.1", "--ports", "80", "--bogus"], "unexpected argument")):
        r = run(WARDIAL, *args)
        assert r.returncode == 2 and why in r.stderr and r.stdout == "", (args, r.stderr)
    print("targets outside loopback and bad arguments refused: ok")


full_scan()
network_and_banner()
ipv6()
refusals()
