"""bench/compare's report: turns the raw runs into docs/benchmarks.md (tables of medians,
spreads and ratios, the targets of the benchmark issue checked) and docs/benchmarks.png (a
gnuplot bar chart). Called by bench/compare; see there for how the figures are taken."""
import argparse
import collections
import datetime
import os
import platform
import re
import statistics
import subprocess

p = argparse.ArgumentParser()
for name in ("raw", "instructions", "tasks", "missing", "md", "png", "repeats", "seconds"):
    p.add_argument("--" + name, required=True)
args = p.parse_args()

SERVER_PYTHON = subprocess.run(["/usr/bin/python3", "-c", "import platform; print(platform.python_version())"],
                               capture_output=True, text=True).stdout.strip()
LABEL = {
    "c_epoll": "C, epoll (reference)",
    "c_io_uring": "C, io_uring",
    "aio_epoll": "**aio streams, epoll**",
    "aio_io_uring": "**aio streams, io_uring**",
    "asio": "Boost.Asio 1.74, C++20 coroutines",
    "tokio": "Tokio 1.24, current_thread",
    "go": "Go 1.19 net, GOMAXPROCS=1",
    "node": "Node.js %s net" % subprocess.run(["node", "--version"], capture_output=True,
                                             text=True).stdout.strip() if os.path.exists("/usr/bin/node") else "Node.js net",
    "uvloop_protocols": "uvloop, protocols",
    "uvloop_streams": "uvloop, streams",
    "asyncio_protocols": "asyncio %s, protocols" % SERVER_PYTHON,
    "asyncio_streams": "asyncio %s, streams" % SERVER_PYTHON,
    "aio_protocol_epoll": "aio Protocol, epoll",
    "aio_protocol_io_uring": "aio Protocol, io_uring",
}

# config -> server -> repetition -> (rps, p99, user_us, sys_us, rss_kib, syscalls/req, cs/req)
runs = collections.defaultdict(lambda: collections.defaultdict(dict))
order = []
with open(args.raw) as f:
    for line in f:
        cfg, server, rep, rps, p99, user, sys_, rss, calls, switches = (
            line.rstrip("\n").split("\t") + ["", ""])[:10]
        if not rps:
            continue
        runs[cfg][server][int(rep)] = (float(rps), float(p99), float(user), float(sys_),
                                       float(rss or 0), float(calls or 0), float(switches or 0))
        if server not in order:
            order.append(server)

instructions = {}
with open(args.instructions) as f:
    for line in f:
        m = re.match(r"(\w+): (\d+) user instructions/request", line)
        if m:
            instructions[m.group(1)] = int(m.group(2))

missing = []
with open(args.missing) as f:
    missing = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio(cfg, server, reference="c_epoll"):
    """Median over repetitions of server's req/s over reference's in the same repetition (the
    two ran a minute apart, on the same vCPU placement as far as one can tell)."""
    mine, ref = runs[cfg].get(server, {}), runs[cfg].get(reference, {})
    rs = [mine[r][0] / ref[r][0] for r in mine if r in ref and ref[r][0] > 0]
    return median(rs)


def describe(cfg):
    size, conns = cfg.split("/")
    size = "%d B" % int(size) if int(size) < 1024 else "%d KiB" % (int(size) // 1024)
    return "%s messages, %s connections" % (size, conns)


cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                     capture_output=True, text=True).stdout.strip()
out = []
w = out.append
w("# Benchmarks: aio beside uvloop, Node, Go, Tokio and Boost.Asio\n")
w("Measured %s on %s (%d vCPUs, %s), Linux %s, by `make bench` (`bench/compare %s %s`)."
  % (datetime.date.today().isoformat(), cpu or "this machine", os.cpu_count(), "24 GiB",
     platform.release(), args.repeats, args.seconds))
w("")
w("![requests per second relative to the C epoll server](benchmarks.png)\n")
w("## Echo servers\n")
w("Each server echoes what it reads (up to 64 KiB per read), written as its own documentation "
  "writes one (bench/peers/, bench/echo_c_*.c, examples/echo_server.cpp). One server at a "
  "time runs pinned to CPU 0; the project's load generator (bench/loadgen.cpp: one thread, "
  "epoll, one request in flight per connection, every echoed byte checked) runs pinned to "
  "CPU 1 for %s s after a 1 s warm-up. The servers take turns in each of %s repetitions; the "
  "tables give medians, the spread (min..max) and the ratio to the C epoll server, taken "
  "within each repetition and then the median. This machine's two vCPUs move between physical "
  "cores (sometimes siblings of one core), so a single run can be off by half. On loopback "
  "most of a round trip's cost is the kernel's TCP work, split between the two processes, so "
  "the load generator's core saturates about when a fast server's does: the fastest servers "
  "bunch up under that ceiling (and a run where the load generator's vCPU is slowed shows a "
  "server that is idle part of the time). The server's CPU time per request (user + system, "
  "from /proc, in clock ticks) and the instruction counts below tell them apart better.\n"
  % (args.seconds, args.repeats))
