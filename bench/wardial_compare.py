"""bench/wardial_compare: the talks' port scanner, the full 65,535-port scan of 127.0.0.1, written
four ways: aio (examples/wardial, both backends), Python's asyncio (examples/wardial.py, the
original), and a thread pool in Python and in C++ (bench/peers/wardial_threads.*); 500 at a
time in each (tasks or threads), a 1 s timeout. Contenders take turns within each repetition;
reports medians of the wall time and the peak RSS (the child's ru_maxrss) and writes
docs/wardial_benchmarks.md. Twenty listeners are opened first; every contender must find them.
  wardial_compare.py BUILD_DIR [REPEATS]      (make bench-wardial; default 3)"""
import os
import socket
import statistics
import sys
import time

build, repeats = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
python = "/usr/bin/python3"
scan = ["127.0.0.1", "--ports", "1-65535"]
CONTENDERS = [
    ("aio, io_uring", [build + "/examples/wardial", *scan], {"AIO_BACKEND": "io_uring"}),
    ("aio, epoll", [build + "/examples/wardial", *scan], {"AIO_BACKEND": "epoll"}),
    ("Python asyncio", [python, "examples/wardial.py", *scan], {}),
    ("C++ thread pool, 500 threads", [build + "/bench/wardial_threads", "127.0.0.1", "1-65535",
                                      "500"], {}),
    ("Python ThreadPoolExecutor, 500 threads", [python, "bench/peers/wardial_threads.py",
                                                "127.0.0.1", "1-65535", "500"], {}),
]

listeners = []
for _ in range(20):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(100)
    listeners.append(s)
ours = {"127.0.0.1:%d open" % s.getsockname()[1] for s in listeners}


def run_one(argv, env):
    """Wall time (s), CPU time (s) and peak RSS (KiB) of one run, and its report."""
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open("/tmp/wardial_compare.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.execvpe(argv[0], argv, {**os.environ, **env})
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - start
    with open("/tmp/wardial_compare.out") as f:
        out = f.read()
    assert os.waitstatus_to_exitcode(status) == 0, argv
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out


results = {name: [] for name, _, _ in CONTENDERS}
reports = {}
for r in range(repeats):
    for name, argv, env in CONTENDERS:
        seconds, cpu, rss, out = run_one(argv, env)
        found = set(out.splitlines())
        assert ours <= found, "%s missed %s" % (name, sorted(ours - found))
        reports.setdefault(name, set()).update(found)
        results[name].append((seconds, cpu, rss))
        print("run %d, %s: %.2f s, CPU %.2f s, %d KiB" % (r + 1, name, seconds, cpu, rss), flush=True)
os.unlink("/tmp/wardial_compare.out")

reference = statistics.median(s for s, _, _ in results["aio, io_uring"])
lines = [
    "# wardial: a 65,535-port loopback scan, four ways\n",
    "bench/wardial_compare.py (make bench-wardial): the full scan of 127.0.0.1 (1-65535) with "
    "20 listeners open, 500 connection attempts at a time (tasks or threads), a 1 s timeout; "
    "medians of %d interleaved runs. CPU is user + system time (the thread pools use both "
    "vCPUs; aio and asyncio one); peak RSS is the process's ru_maxrss.\n" % repeats,
    "| program | time s | ports/s | × aio io_uring's time | CPU s | peak RSS MiB |",
    "|---|---:|---:|---:|---:|---:|",
]
for name, _, _ in CONTENDERS:
    seconds = statistics.median(s for s, _, _ in results[name])
    cpu = statistics.median(c for _, c, _ in results[name])
    rss = statistics.median(m for _, _, m in results[name])
    lines.append("| %s | %.2f | %.0f | %.2f | %.2f | %.1f |" % (
        name, seconds, 65535 / seconds, seconds / reference, cpu, rss / 1024))
everyone = set.intersection(*reports.values())
for name, found in reports.items():
    if found != everyone:
        lines.append("\n%s also reported %s (a listener that came or went during the runs)."
                     % (name, ", ".join(sorted(found - everyone))))
text = "\n".join(lines) + "\n"
print(text)
with open("docs/wardial_benchmarks.md", "w") as f:
    f.write(text)
