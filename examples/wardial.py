"""wardial in Python's asyncio: the program examples/wardial.cpp was ported from, line for line
(bench/wardial_compare runs both). Which TCP ports are open on these hosts?
  wardial.py HOSTS --ports RANGES [--concurrency 500] [--timeout 1] [--banner] [--allow-remote]"""
import argparse
import asyncio
import ipaddress
import os
import sys
import time


def parse_ports(text):
    ranges = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        lo, hi = int(lo), int(hi or lo)
        if lo < 1 or hi > 65535 or lo > hi:
            raise ValueError("bad port range: " + part)
        ranges.append((lo, hi))
    return ranges


def parse_hosts(text, allow_remote):
    hosts = []
    for part in text.split(","):
        network = ipaddress.ip_network(part, strict=False)
        if not allow_remote and not network.is_loopback:
            raise ValueError(part + " is not loopback; --allow-remote to scan it")
        hosts += [str(a) for a in network] if network.num_addresses > 1 else [str(network.network_address)]
    return hosts


class Scan:
    def __init__(self, options):
        self.options = options
        self.slots = asyncio.Semaphore(options.concurrency)
        self.tried = 0
        self.open = []

    async def run(self):
        self.total = sum(hi - lo + 1 for lo, hi in self.options.ports) * len(self.options.hosts)
        self.start = time.monotonic()
        progress = asyncio.create_task(self.show_progress())
        tasks = set()
        for host in self.options.hosts:
            for lo, hi in self.options.ports:
                for port in range(lo, hi + 1):
                    await self.slots.acquire()  # released by the probe
                    task = asyncio.create_task(self.probe(host, port))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
        for _ in range(self.options.concurrency):  # every probe has ended
            await self.slots.acquire()
        progress.cancel()
        try:
            await progress
        except asyncio.CancelledError:
            pass
        self.report()

    async def probe(self, host, port):
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), self.options.timeout)
            if writer.get_extra_info("sockname") == writer.get_extra_info("peername"):
                writer.close()  # a connection to itself (TCP's simultaneous open): not open
                return
            banner = await self.read_banner(reader) if self.options.banner else ""
            writer.close()
            self.open.append((ipaddress.ip_address(host), port, banner))
        except (asyncio.TimeoutError, OSError):
            pass
        finally:
            self.tried += 1
            self.slots.release()

    async def read_banner(self, reader):
        try:
            line = await asyncio.wait_for(reader.readline(), self.options.timeout)
        except (asyncio.TimeoutError, OSError, ValueError):
            return ""
        return line.decode(errors="replace").rstrip("\r\n")

    def elapsed(self):
        return time.monotonic() - self.start

    async def show_progress(self):
        if not os.isatty(2):
            return
        while True:
            await asyncio.sleep(0.1)
            print("\rtried %d/%d, %d open, %.0f/s " % (
                self.tried, self.total, len(self.open), self.tried / self.elapsed()),
                end="", file=sys.stderr, flush=True)

    def report(self):
        if os.isatty(2):
            print("\r\033[K", end="", file=sys.stderr)
        for address, port, banner in sorted(self.open, key=lambda f: (f[0].version, f[0], f[1])):
            line = ("[%s]:%d open" if address.version == 6 else "%s:%d open") % (address, port)
            print(line + ("  " + banner if banner else ""))
        sys.stdout.flush()
        print("%d ports tried in %.2f s (%.0f/s), %d open" % (
            self.tried, self.elapsed(), self.tried / self.elapsed(), len(self.open)), file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(prog="wardial.py")
    parser.add_argument("hosts")
    parser.add_argument("--ports", required=True)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--banner", action="store_true")
    parser.add_argument("--allow-remote", action="store_true")
    options = parser.parse_args()
    try:
        options.hosts = parse_hosts(options.hosts, options.allow_remote)
        options.ports = parse_ports(options.ports)
    except ValueError as e:
        parser.error(str(e))
    asyncio.run(Scan(options).run())


if __name__ == "__main__":
    main()
