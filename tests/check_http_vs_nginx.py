"""aio's HTTP server and nginx, case by case, on requests a server must refuse (RFC 9112's
framing rules and the request-smuggling defences) and on requests it must accept.

Starts nginx (Debian's nginx-light, its own config in a temporary directory, loopback only) and
examples/http_server, sends each raw request to both on a new connection, and checks each
answer's status against the table below, where the two servers differ, the reason is given.
Usage: check_http_vs_nginx.py HTTP_SERVER"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

POST = b"POST /plaintext HTTP/1.1\r\nHost: t\r\n"
# (what, raw request, aio's status, nginx's status, why they differ)
CASES = [
    ("a valid GET", b"GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", 200, 200, ""),
    ("absolute-form target", b"GET http://t/plaintext HTTP/1.1\r\nHost: t\r\n\r\n", 200, 200, ""),
    ("HTTP/1.0 without Host", b"GET /plaintext HTTP/1.0\r\n\r\n", 200, 200, ""),
    ("Content-Length and Transfer-Encoding",
     POST + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 400, ""),
    ("two different Content-Lengths", POST + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
     400, 400, ""),
    ("a negative Content-Length", POST + b"Content-Length: -1\r\n\r\n", 400, 400, ""),
    ("chunked not the last coding", POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
     400, 501, "RFC 9112 6.3 says 400 (the length cannot be determined); nginx answers every "
     "coding but chunked with 501"),
    ("an unknown coding before chunked", POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
     501, 501, ""),
    ("an invalid chunk size", POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 405, 400,
     "aio answers a head as soon as it is complete: /plaintext has no POST route (405), and the "
     "connection closes with the bad chunk unread (a handler reading it gets 400); nginx reads the "
     "body first"),
    ("whitespace before a colon", b"GET /plaintext HTTP/1.1\r\nHost : t\r\n\r\n", 400, 400, ""),
    ("NUL in a field", b"GET /plaintext HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n", 400, 400, ""),
    ("a bare CR in a field", b"GET /plaintext HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400, 400, ""),
    ("HTTP/1.1 without Host", b"GET /plaintext HTTP/1.1\r\n\r\n", 400, 400, ""),
    ("two Hosts", b"GET /plaintext HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 400, ""),
    ("HTTP/2.0 in a request line", b"GET /plaintext HTTP/2.0\r\nHost: t\r\n\r\n", 505, 505, ""),
    ("an unknown method", b"FROB /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", 501, 200,
     "llhttp knows a fixed list of methods and aio says 501 (RFC 9110 9.1); nginx takes any "
     "token as a method, and its return directive answers every method"),
    ("not a method", b"G(T /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", 400, 400, ""),
    ("not HTTP", b"GET /plaintext HTTX/1.1\r\nHost: t\r\n\r\n", 400, 400, ""),
]


def status(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(http_server):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    tmp = tempfile.mkdtemp()
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off; master_process off; worker_processes 1;
pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {tmp};
        location = /plaintext {{ default_type text/plain; return 200 "Hello, World!"; }}
    }}
}}
""")
    procs = [subprocess.Popen([nginx, "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL)]
    aio = subprocess.Popen([http_server, "--port", "0"], stdout=subprocess.PIPE, text=True)
    procs.append(aio)
    try:
        aio_port = int(aio.stdout.readline().rsplit(":", 1)[1])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        failures = 0
        for what, raw, want_aio, want_nginx, why in CASES:
            got_aio, got_nginx = status(aio_port, raw), status(port, raw)
            ok = got_aio == want_aio and got_nginx == want_nginx
            failures += not ok
            note = f"  ({why})" if why else ""
            print(f"{'ok ' if ok else 'BAD'} {what}: aio {got_aio} (want {want_aio}), "
                  f"nginx {got_nginx} (want {want_nginx}){note}")
        return 1 if failures else 0
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


sys.exit(main(sys.argv[1]))
