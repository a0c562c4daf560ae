#!/usr/bin/env python3
"""Warden's performance figures, measured on real processes (see README "Performance").

Usage:  swift build -c release --static-swift-stdlib --product warden
        swift build -c release --static-swift-stdlib --product warden-workload
        python3 Benchmarks/supervisor_bench.py [--bin .build/release] [--workers 500]

(`--static-swift-stdlib` links the Swift runtime and Foundation into the binary: the way to ship Warden, one
file that needs no Swift toolchain on the host — and 4–5 MiB less resident memory than the shared libraries.)

Measures, each on its own fresh `warden run`:
  1. start-up: time from `warden run` until all N `steady` workers (start_seconds = 0) are RUNNING,
     read from events.jsonl timestamps;
  2. sampling cost: the CPU time of Warden's /proc sampling rounds, from its own account in `/v1/health`
     (`sampling.cpu_seconds` / `sampling.processes_read`, measured with the sampler thread's CPU clock), and
     as an upper bound all of Warden's CPU time (utime+stime from /proc/PID/stat) in the same span divided by
     (samples x processes) — which also pays for the leak detectors and for copying the workers' output
     (each `steady` worker prints a heartbeat line every 5 s);
  3. Warden's RSS with N workers, at start and after a run with restarts (--minutes);
  4. GET /metrics: the time a scraper waits for the whole exposition (request to last byte);
  5. crash to new PID: a worker that exits every 0.3 s under restart = "always", start_seconds = 0 and
     start_limit_burst = 0 (no backoff applies);
     the gap between the RUNNING->EXITED event and the next ->RUNNING event (which follows the spawn).
Nothing here is asserted; the figures are printed for the README and the issue notes.
"""
import argparse, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
from datetime import datetime

def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

