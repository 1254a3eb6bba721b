"""check_showcase.py BINARY LIMIT: runs the C10K showcase small (300 connections, 1 s) and
checks its summary: every connection made, round trips done with every byte checked, the
figures all there, the rounds against Python's asyncio side by side, exit 0. LIMIT picks the
fd hard limit it runs under:
  enough     - the one it has
  squeezed   - too few for the connections: fewer of them, and a note saying why"""
import re
import resource
import subprocess
import sys

binary, placement = sys.argv[1], sys.argv[2]
connections = 300
hard = {"enough": None, "squeezed": 200}[placement]


def limit_fds():
    if hard is not None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


run = subprocess.run([binary, "--connections", str(connections), "--seconds", "1"],
                     stdout=subprocess.PIPE, text=True, timeout=60, preexec_fn=limit_fds)
out = run.stdout
print(out)
assert run.returncode == 0, run.returncode

expected = connections if hard is None or hard >= connections + 64 else hard - 64
if placement == "squeezed":
    assert f"note: the fd hard limit is {hard}, so only {expected} connections fit" in out
assert "(the server in a child process, the clients in this one)" in out

m = re.search(r"^connections +(\d+) of (\d+) \((\d+) failed\)$", out, re.M)
assert m and m.groups() == (str(expected), str(expected), "0"), m and m.groups()
m = re.search(r"^round trips +(\d+) in [\d.]+ s \(every byte checked: 0 mismatches\)$", out, re.M)
assert m and int(m.group(1)) >= expected, m and m.group(0)
for label in ("requests/s", "latency", "peak RSS", "memory per connection", "whole demo"):
    assert re.search(rf"^{re.escape(label)} +\S", out, re.M), label
assert re.search(r"^peak RSS +clients [\d.]+ MiB, server [\d.]+ MiB$", out, re.M)
assert "first error" not in out

# The same job against Python's asyncio (and uvloop, or a line saying it is not installed),
# then the rounds side by side.
uvloop = "uvloop: not run (uvloop is not installed" not in out
columns = ["aio", "asyncio"] + (["uvloop"] if uvloop else [])
assert re.search(r"^side by side +" + " +".join(columns) + "$", out, re.M), columns
held = re.search(r"^connections held +(.*)$", out, re.M).group(1).split()
assert held == [str(expected)] * len(columns), held
trips = re.search(r"^round trips +(\d+ +)+\d+$", out, re.M).group(0).split()[2:]
assert all(int(t) >= expected for t in trips), trips
for label in ("requests/s", "p99 latency \\(ms\\)", "server KiB per connection", "vs aio, requests/s"):
    assert re.search(rf"^{label} +\S", out, re.M), label