for cfg in runs:
    w("### %s\n" % describe(cfg))
    w("| server | req/s | ratio to C epoll | p99 latency (us) | server CPU per request (us, user + system) | server syscalls per request | context switches per request | peak RSS (MiB) |")
    w("|---|---|---|---|---|---|---|---|")
    ranked = sorted(runs[cfg], key=lambda s: -median([v[0] for v in runs[cfg][s].values()]))
    for s in ranked:
        v = list(runs[cfg][s].values())
        rps = [x[0] for x in v]
        w("| %s | %s (%s..%s) | %.2f | %.0f | %.2f + %.2f | %.2f | %.3f | %.1f |" % (
            LABEL.get(s, s), "{:,.0f}".format(median(rps)), "{:,.0f}".format(min(rps)),
            "{:,.0f}".format(max(rps)), ratio(cfg, s), median([x[1] for x in v]),
            median([x[2] for x in v]), median([x[3] for x in v]),
            median([x[5] for x in v]), median([x[6] for x in v]),
            median([x[4] for x in v]) / 1024))
    w("")

w("## Instructions per request\n")
w("User-space instructions per request for 1 KiB messages at 100 connections, counted by "
  "valgrind's callgrind (`bench/echo_instructions`): this machine's perf reports hardware "
  "counters as \"not supported\", so kernel instructions cannot be counted here; the system "
  "CPU time per request above stands in for them. Under valgrind every server runs ~50x "
  "slower and batches more work per wake-up than at full speed: compare the servers with each "
  "other, not with absolute costs.\n")
if instructions:
    w("| server | user instructions per request |")
    w("|---|---|")
    for s, n in sorted(instructions.items(), key=lambda kv: kv[1]):
        w("| %s | %s |" % (LABEL.get(s, s), "{:,}".format(n)))
    uncounted = [s for s in order if s not in instructions]
    if uncounted:
        w("\nNot counted: %s (Go's runtime does not run under valgrind; Node's JIT does not "
          "reach a steady state there within a run)." % "; ".join(LABEL.get(s, s) for s in uncounted))
else:
    w("(not measured in this run)")
w("")

w("## Targets (1 KiB messages, 100 connections)\n")
base = "1024/100"
checks = []


def target(text, value, goal, fmt="%.2f"):
    if value != value:  # nan: a peer was not measured
        checks.append("| %s | not measured | %s |  |" % (text, fmt % goal))
        return
    checks.append("| %s | %s | %s | %s |" % (text, fmt % value, fmt % goal,
                                           "met" if value >= goal else "**missed**"))


if base in runs:
    for backend in ("aio_epoll", "aio_io_uring"):
        target("%s / C epoll" % backend, ratio(base, backend), 0.95 if backend == "aio_epoll" else 1.0)
        for peer, goal in (("tokio", 1.0), ("asio", 1.0), ("uvloop_streams", 2.0),
                           ("uvloop_protocols", 1.2), ("go", 1.2)):
            if peer in runs[base]:
                target("%s / %s" % (backend, peer), ratio(base, backend, peer), goal)
for backend in ("aio_epoll", "aio_io_uring"):
    if backend in instructions:
        mine = instructions[backend]
        checks.append("| %s user instructions per request | %s | at most 1,000 | %s |"
                      % (backend, "{:,}".format(mine), "met" if mine <= 1000 else "**missed**"))
        for peer in ("tokio", "asio"):
            if peer in instructions:
                checks.append("| %s instructions below %s's (%s) | %s | below | %s |" % (
                    backend, peer, "{:,}".format(instructions[peer]), "{:,}".format(mine),
                    "met" if mine < instructions[peer] else "**missed**"))
w("| target | measured | goal | |")
w("|---|---|---|---|")
out.extend(checks)
w("\nKernel instructions per request (goal: at most 1.05x the C epoll server's) cannot be "
  "counted on this machine (no hardware counters); see the system time per request above.\n")

if os.path.getsize(args.tasks) > 0:
    w("## Tasks\n")
    w("`bench/tasks_compare`: the same programs in each runtime (bench/core_bench.cpp, "
      "bench/peers/asyncio_core.py, bench/peers/go_tasks.go, bench/peers/tokio/), on one "
      "thread each (Go with GOMAXPROCS=1, Tokio current_thread with the work in a spawned "
      "task); medians (min..max) of %s interleaved runs. Python runs a tenth of the "
      "iterations; the figures are per task.\n" % args.repeats)
    with open(args.tasks) as f:
        w(f.read())
if missing:
    w("## Not measured\n")
    for name, why in missing:
        w("- %s: %s" % (LABEL.get(name, name), why))
    w("")

with open(args.md, "w") as f:
    f.write("\n".join(out) + "\n")

# The chart: for each server, its req/s relative to the C epoll server in each configuration.
cfgs = list(runs)
data = args.png + ".dat"
with open(data, "w") as f:
    f.write("server " + " ".join('"%s"' % describe(c) for c in cfgs) + "\n")
    for s in order:
        f.write('"%s" ' % LABEL.get(s, s).replace("*", "") +
                " ".join("%.3f" % (ratio(c, s) if s in runs[c] else 0) for c in cfgs) + "\n")
script = """
set terminal pngcairo size 1400,700 font "sans,10" noenhanced
set output '%s'
set title "Echo servers on loopback: requests/s relative to a hand-written C epoll server (%s)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "req/s / C epoll's"
set yrange [0:*]
set grid ytics
set xtics rotate by -30 left
set rmargin 12
set key top right
plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)
""" % (args.png, datetime.date.today().isoformat(), len(cfgs) + 1, data)
subprocess.run(["gnuplot"], input=script, text=True, check=True)
os.remove(data)