def events(state):
    path = os.path.join(state, "events.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

def get(state, path):
    """GET PATH on the control socket (HTTP/1.1 over a unix socket, Connection: close): the body."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.path.join(state, "warden.sock"))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    return data.split(b"\r\n\r\n", 1)[1]

def health(state):
    return json.loads(get(state, "/v1/health"))

def bench_metrics(state, rounds=20):
    """Wall time of GET /metrics as a scraper sees it (request to last byte), median and max of `rounds`."""
    times, size, lines = [], 0, 0
    for _ in range(rounds):
        t = time.perf_counter()
        body = get(state, "/metrics")
        times.append((time.perf_counter() - t) * 1000)
        size, lines = len(body), body.count(b"\n")
        time.sleep(0.2)
    times.sort()
    return statistics.median(times), times[-1], size, lines

def start_warden(bin_dir, config_text):
    d = tempfile.mkdtemp(prefix="wb-", dir="/tmp")
    cfg = os.path.join(d, "warden.toml")
    with open(cfg, "w") as f:
        f.write(config_text.replace("WORKLOAD", os.path.join(bin_dir, "warden-workload")))
    err = open(os.path.join(d, "stderr.log"), "w")
    t0 = time.time()
    p = subprocess.Popen([os.path.join(bin_dir, "warden"), "run", "-c", cfg, "--log-level", "warning"],
                         stdout=subprocess.DEVNULL, stderr=err)
    return p, d, os.path.join(d, "state"), t0

def stop_warden(p, d):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
    shutil.rmtree(d, ignore_errors=True)

def bench_many(bin_dir, n, interval, minutes, flaky, steady_mb, history=True):
    config = f"""
[supervisor]
state_dir = "state"
sample_interval = "{interval}"
shutdown_timeout = "60s"

[history]
enabled = {"true" if history else "false"}

[programs.steady]
command = ["WORKLOAD", "steady", "--mb", "{steady_mb}"]
numprocs = {n}
start_seconds = "0s"

"""
    if flaky:
        config += f"""
[programs.flaky]
command = ["WORKLOAD", "crash", "--after", "2"]
numprocs = {flaky}
start_seconds = "0s"
restart = "always"
"""
    p, d, state, t0 = start_warden(bin_dir, config)
    try:
        deadline = time.time() + 60
        running = set()
        while time.time() < deadline:
            evs = events(state)
            running = {e["process"] for e in evs if e.get("new_state") == "RUNNING" and e["process"].startswith("steady")}
            if len(running) >= n:
                break
            time.sleep(0.05)
        evs = events(state)
        starts = [parse_time(e["time"]) for e in evs if e.get("new_state") == "RUNNING" and e["process"].startswith("steady")]
        print(f"start-up: {len(running)}/{n} steady workers (each touching {steady_mb} MiB at start) RUNNING {max(starts) - t0:.2f} s after `warden run` was exec'd "
              f"({max(starts) - min(starts):.2f} s from first to last)")
        time.sleep(3)
        rss0 = rss_mib(p.pid)
        h0, c0, w0 = health(state)["sampling"], cpu_seconds(p.pid), time.time()
        time.sleep(20)
        h1, c1, w1 = health(state)["sampling"], cpu_seconds(p.pid), time.time()
        reads = h1["processes_read"] - h0["processes_read"]
        print(f"sampling: the /proc rounds cost {(h1['cpu_seconds'] - h0['cpu_seconds']) / reads * 1e6:.1f} µs of CPU "
              f"per process per sample ({reads} process reads in {h1['rounds'] - h0['rounds']} rounds, Warden's own "
              f"account in /v1/health)")
        seconds = float(interval[:-2]) / 1000 if interval.endswith("ms") else float(interval[:-1])
        samples = (w1 - w0) / seconds
        per = (c1 - c0) / (samples * (n + flaky)) * 1e6
        print(f"all of Warden: {c1 - c0:.2f} s CPU in {w1 - w0:.1f} s with {n + flaky} workers at {interval}: "
              f"{per:.1f} µs per process per sample (incl. the leak detectors, the heartbeat lines' capture"
              f"{' and restarts of the flaky workers' if flaky else ''})")
        print(f"warden RSS with {n + flaky} workers: {rss0:.1f} MiB")
        median, worst, size, lines = bench_metrics(state)
        print(f"GET /metrics with {n + flaky} workers: median {median:.1f} ms, max {worst:.1f} ms "
              f"({lines} lines, {size / 1024:.0f} KiB)")
        if minutes > 0:
            samples_rss = []
            end = time.time() + minutes * 60
            while time.time() < end:
                samples_rss.append(rss_mib(p.pid))
                time.sleep(10)
            restarts = sum(1 for e in events(state) if e.get("new_state") == "STARTING" and e["process"].startswith("flaky"))
            print(f"warden RSS over {minutes} min with restarts ({restarts} flaky restarts): "
                  f"first {samples_rss[0]:.1f} MiB, max {max(samples_rss):.1f} MiB, last {samples_rss[-1]:.1f} MiB")
    finally:
        stop_warden(p, d)

def bench_crash(bin_dir, count):
    config = """
[supervisor]
state_dir = "state"
sample_interval = "1s"

[programs.crasher]
command = ["WORKLOAD", "crash", "--after", "0.3"]
start_seconds = "0s"
restart = "always"
start_limit_burst = 0   # measure the restart path itself: no start-limit backoff
"""
    p, d, state, _ = start_warden(bin_dir, config)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if sum(1 for e in events(state) if e.get("new_state") == "EXITED") > count:
                break
            time.sleep(0.2)
        evs = [e for e in events(state) if e.get("process") == "crasher"]
        gaps = []
        for i, e in enumerate(evs):
            if e.get("new_state") == "EXITED":
                nxt = next((x for x in evs[i + 1:] if x.get("new_state") == "RUNNING"), None)
                if nxt:
                    gaps.append((parse_time(nxt["time"]) - parse_time(e["time"])) * 1000)
        gaps.sort()
        print(f"crash to new PID: {len(gaps)} restarts, median {statistics.median(gaps):.1f} ms, "
              f"p90 {gaps[int(len(gaps) * 0.9)]:.1f} ms, max {gaps[-1]:.1f} ms (event-log resolution 1 ms)")
    finally:
        stop_warden(p, d)

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release")
    ap.add_argument("--workers", type=int, default=500)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--crashes", type=int, default=50)
    ap.add_argument("--flaky", type=int, default=0, help="extra workers that crash every 2 s (restarts)")
    ap.add_argument("--steady-mb", default="5", help="MiB each steady worker allocates and touches at start")
    ap.add_argument("--no-history", action="store_true", help="run Warden with [history] enabled = false")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)  # command[0] paths with a slash resolve against the config file's directory
    bench_crash(a.bin, a.crashes)
    bench_many(a.bin, a.workers, a.interval, a.minutes, a.flaky, a.steady_mb, history=not a.no_history)
