#!/usr/bin/env python3
"""Warden's notification figures, measured on a real `warden run` (see README "Performance").

Usage:  swift build -c release --static-swift-stdlib --product warden
        swift build -c release --static-swift-stdlib --product warden-workload
        python3 Benchmarks/notify_bench.py [--bin .build/release] [--notifications 1000]

Measures, each on its own fresh `warden run` with N instances of a worker that exits at once with
start_retries = 0 (each instance goes FATAL once: N notifications):
  1. latency: a `json` sink POSTs to a receiver in this script; for each FATAL notification, the time it
     arrived minus the record's own `time` (when the supervisor recorded it; 1 ms resolution);
  2. memory: Warden's RSS (VmRSS) once every instance is FATAL and the sink holds what it could not deliver,
     (a) without any [notify] sink, (b) with the sink on a live receiver (everything delivered), (c) with the
     sink on a closed port (every notification queued: `queued` in /v1/health). (c) - (b) is what the queued
     notifications cost; (c) - (a) adds the HTTP client and the sink itself.
Nothing here is asserted; the figures are printed for the README and the issue notes.
"""
import argparse, json, os, socket, statistics, sys, threading, time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from supervisor_bench import events, health, parse_time, rss_mib, start_warden, stop_warden  # noqa: E402


class Receiver:
    """A local HTTP receiver: records (arrival time, body) of every POST and answers 204."""

    def __init__(self):
        self.received = []
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrived = time.time()
                with lock:
                    received.append((arrived, body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config(n, sink_url):
    text = f"""
[supervisor]
state_dir = "state"
shutdown_timeout = "60s"

[history]
enabled = false

[programs.doomed]
command = ["WORKLOAD", "crash"]
numprocs = {n}
start_seconds = "60s"        # an exit before this is a failed start: FATAL at once (start_retries = 0)
start_retries = 0
"""
    if sink_url:
        text += f"""
[notify.bench]
url = "{sink_url}"
format = "json"
"""
    return text


def run(bin_dir, n, sink_url, settle=5.0):
    """Starts Warden, waits until every instance is FATAL (and `settle` s more); returns (RSS MiB, health, events)."""
    p, d, state, _ = start_warden(bin_dir, config(n, sink_url))
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            fatal = [e for e in events(state) if e.get("new_state") == "FATAL"]
            if len(fatal) >= n:
                break
            time.sleep(0.5)
        time.sleep(settle)
        rss = rss_mib(p.pid)
        return rss, health(state).get("notifications", []), events(state)
    finally:
        stop_warden(p, d)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/release")
    parser.add_argument("--notifications", type=int, default=1000, help="FATAL workers, one notification each (<= 1000)")
    args = parser.parse_args()
    args.bin = os.path.abspath(args.bin)  # command[0] paths with a slash resolve against the config file's directory
    n = args.notifications

    receiver = Receiver()
    rss_live, sinks_live, recorded = run(args.bin, n, f"http://127.0.0.1:{receiver.port}/hook")
    receiver.stop()
    times = {e["process"]: parse_time(e["time"]) for e in recorded if e.get("new_state") == "FATAL"}
    latencies = []
    for arrived, body in receiver.received:
        record = json.loads(body)
        if record.get("new_state") == "FATAL" and record.get("process") in times:
            latencies.append((arrived - times[record["process"]]) * 1000)
    latencies.sort()
    if not latencies:
        sys.exit(f"no FATAL notification arrived: {len(times)} FATAL records, {len(receiver.received)} requests, "
                 f"sink {sinks_live}")
    print(f"latency, event recorded -> request at the receiver, {len(latencies)} notifications: "
          f"median {statistics.median(latencies):.1f} ms, p99 {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms, "
          f"max {latencies[-1]:.1f} ms")
    print(f"  live sink: {sinks_live}")

    rss_none, _, _ = run(args.bin, n, None)
    rss_dead, sinks_dead, _ = run(args.bin, n, f"http://127.0.0.1:{closed_port()}/hook")
    queued = sinks_dead[0]["queued"] if sinks_dead else 0
    print(f"RSS with {n} FATAL workers: no sink {rss_none:.1f} MiB; live sink {rss_live:.1f} MiB; "
          f"dead sink ({queued} queued) {rss_dead:.1f} MiB")
    print(f"  queued notifications cost (dead - live): {rss_dead - rss_live:+.2f} MiB; "
          f"sink + HTTP client + queue (dead - none): {rss_dead - rss_none:+.2f} MiB")
    print(f"  dead sink: {sinks_dead}")


if __name__ == "__main__":
    main()
