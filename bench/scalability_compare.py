"""bench/scalability_compare.py: the table the talks end on, "processes vs threads vs async",
measured on one job: the echo benchmark (bench/loadgen, 1 KiB round trips, every byte checked)
at 100, 1,000 and 10,000 connections against a process per connection (bench/peers/echo_fork),
a thread per connection (bench/peers/echo_threads) and aio's echo server on both backends.
Server on CPU 0, loadgen on CPU 1, servers taking turns. For each: req/s, p99 latency, the
memory each connection costs (the growth, with the connections open, of the server's memory:
the private dirty pages of its process and its child processes (what they share, copy-on-write
after fork or mapped from files, does not grow with connections, and a clean page mapped by the
load generator too stops being private), their page tables, and a 16 KiB kernel stack per
thread, x86-64's THREAD_SIZE), and the time until every connection has had its first echo.
Writes docs/scalability.md and, with gnuplot, docs/scalability.png.
  scalability_compare.py BUILD_DIR [REPEATS] [SECONDS]     (make bench-scalability; 1, 4)"""
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

build = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 4
SERVERS = [
    ("process per connection", [build + "/bench/echo_fork", "0"]),
    ("thread per connection", [build + "/bench/echo_threads", "0"]),
    ("aio, epoll", [build + "/examples/echo_server", "--port", "0", "--backend", "epoll",
                    "--backlog", "4096"]),
    ("aio, io_uring", [build + "/examples/echo_server", "--port", "0", "--backend", "io_uring",
                       "--backlog", "4096"]),
]
CONNECTIONS = [100, 1000, 10000]
WARMUP = 1.0
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # (inherited: 10,000 connections)


KERNEL_STACK_KIB = 16  # per thread (x86-64)


