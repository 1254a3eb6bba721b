"""wardial with a thread pool in Python (the "threads" row of the talks' table): a
ThreadPoolExecutor of THREADS workers, each trying a port with a blocking connect and a timeout.
Prints "HOST:PORT open" for each, sorted, and a summary on stderr.
  wardial_threads.py HOST LO-HI [THREADS] [TIMEOUT_S]"""
import concurrent.futures
import socket
import sys
import time

host, (lo, hi) = sys.argv[1], map(int, sys.argv[2].split("-"))
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 500
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0


def probe(port):
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            # (A connection to itself, TCP's simultaneous open, is not a listener.)
            return port if s.getsockname() != s.getpeername() else None
    except OSError:
        return None


start = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
    found = [p for p in pool.map(probe, range(lo, hi + 1)) if p]
seconds = time.monotonic() - start
for port in found:
    print("%s:%d open" % (host, port))
print("%d ports tried in %.2f s (%.0f/s), %d open" % (hi - lo + 1, seconds, (hi - lo + 1) / seconds,
                                                      len(found)), file=sys.stderr)
