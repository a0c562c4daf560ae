#!/usr/bin/env python3
"""Cost of one collect with many clients, TCP and unix socket, for the shipped collectors (README "Performance").

Usage:  swift build --product warden-collector-redis --product warden-collector-postgres   (or -c release)
        python3 Benchmarks/attribution_bench.py --bin "$PWD/.build/debug" [--clients 500] [--rounds 30]

Starts a throwaway redis-server (TCP + unix socket) and a PostgreSQL cluster (initdb in a temporary
directory, max_connections = clients + 20, trust authentication, TCP + unix socket; as root the server
runs as the `postgres` user). One "worker" process (this script's child) opens CLIENTS connections, all
over TCP or all over the unix socket — PostgreSQL ones complete the startup handshake, so each is a
client backend in pg_stat_activity. The collector binary is driven through the plugin protocol; each
round is timed from writing `collect` to reading `samples` (the server's answer, the /proc snapshot, the
unix_diag dump, the server-side fd reads and, for PostgreSQL, one smaps_rollup per attributed backend).
Rounds with the worker's connections listed as a worker and with no workers are both reported: the
difference is what attributing the CLIENTS connections costs. Checks that every client is attributed.
Nothing is asserted beyond that; the figures are printed for the README.
"""
import argparse, json, os, pwd, shutil, socket, statistics, struct, subprocess, sys, tempfile, time

HOLDER = r'''
import socket, struct, sys
kind, target, count, pg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "pg"
def open_one():
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX); s.connect(target)
    else:
        host, port = target.rsplit(":", 1); s = socket.create_connection((host, int(port)))
    if pg:  # StartupMessage v3, trust auth: read until ReadyForQuery ('Z')
        body = struct.pack("!I", 196608) + b"user\0postgres\0database\0postgres\0\0"
        s.sendall(struct.pack("!I", len(body) + 4) + body)
        data = b""
        while b"Z\0\0\0\x05" not in data:
            chunk = s.recv(4096)
            if not chunk: raise SystemExit("server closed during startup")
            data += chunk
    else:
        s.sendall(b"PING\r\n"); assert s.recv(16).startswith(b"+PONG")
    return s
held = [open_one() for _ in range(count)]
print("ready", flush=True)
sys.stdin.read()
'''

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def as_postgres():
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

def start_postgres(directory, max_connections):
    bindir = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int)[-1]
    bindir = f"/usr/lib/postgresql/{bindir}/bin"
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres"); os.chown(directory, entry.pw_uid, entry.pw_gid)
    subprocess.run(as_postgres() + [f"{bindir}/initdb", "-D", f"{directory}/data", "-U", "postgres", "--auth=trust",
                   "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(as_postgres() + [f"{bindir}/postgres", "-D", f"{directory}/data", "-p", str(port), "-k", directory,
                              "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", f"max_connections={max_connections}",
                              "-c", "shared_buffers=32MB"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if subprocess.run([f"{bindir}/pg_isready", "-q", "-h", directory, "-p", str(port)]).returncode == 0:
            return server, port, bindir
        time.sleep(0.1)
    raise SystemExit("postgres did not start")

def start_redis(directory, max_clients):
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--unixsocket", f"{directory}/redis.sock", "--unixsocketperm", "777",
                               "--maxclients", str(max_clients)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"): return server, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis did not start")

class Collector:
    def __init__(self, binary, url):
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.send({"type": "hello", "protocol_version": 1, "collector": "bench", "interval_seconds": 1,
                   "timeout_seconds": 30, "long_running_seconds": 300, "config": {"url": url}})
        assert json.loads(self.proc.stdout.readline())["type"] == "hello"
        self.seq = 0

    def send(self, message):
        self.proc.stdin.write(json.dumps(message) + "\n"); self.proc.stdin.flush()

    def collect(self, workers):
        self.seq += 1
        start = time.perf_counter()
        self.send({"type": "collect", "seq": self.seq, "workers": workers})
        answer = json.loads(self.proc.stdout.readline())
        elapsed = time.perf_counter() - start
        if answer["type"] != "samples": raise SystemExit(f"collect failed: {answer}")
        return elapsed, answer["pools"][0]

    def close(self):
        self.send({"type": "shutdown"}); self.proc.wait(10)

def measure(label, binary, url, kind, target, clients, rounds, pg):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, kind, target, str(clients), "pg" if pg else "redis"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    collector = Collector(binary, url)
    workers = [{"name": "bench:0", "program": "bench", "pid": holder.pid, "tree_pids": [holder.pid]}]
    collector.collect(workers)  # warm-up: connect
    timed, sample = [], None
    for _ in range(rounds):
        elapsed, sample = collector.collect(workers); timed.append(elapsed)
    bare = [collector.collect([])[0] for _ in range(rounds)]
    collector.close()
    holder.stdin.close(); holder.wait(10)
    attributed = sample["by_worker"].get("bench:0")
    memory = (sample.get("backend_memory") or {}).get("bench:0")
    ms = lambda values: f"median {statistics.median(values) * 1000:6.1f} ms, p90 {sorted(values)[int(len(values) * 0.9) - 1] * 1000:6.1f} ms"
    print(f"{label:<28} with the worker: {ms(timed)} | no workers: {ms(bare)} | attributed {attributed}/{clients}, "
          f"unattributed {sample['unattributed']}" + (f", backends' pss {memory['pss_bytes'] / 1048576:.0f} MiB" if memory else ""))

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="absolute directory of the built collectors")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="wab-"); os.chmod(directory, 0o755)
    servers = []
    try:
        redis, redis_port = start_redis(directory, args.clients + 100); servers.append(redis)
        pg, pg_port, bindir = start_postgres(directory, args.clients + 20)
        stop_pg = lambda: subprocess.run(as_postgres() + [f"{bindir}/pg_ctl", "-D", f"{directory}/data", "-m", "fast", "stop"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        redis_bin, pg_bin = f"{args.bin}/warden-collector-redis", f"{args.bin}/warden-collector-postgres"
        redis_url, pg_url = f"redis://127.0.0.1:{redis_port}", f"postgres://postgres@127.0.0.1:{pg_port}/postgres"
        print(f"{args.clients} clients, {args.rounds} rounds each, collectors from {args.bin}")
        measure("redis, TCP clients", redis_bin, redis_url, "tcp", f"127.0.0.1:{redis_port}", args.clients, args.rounds, False)
        measure("redis, unix-socket clients", redis_bin, redis_url, "unix", f"{directory}/redis.sock", args.clients, args.rounds, False)
        measure("postgres, TCP clients", pg_bin, pg_url, "tcp", f"127.0.0.1:{pg_port}", args.clients, args.rounds, True)
        measure("postgres, unix-socket clients", pg_bin, pg_url, "unix", f"{directory}/.s.PGSQL.{pg_port}", args.clients, args.rounds, True)
    finally:
        if "stop_pg" in locals(): stop_pg()
        for server in servers:
            server.terminate()
            try: server.wait(20)
            except subprocess.TimeoutExpired: server.kill()
        shutil.rmtree(directory, ignore_errors=True)

if __name__ == "__main__":
    main()