def process_kib(pid):
    """One process's private dirty pages, page tables and kernel stacks."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            rollup = f.read()
        private = int(re.search(r"^Private_Dirty:\s+(\d+)", rollup, re.M).group(1))
        with open("/proc/%d/status" % pid) as f:
            status = f.read()
        page_tables = int(re.search(r"VmPTE:\s+(\d+)", status).group(1))
        threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
        return private + page_tables + threads * KERNEL_STACK_KIB
    except (FileNotFoundError, ProcessLookupError, AttributeError):
        return 0  # (a child that has just exited)


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return found


def sockets(pid):
    try:
        return sum(os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
                   for fd in os.listdir("/proc/%d/fd" % pid))
    except (FileNotFoundError, ProcessLookupError):
        return 0


def memory_kib(pid):
    """The server's memory and its children's, and how many connections they hold (their
    sockets but the listener: a forking server may not have forked for every one yet)."""
    tree = [pid] + children(pid)
    return sum(process_kib(p) for p in tree), sum(sockets(p) for p in tree) - 1


def measure(argv, connections):
    server = subprocess.Popen(["taskset", "-c", "0", *argv], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        port = int(re.search(r":(\d+)$", server.stdout.readline().strip()).group(1))
        time.sleep(0.3)
        before, _ = memory_kib(server.pid)
        load = subprocess.Popen(
            [build + "/bench/loadgen", "--port", str(port), "--connections", str(connections),
             "--size", "1024", "--duration", str(seconds), "--warmup", str(WARMUP), "--cpu", "1"],
            stdout=subprocess.PIPE, text=True)
        time.sleep(WARMUP + seconds / 2)
        during, held = memory_kib(server.pid)
        out, _ = load.communicate(timeout=120)
        assert load.returncode == 0, out
        fields = dict(re.findall(r"(\w+)=([-\d.]+)", out))
        return {"rps": float(fields["rps"]), "p99_ms": float(fields["p99_us"]) / 1000,
                "kib_per_connection": (during - before) / max(held, 1), "held": held,
                "ready_ms": float(fields["ready_ms"])}
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        time.sleep(0.5)  # (the children of a forking server go with the group)


results = {}
for n in CONNECTIONS:
    for r in range(repeats):
        for name, argv in SERVERS:
            m = measure(argv, n)
            results.setdefault((name, n), []).append(m)
            print("%s, %d connections, run %d: %.0f req/s, p99 %.2f ms, %.1f KiB/connection "
                  "(%d held), ready in %.0f ms" % (name, n, r + 1, m["rps"], m["p99_ms"],
                                                   m["kib_per_connection"], m["held"],
                                                   m["ready_ms"]), flush=True)


def med(name, n, key):
    return statistics.median(m[key] for m in results[(name, n)])


lines = [
    "# Processes vs threads vs async, measured\n",
    "The talks end on a table: processes scale to \"ones/tens\" of connections, threads to "
    "\"hundreds\", async to \"thousands+\". bench/scalability_compare.py (make "
    "bench-scalability) measures it on one job, the echo benchmark (bench/loadgen: every "
    "connection keeps one 1 KiB round trip in flight, every byte checked), %g s after a %g s "
    "warm-up, medians of %d run(s); the server on CPU 0, the load generator on CPU 1. Memory "
    "per connection is the growth, halfway through the run, of the private dirty pages of the "
    "server and its child processes, their page tables, and a 16 KiB kernel stack per thread, "
    "over the connections the server held then (its sockets: a forking server may not have "
    "forked for every connection yet). Ready is "
    "the time from the first connect until every connection has had its first echo (\"-\": "
    "not within the run).\n"
    % (seconds, WARMUP, repeats),
    "| server | connections | req/s | p99 ms | memory per connection KiB | held | ready ms |",
    "|---|---:|---:|---:|---:|---:|---:|",
]
for name, _ in SERVERS:
    for n in CONNECTIONS:
        ready = med(name, n, "ready_ms")
        lines.append("| %s | %d | %.0f | %.2f | %.1f | %.0f | %s |" % (
            name, n, med(name, n, "rps"), med(name, n, "p99_ms"),
            med(name, n, "kib_per_connection"), med(name, n, "held"),
            "%.0f" % ready if ready >= 0 else "-"))
lines.append("\n## What each row shows\n")
top = CONNECTIONS[-1]
for name, _ in SERVERS:
    ready = med(name, top, "ready_ms")
    lines.append("- **%s**: from %d to %d connections its req/s goes from %.0f to %.0f and its "
                 "p99 from %.2f to %.2f ms; at %d each connection costs %.1f KiB, and %s." % (
                     name, CONNECTIONS[0], top, med(name, CONNECTIONS[0], "rps"),
                     med(name, top, "rps"), med(name, CONNECTIONS[0], "p99_ms"),
                     med(name, top, "p99_ms"), top, med(name, top, "kib_per_connection"),
                     "taking them all on took %.0f ms" % ready if ready >= 0 else
                     "not every connection had its first echo within the %g s run" % (WARMUP + seconds)))

if shutil.which("gnuplot"):
    data = "/tmp/scalability.dat"
    with open(data, "w") as f:
        for i, (name, _) in enumerate(SERVERS):
            f.write('"%s"\n' % name)
            for n in CONNECTIONS:
                f.write("%d %.0f %.2f\n" % (n, med(name, n, "rps"), med(name, n, "kib_per_connection")))
            f.write("\n\n")
    plots = ", ".join('"%s" index %d using 1:%%d with linespoints title "%s"' % (data, i, name)
                      for i, (name, _) in enumerate(SERVERS))
    script = """set terminal pngcairo size 1000,420 font ",10" noenhanced
set output "docs/scalability.png"
set multiplot layout 1,2
set logscale x
set xlabel "connections"
set key top right
set ylabel "requests/s"
set title "echo req/s"
plot %s
set ylabel "KiB per connection"
set title "memory per connection"
set logscale y
plot %s
unset multiplot
""" % (plots % tuple([2] * len(SERVERS)), plots % tuple([3] * len(SERVERS)))
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    lines.append("\n![req/s and memory per connection](scalability.png)")
text = "\n".join(lines) + "\n"
print(text)
with open("docs/scalability.md", "w") as f:
    f.write(text)
