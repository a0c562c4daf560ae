#!/usr/bin/env python3
"""Connection leaks against real 60-slot pools: how much of the pool is still free when Warden restarts the
leaker, and how many restarts steady pools and bursts get (README "Performance", issue 12's pool figures).

Usage:  swift build --product warden --product warden-collector-postgres --product warden-collector-redis
        python3 Benchmarks/pool_bench.py --bin "$PWD/.build/debug" [--rates 1,2,5,10] [--seconds 100]

Starts a PostgreSQL cluster with max_connections = 60 (3 reserved for superusers: a pool of 57 for the
workers' ordinary role) and a
redis-server with maxclients = 60, then runs one fresh `warden run` per scenario and server, every one with
the collector's defaults (interval 1 s, thresholds 80 % / 95 %, leak_checks 3, leak_min_connections 5) and
each program's default leak sustain (60 s):
  - leak R: a worker opening R connections a second and never closing one, beside a steady worker holding 5
    that opens (and closes) a new connection every 0.2 s and exits 3 when refused. Reported: seconds from
    start to the `leak-restart`, the pool at the verdict (`the pool held X of M connections`, from the
    connection-leak alert) and the share of it free, whether the forecast (`exhaustion-forecast`) came first,
    and whether the steady worker was ever refused.
  - steady 89 %: three workers holding 17 connections each (51 of 57 / 60), for --seconds.
  - bursts: a worker holding 15, and one that goes 5 -> 20 connections at 5 a second, holds them 5 s and
    closes back to 5, every 15 s, for --seconds (the pool peaks at 35, below high usage).
Restarts of steady and burst workers are counted (expected 0). Nothing is asserted; the figures are printed.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attribution_bench import as_postgres, start_postgres, start_redis  # noqa: E402

WORKER = r'''
import socket, struct, sys, time
server, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
args = [float(a) for a in sys.argv[4:]]
held = []
def open_one():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if server == "pg":  # StartupMessage v3, trust auth: ReadyForQuery ('Z') or an ErrorResponse ('E')
        body = struct.pack("!I", 196608) + b"user\0app\0database\0postgres\0\0"
        s.sendall(struct.pack("!I", len(body) + 4) + body)
        data = b""
        while b"Z\0\0\0\x05" not in data:
            chunk = s.recv(4096)
            if not chunk or data[:1] == b"E" or chunk[:1] == b"E": sys.exit(3)
            data += chunk
    else:
        s.sendall(b"PING\r\n")
        if not s.recv(64).startswith(b"+PONG"): sys.exit(3)
    return s
if mode == "leak":
    while True: held.append(open_one()); time.sleep(1 / args[0])
if mode == "hold":
    held = [open_one() for _ in range(int(args[0]))]
    while True: time.sleep(60)
if mode == "hold-and-ping":
    held = [open_one() for _ in range(int(args[0]))]
    while True: open_one().close(); time.sleep(0.2)
if mode == "burst":  # base peak rate hold period
    base, peak, rate, hold, period = args
    held = [open_one() for _ in range(int(base))]
    while True:
        began = time.monotonic()
        while len(held) < peak: held.append(open_one()); time.sleep(1 / rate)
        time.sleep(hold)
        while len(held) > base: held.pop().close()
        time.sleep(max(0, period - (time.monotonic() - began)))
'''


def program(name, worker, server, port, *words):
    argv = ", ".join(f'"{w}"' for w in ["python3", worker, server, str(port), *map(str, words)])
    return f'\n[programs.{name}]\ncommand = [{argv}]\nstart_seconds = "200ms"\n[programs.{name}.leak]\nconnection_leak = "restart"\n'


def events(state):
    path = os.path.join(state, "events.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run(binary, directory, label, collector, programs, until_restart, seconds):
    """One `warden run`: waits for the first leak-restart (until_restart) or `seconds`; returns the events."""
    work = tempfile.mkdtemp(prefix="pool-", dir=directory)
    config = os.path.join(work, "warden.toml")
    with open(config, "w") as f:
        f.write(f'[supervisor]\nstate_dir = "state"\n\n{collector}\n{programs}')
    state = os.path.join(work, "state")
    warden = subprocess.Popen([f"{binary}/warden", "run", "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    began = time.time()
    try:
        while time.time() - began < seconds:
            if warden.poll() is not None:
                raise SystemExit(f"{label}: warden exited {warden.returncode}; see {work}")
            if until_restart and any(e.get("event") == "leak-restart" for e in events(state)):
                break
            time.sleep(0.5)
    finally:
        warden.terminate()
        warden.wait(60)
    return began, events(state)


def restarts(recorded, names):
    return sum(1 for e in recorded if e.get("event") == "state-change" and e.get("new_state") == "STARTING"
               and e.get("restart_reason") and e.get("program") in names)


def forecasts(recorded):
    return sum(1 for e in recorded if e.get("event") == "pool-alert" and e.get("reason") == "exhaustion-forecast")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="absolute directory of warden and the collectors")
    parser.add_argument("--rates", default="1,2,5,10", help="leak rates, connections per second")
    parser.add_argument("--seconds", type=float, default=100, help="length of the steady and burst runs")
    parser.add_argument("--cases", default="leaks,steady,bursts", help="which cases to run (comma-separated)")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="wpb-")
    os.chmod(directory, 0o755)
    worker = os.path.join(directory, "worker.py")
    with open(worker, "w") as f:
        f.write(WORKER)
    servers, stop_pg = [], None
    try:
        redis, redis_port = start_redis(directory, 60); servers.append(redis)
        pg, pg_port, bindir = start_postgres(directory, 60)
        stop_pg = lambda: subprocess.run(as_postgres() + [f"{bindir}/pg_ctl", "-D", f"{directory}/data", "-m", "fast", "stop"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The workers log in as an ordinary role: superusers may also take the 3 reserved slots.
        subprocess.run(as_postgres() + ["/usr/bin/psql", "-X", "-q", "-h", directory, "-p", str(pg_port), "-U", "postgres",
                                        "-d", "postgres", "-c", "CREATE ROLE app LOGIN"], check=True)
        targets = [("postgres", "pg", pg_port, f"postgres://postgres@127.0.0.1:{pg_port}/postgres"),
                   ("redis", "redis", redis_port, f"redis://127.0.0.1:{redis_port}")]
        print(f"warden and collectors from {args.bin}; collect interval 1 s, default thresholds and sustain (60 s)")
        for name, kind, port, url in targets:
            collector = f'[collectors.{name}]\nplugin = "{args.bin}/warden-collector-{name}"\ninterval = "1s"\nconfig = {{ url = "{url}" }}\n'
            cases = set(args.cases.split(","))
            for rate in [float(r) for r in args.rates.split(",")] if "leaks" in cases else []:
                programs = program("leaker", worker, kind, port, "leak", rate) + program("steady", worker, kind, port, "hold-and-ping", 5)
                began, recorded = run(args.bin, directory, f"{name} leak {rate:g}", collector, programs, True, 180)
                restart = next((e for e in recorded if e.get("event") == "leak-restart"), None)
                if restart is None:
                    print(f"{name:<8} leak {rate:>4g} conn/s: no restart within 180 s"); continue
                at = datetime.fromisoformat(restart["time"].replace("Z", "+00:00")).timestamp() - began
                alert = next((e for e in recorded if e.get("event") == "pool-alert" and e.get("reason") == "connection-leak"), {})
                held = alert.get("message", "").rsplit("the pool held ", 1)[-1].split(" connections")[0].split(" of ")
                forecast_first = any(e.get("event") == "pool-alert" and e.get("reason") == "exhaustion-forecast"
                                     for e in recorded[:recorded.index(restart)])
                refused = sum(1 for e in recorded if e.get("event") == "state-change" and e.get("program") == "steady"
                              and e.get("new_state") in ("EXITED", "BACKOFF", "FATAL"))
                free = f"{(int(held[1]) - int(held[0])) / int(held[1]) * 100:.0f} % free ({held[0]} of {held[1]} taken)" \
                    if len(held) == 2 else "pool size not in the alert"
                print(f"{name:<8} leak {rate:>4g} conn/s: restarted after {at:5.1f} s with {free}; "
                      f"forecast first: {'yes' if forecast_first else 'no'}; steady worker refused: {refused}")
            steady = "".join(program(f"steady{i}", worker, kind, port, "hold", 17) for i in range(3))
            if "steady" in cases:
                _, recorded = run(args.bin, directory, f"{name} steady", collector, steady, False, args.seconds)
                print(f"{name:<8} steady 51 connections for {args.seconds:g} s: {restarts(recorded, {'steady0', 'steady1', 'steady2'})} restarts, "
                      f"exhaustion-forecast alerts {forecasts(recorded)}")
            bursts = program("steady", worker, kind, port, "hold", 15) + program("bursty", worker, kind, port, "burst", 5, 20, 5, 5, 15)
            if "bursts" in cases:
                _, recorded = run(args.bin, directory, f"{name} bursts", collector, bursts, False, args.seconds)
                print(f"{name:<8} bursts 5 -> 20 at 5/s every 15 s beside 15 held, {args.seconds:g} s: "
                      f"{restarts(recorded, {'steady', 'bursty'})} restarts, exhaustion-forecast alerts {forecasts(recorded)}")
    finally:
        if stop_pg:
            stop_pg()
        for server in servers:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
