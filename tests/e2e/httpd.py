#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/e2e/httpd.py DIR ADDR PORT LOG [--cut-after BYTES] [--rate BYTES_PER_S]: a static file
# server for the image tests (python's http.server plus what it lacks: "Range: bytes=N-" answered
# with 206). Every request goes to LOG as "METHOD PATH RANGE STATUS BYTES". --cut-after: the first
# response body larger than BYTES is cut off after BYTES (the connection is closed), as a server
# that goes away half-way. --rate: send at most that many bytes per second. --tls CERT KEY: HTTPS.
# --no-length: no Content-Length (the body ends when the connection closes), as a server that
# does not say how much is coming.
import argparse
import http.server
import os
import re
import socketserver
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("addr")
ap.add_argument("port", type=int)
ap.add_argument("log")
ap.add_argument("--cut-after", type=int, default=0)
ap.add_argument("--rate", type=int, default=0)
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--no-length", action="store_true")
args = ap.parse_args()
root = os.path.realpath(args.dir)
lock = threading.Lock()
state = {"cut": args.cut_after}


def log(line):
    with lock, open(args.log, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        # symlinks in DIR are followed (the test links the cached image in); ".." is not
        path = os.path.normpath(os.path.join(root, self.path.lstrip("/").split("?")[0]))
        rng = self.headers.get("Range", "-")
        if not path.startswith(root + "/") or not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            log(f"GET {self.path} {rng} 404 0")
            return
        size = os.path.getsize(path)
        start, status = 0, 200
        m = re.fullmatch(r"bytes=(\d+)-", rng) if rng != "-" else None
        if m:
            start = int(m.group(1))
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                log(f"GET {self.path} {rng} 416 0")
                return
            status = 206
        length = size - start
        cut = 0
        with lock:
            if state["cut"] and length > state["cut"]:
                cut, state["cut"] = state["cut"], 0
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        if args.no_length:
            self.close_connection = True
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        sent = 0
        t0 = time.monotonic()
        with open(path, "rb") as f:
            f.seek(start)
            while sent < length:
                want = min(65536, length - sent)
                if cut:
                    want = min(want, cut - sent)
                    if want <= 0:
                        break
                buf = f.read(want)
                if not buf:
                    break
                try:
                    self.wfile.write(buf)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(buf)
                if args.rate:
                    ahead = sent / args.rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
        log(f"GET {self.path} {rng} {status} {sent}")
        if cut:
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server((args.addr, args.port), Handler)
if args.tls:
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls[0], args.tls[1])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
