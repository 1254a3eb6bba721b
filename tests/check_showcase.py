"""check_showcase.py BINARY PLACEMENT: runs the C10K showcase small (300 connections, 1 s) and
checks its summary: every connection made, round trips done with every byte checked, the
figures all there, exit 0. PLACEMENT picks the fd hard limit it runs under, and so the path:
  one        - enough fds for both ends in one process
  two        - too few for that: the server runs in a child process
  squeezed   - too few even for one end: fewer connections, and a note saying why"""
import re
import resource
import subprocess
import sys

binary, placement = sys.argv[1], sys.argv[2]
connections = 300
hard = {"one": None, "two": 500, "squeezed": 200}[placement]


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
if placement == "one":
    assert "(server and clients in this process)" in out
else:
    assert "(server in a child process: the fd hard limit" in out

m = re.search(r"^connections +(\d+) of (\d+) \((\d+) failed\)$", out, re.M)
assert m and m.groups() == (str(expected), str(expected), "0"), m and m.groups()
m = re.search(r"^round trips +(\d+) in [\d.]+ s \(every byte checked: 0 mismatches\)$", out, re.M)
assert m and int(m.group(1)) >= expected, m and m.group(0)
for label in ("requests/s", "latency", "peak RSS", "memory per connection", "whole demo"):
    assert re.search(rf"^{re.escape(label)} +\S", out, re.M), label
if placement != "one":
    assert re.search(r"^peak RSS +clients [\d.]+ MiB, server [\d.]+ MiB$", out, re.M)
assert "first error" not in out
