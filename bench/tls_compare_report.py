"""bench/tls_compare's report: medians over the repetitions of each server's rate, p99, CPU time
and system calls per request, and the ratios to the C + OpenSSL server measured in the same
repetition; then the TLS issue's targets checked. Markdown on stdout.
  tls_compare_report.py RAW.tsv REPEATS SECONDS"""
import collections
import statistics
import sys

raw, repeats, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
LABEL = {
    "tls_c_epoll": "C, epoll + OpenSSL (reference)",
    "tls_aio_epoll": "**aio streams, epoll**",
    "tls_aio_io_uring": "**aio streams, io_uring**",
    "tls_go": "Go crypto/tls, GOMAXPROCS=1",
    "tls_node": "Node.js tls",
    "tls_uvloop_streams": "uvloop, streams, ssl",
    "tls_asyncio_streams": "asyncio, streams, ssl",
}
REFERENCE = "tls_c_epoll"
# mode -> server -> repetition -> (rps, p99, cpu_us, syscalls, rss)
runs = collections.defaultdict(lambda: collections.defaultdict(dict))
order = []
with open(raw) as f:
    for line in f:
        mode, server, rep, rps, p99, cpu, calls, rss = line.rstrip("\n").split("\t")
        if not rps:
            continue
        runs[mode][server][int(rep)] = tuple(map(float, (rps, p99, cpu, calls, rss)))
        if server not in order:
            order.append(server)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def per_run_ratio(mode, server, k):
    """Median over repetitions of server's figure k over the reference's in the same one."""
    mine, ref = runs[mode][server], runs[mode].get(REFERENCE, {})
    return median([mine[r][k] / ref[r][k] for r in mine if r in ref and ref[r][k] > 0])


TITLE = {"echo": "TLS echo, 1 KiB messages, 100 connections",
         "handshakes": "New connections (full TLS 1.3 handshake, 16 B echo, close_notify), 20 at a time"}
print("# aio's TLS servers beside their peers\n")
print("bench/tls_compare %s %s: medians of %s interleaved runs of %s s each; server on CPU 0, "
      "bench/tls_loadgen on CPU 1; TLS 1.3, TLS_AES_128_GCM_SHA256, X25519, RSA 2048 "
      "certificate. CPU is the server's user + system time per request (per connection in the "
      "handshake load); ratios are taken within each repetition.\n" % (repeats, seconds, repeats, seconds))
verdicts = []
for mode in runs:
    unit = "conn/s" if mode == "handshakes" else "req/s"
    print("## %s\n" % TITLE.get(mode, mode))
    print("| server | %s | × C | p99 µs | CPU µs/req | CPU × C | syscalls/req | peak RSS KiB |" % unit)
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for server in order:
        rs = runs[mode].get(server)
        if not rs:
            continue
        m = [median([v[k] for v in rs.values()]) for k in range(5)]
        print("| %s | %.0f | %.2f | %.0f | %.1f | %.2f | %.2f | %.0f |" % (
            LABEL.get(server, server), m[0], per_run_ratio(mode, server, 0), m[1], m[2],
            per_run_ratio(mode, server, 2), m[3], m[4]))
    print()
    for aio in ("tls_aio_epoll", "tls_aio_io_uring"):
        if aio not in runs[mode] or REFERENCE not in runs[mode]:
            continue
        if mode == "echo":
            got = per_run_ratio(mode, aio, 2)
            verdicts.append("%s, echo: CPU per request %.2f× the C server's (target ≤ 1.10): %s"
                            % (aio, got, "met" if got <= 1.10 else "NOT met"))
        else:
            got = per_run_ratio(mode, aio, 0)
            verdicts.append("%s, handshakes: %.2f× the C server's connections/s (target ≥ 0.95): %s"
                            % (aio, got, "met" if got >= 0.95 else "NOT met"))
        others = [s for s in runs[mode] if s not in (REFERENCE, "tls_aio_epoll", "tls_aio_io_uring")]
        k = 2 if mode == "echo" else 0
        mine = median([v[k] for v in runs[mode][aio].values()])
        for o in others:
            theirs = median([v[k] for v in runs[mode][o].values()])
            ahead = mine < theirs if k == 2 else mine > theirs
            verdicts.append("%s ahead of %s, %s: %s" % (aio, o, mode, "yes" if ahead else "NO"))
print("## Targets (TLS issue)\n")
for v in verdicts:
    print("- " + v)
