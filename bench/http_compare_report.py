"""bench/http_compare's report: medians over the repetitions of each server's req/s, CPU time
and system calls per request, the ratios to hyper's measured in the same repetition, and the
HTTP issue's targets checked. Markdown on stdout.
  http_compare_report.py RAW.tsv REPEATS SECONDS"""
import collections
import statistics
import sys

raw, repeats, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
LABEL = {
    "http_c_epoll": "C, epoll, canned answers (the limit)",
    "http_aio_epoll": "**aio::http, epoll**",
    "http_aio_io_uring": "**aio::http, io_uring**",
    "http_hyper": "hyper 0.14 (Tokio current-thread)",
    "http_go": "Go net/http, GOMAXPROCS=1",
    "http_node": "Node.js http",
    "http_aiohttp": "aiohttp on uvloop",
    "http_beast": "Boost.Beast (Asio C++20 coroutines)",
}
REFERENCE = "http_hyper"
runs = collections.defaultdict(lambda: collections.defaultdict(dict))  # mode -> server -> rep -> figures
order = []
with open(raw) as f:
    for line in f:
        mode, server, rep, rps, cpu, calls, rss = line.rstrip("\n").split("\t")
        if not rps:
            continue
        runs[mode][server][int(rep)] = tuple(map(float, (rps, cpu, calls, rss)))
        if server not in order:
            order.append(server)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio(mode, server, k):
    """Median over repetitions of server's figure k over hyper's in the same repetition."""
    mine, ref = runs[mode][server], runs[mode].get(REFERENCE, {})
    return median([mine[r][k] / ref[r][k] for r in mine if r in ref and ref[r][k] > 0])


TITLE = {"plaintext": "plaintext: GET /plaintext, 256 connections",
         "pipelined": "plaintext pipelined: 16 requests per write, 256 connections",
         "json": "json: GET /json, 256 connections",
         "plaintext-bound": "plaintext, server-bound: as plaintext, the server held to half a core",
         "pipelined-bound": "pipelined, server-bound: as pipelined, the server held to half a core"}
print("# aio's HTTP server beside its peers\n")
print("bench/http_compare %s %s: medians of %s interleaved runs of %s s each; the server on CPU 0, "
      "wrk (one thread) on CPU 1. CPU is the server's user + system time per request; the "
      "capacity is 1 / CPU, the requests per second the server would answer with a whole core "
      "to itself (wrk on one core cannot always load it fully). In the server-bound modes a cgroup "
      "CPU quota holds the server to half a core, so that the server and not wrk is the limit "
      "and req/s measures the server. Ratios are to hyper, taken within each repetition.\n" % (repeats, seconds, repeats, seconds))
verdicts = []
for mode in runs:
    print("## %s\n" % TITLE.get(mode, mode))
    print("| server | req/s | × hyper | CPU µs/req | capacity req/s | capacity × hyper | syscalls/req | peak RSS KiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for server in order:
        rs = runs[mode].get(server)
        if not rs:
            continue
        m = [median([v[k] for v in rs.values()]) for k in range(4)]
        print("| %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.3f | %.0f |" % (
            LABEL.get(server, server), m[0], ratio(mode, server, 0), m[1], 1e6 / m[1] if m[1] else 0,
            1 / ratio(mode, server, 1), m[2], m[3]))
    print()
    target = {"plaintext": 1.0, "pipelined": 1.2}.get(mode.removesuffix("-bound"))
    for aio in ("http_aio_epoll", "http_aio_io_uring"):
        if aio not in runs[mode] or REFERENCE not in runs[mode]:
            continue
        rps, cpu, calls = ratio(mode, aio, 0), ratio(mode, aio, 1), ratio(mode, aio, 2)
        line = "%s, %s: req/s %.2f× hyper's, CPU per request %.2f× (capacity %.2f×), syscalls per request %.2f×" % (
            aio, mode, rps, cpu, 1 / cpu, calls)
        if target:
            line += "; target ≥ %.1f×: req/s %s, capacity %s; CPU and syscalls below hyper's: %s" % (
                target, "met" if rps >= target else "NOT met", "met" if 1 / cpu >= target else "NOT met",
                "met" if cpu < 1 and calls < 1 else "NOT met")
        verdicts.append(line)
print("## Targets (HTTP issue)\n")
for v in verdicts:
    print("- " + v)
