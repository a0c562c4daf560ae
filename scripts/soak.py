#!/usr/bin/env python3
"""Soak and fault suite for Warden (issue 14): a script, not a timed test. Prints one figure per line.

    python3 scripts/soak.py --bin .build/debug [--cycles 10000] [--kills 20] [--connections 5000] [--only NAME]

Scenarios (all on real `warden run` processes in throwaway directories under /tmp):
  crash        --cycles crash/restart cycles of /bin/false workers: Warden's fd count and RSS before/after
  kill9        --kills times: kill -9 Warden with 10 workers (two HTTP servers), start it again: orphans
               (old processes alive once the new Warden runs), duplicates (more tagged processes than
               expected), time until the old ones are gone and the servers answer
  fulldisk     a 2 MiB tmpfs state_dir filled by a flood worker, then freed: invalid lines in events.jsonl
               (root only: mounts a tmpfs)
  connections  --connections idle control connections against api_max_connections (128): Warden's RSS
               before, with them open and after they close; restarts of a crashing worker meanwhile
"""
import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid


# A worker that crashes 0.2 s after each start and is restarted 0.1 s later: supervision going on (or not)
# shows in how often it starts.
CRASHER = """[programs.crasher]
command = ["/bin/sh", "-c", "sleep 0.2; exit 1"]
start_seconds = "100ms"
backoff = "100ms"
backoff_max = "100ms"
start_limit_burst = 0
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def tagged(marker):
    """Live (non-zombie) processes whose environment holds SOAK_RUN=marker."""
    found = []
    entry = f"SOAK_RUN={marker}".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if entry not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{name}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state != "Z":
                found.append(int(name))
        except OSError:
            pass
    return found


def wait_for(what, timeout, condition, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:
            pass
        time.sleep(step)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


class Warden:
    def __init__(self, binary, directory, config):
        self.binary = binary
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.config = os.path.join(directory, "warden.toml")
        with open(self.config, "w") as f:
            f.write(config)
        self.socket = os.path.join(directory, "state", "warden.sock")
        self.process = None

    def start(self, timeout=30):
        err = open(os.path.join(self.directory, "warden.stderr"), "ab")
        self.process = subprocess.Popen([os.path.join(self.binary, "warden"), "run", "-c", self.config],
                                        stdout=subprocess.DEVNULL, stderr=err)
        wait_for("the control socket", timeout, lambda: self.get("/v1/health") is not None)

    def get(self, path):
        out = subprocess.run(["curl", "-sf", "-m", "5", "--unix-socket", self.socket, "http://localhost" + path],
                             capture_output=True)
        return json.loads(out.stdout) if out.returncode == 0 else None

    def post(self, path, body):
        subprocess.run(["curl", "-sf", "-m", "60", "--unix-socket", self.socket, "-X", "POST", "-H",
                        "Content-Type: application/json", "-d", json.dumps(body), "http://localhost" + path],
                       capture_output=True)

    def processes(self):
        answer = self.get("/v1/processes")
        return {p["name"]: p for p in answer["processes"]} if answer else {}

    def stop(self, remove=True):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)

    def kill9(self):
        self.process.kill()
        self.process.wait(10)


def crash(args):
    programs = "".join(f"""
[programs.crash{i}]
command = ["/bin/false"]
start_seconds = "0s"
restart = "always"
start_limit_burst = 0
""" for i in range(8))
    w = Warden(args.bin, tempfile.mkdtemp(prefix="soak-", dir="/tmp"), f"""
[supervisor]
state_dir = "state"
{programs}
[history]
enabled = false
""")
    w.start()
    total = lambda: sum(p["restarts"] for p in w.processes().values())

    def quiet():
        """Warden's fds and RSS with every worker stopped (nothing in flight), then starts them again."""
        w.post("/v1/processes/stop", {"names": ["all"]})
        time.sleep(2)   # a sampling round drops the stopped trees' /proc handles
        figures = (fd_count(w.process.pid), rss_kib(w.process.pid))
        w.post("/v1/processes/start", {"names": ["all"]})
        return figures

    wait_for("warm-up (500 cycles)", 120, lambda: total() >= 500, step=0.2)
    before = quiet() + (total(),)
    started = time.monotonic()
    wait_for(f"{args.cycles} cycles", 3600, lambda: total() >= before[2] + args.cycles, step=0.5)
    seconds = time.monotonic() - started
    cycles = total() - before[2]
    after = quiet()
    w.stop()
    print(f"crash: {cycles} crash/restart cycles in {seconds:.0f} s; with the workers stopped before and after: "
          f"Warden fds {before[0]} -> {after[0]}, RSS {before[1] / 1024:.1f} -> {after[1] / 1024:.1f} MiB")


def kill9(args):
    marker = uuid.uuid4().hex
    ports = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ports.append(s.getsockname()[1])
        s.close()
    servers = "".join(f"""
[programs.web{i}]
command = ["python3", "-m", "http.server", "--bind", "127.0.0.1", "{port}"]
start_seconds = "0s"
environment = {{ SOAK_RUN = "{marker}" }}
""" for i, port in enumerate(ports))
    w = Warden(args.bin, tempfile.mkdtemp(prefix="soak-", dir="/tmp"), f"""
[supervisor]
state_dir = "state"
{servers}
[programs.steady]
command = ["{args.bin}/warden-workload", "steady", "--mb", "0"]
numprocs = 6
start_seconds = "0s"
environment = {{ SOAK_RUN = "{marker}" }}

[programs.tree]
command = ["/bin/sh", "-c", "sleep 1000 & exec sleep 1001"]
numprocs = 2
start_seconds = "0s"
environment = {{ SOAK_RUN = "{marker}" }}
""")
    expected = 12  # 10 workers and the `sleep 1000` child of each `tree` worker

    def answers(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"GET / HTTP/1.0\r\n\r\n")
                return c.recv(12).startswith(b"HTTP/1.0 200")
        except OSError:
            return False

    w.start()
    wait_for("all processes", 30, lambda: len(tagged(marker)) == expected)
    wait_for("both servers", 30, lambda: all(answers(p) for p in ports))
    orphans = duplicates = 0
    gone, serving = [], []
    for _ in range(args.kills):
        old = set(tagged(marker))
        w.kill9()
        t0 = time.monotonic()
        w.start()
        wait_for("the old processes gone", 30, lambda: not (set(tagged(marker)) & old), step=0.01)
        gone.append(time.monotonic() - t0)
        wait_for("both servers again", 30, lambda: all(answers(p) for p in ports), step=0.01)
        serving.append(time.monotonic() - t0)
        wait_for("all processes again", 30, lambda: len(tagged(marker)) >= expected)
        time.sleep(0.5)
        now = set(tagged(marker))
        orphans += len(now & old)
        duplicates += max(0, len(now) - expected)
    w.stop()
    left = len(tagged(marker))
    print(f"kill9: {args.kills} kill -9 + restart trials: orphans {orphans}, duplicates {duplicates}, "
          f"left after shutdown {left}; old processes gone {min(gone):.2f}-{max(gone):.2f} s, "
          f"servers answering {min(serving):.2f}-{max(serving):.2f} s after the new warden was started")


def fulldisk(args):
    if os.geteuid() != 0:
        print("fulldisk: skipped (needs root to mount a tmpfs)")
        return
    directory = tempfile.mkdtemp(prefix="soak-", dir="/tmp")
    state = os.path.join(directory, "state")
    os.makedirs(state)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", state], check=True)
    try:
        w = Warden(args.bin, directory, f"""
[supervisor]
state_dir = "state"
log_backups = 0

[programs.flood]
command = ["/bin/sh", "-c", "while :; do head -c 30000 /dev/zero | tr '\\\\0' x; echo; sleep 0.005; done"]
start_seconds = "0s"

{CRASHER}
[history]
enabled = false
""")
        w.start()
        wait_for("events lost", 60, lambda: w.get("/v1/health").get("events_failed_writes", 0) > 0, step=0.2)
        restarts = w.processes()["crasher"]["restarts"]
        time.sleep(10)   # ten seconds of a full disk
        restarts_full = w.processes()["crasher"]["restarts"] - restarts
        health = w.get("/v1/health")
        w.post("/v1/processes/stop", {"names": ["flood"]})
        os.unlink(os.path.join(state, "logs", "flood.out.log"))
        time.sleep(5)
        w.stop(remove=False)
        with open(os.path.join(state, "events.jsonl"), "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        tail = lines.pop()
        invalid = sum(1 for line in lines if not _parses(line)) + (1 if tail else 0)
        print(f"fulldisk: events.jsonl {len(lines)} lines, invalid {invalid}; lost while full: "
              f"{health['events_failed_writes']} events, {health['output_dropped_bytes']} output bytes; "
              f"crasher restarted {restarts_full} times during 10 s of full disk")
    finally:
        subprocess.run(["umount", "-l", state])
        shutil.rmtree(directory, ignore_errors=True)


def _starts(w, name):
    """How many times `name` went to STARTING, from events.jsonl."""
    count = 0
    with open(os.path.join(w.directory, "state", "events.jsonl")) as f:
        for line in f:
            event = json.loads(line)
            count += event.get("process") == name and event.get("new_state") == "STARTING"
    return count


def _parses(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def connections(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 1024), hard))
    w = Warden(args.bin, tempfile.mkdtemp(prefix="soak-", dir="/tmp"), f"""
[supervisor]
state_dir = "state"

{CRASHER}
[history]
enabled = false
""")
    w.start()
    pid = w.process.pid

    def flood(count):
        """Opens `count` idle connections. Non-blocking connects: a full backlog answers EAGAIN, then the
        client waits a little and tries again (the server closes what is over the cap, emptying it)."""
        held = []
        deadline = time.monotonic() + 60
        while len(held) < count and time.monotonic() < deadline:
            s = socket.socket(socket.AF_UNIX)
            s.setblocking(False)
            if s.connect_ex(w.socket) in (0, 115):  # connected, or in progress
                held.append(s)
            else:
                s.close()
                time.sleep(0.002)
        return held

    time.sleep(3)
    cold = rss_kib(pid)
    # A first, small burst pages in the code of the accept/refuse/close paths (file-backed RSS, once).
    for s in flood(500):
        s.close()
    time.sleep(5)
    before = rss_kib(pid)
    starts = _starts(w, "crasher")
    t0 = time.monotonic()
    held = flood(args.connections)
    time.sleep(3)
    during = rss_kib(pid)
    fds_during = fd_count(pid)
    open_after = 0
    for s in held:
        try:
            if s.recv(1, socket.MSG_PEEK) != b"":
                open_after += 1
        except BlockingIOError:
            open_after += 1
        except OSError:
            pass
    # The API itself is at its cap now (the idle connections hold every slot): count from the event log.
    restarts_during = _starts(w, "crasher") - starts
    seconds = time.monotonic() - t0
    for s in held:
        s.close()
    time.sleep(5)
    after = rss_kib(pid)
    w_ok = w.get("/v1/health") is not None
    w.stop()
    print(f"connections: {len(held)} idle connections opened, {open_after} still open after 3 s (cap 128); "
          f"Warden RSS {cold / 1024:.1f} at start, {before / 1024:.1f} after a first burst of 500, "
          f"{during / 1024:.1f} (fds {fds_during}) with them open, {after / 1024:.1f} MiB "
          f"after they closed (delta {(after - before) / 1024:+.1f} MiB); crasher started {restarts_during} "
          f"times in the {seconds:.0f} s with them open; API answering after: {w_ok}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/debug", help="directory of warden and warden-workload")
    parser.add_argument("--cycles", type=int, default=10000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--only", choices=["crash", "kill9", "fulldisk", "connections"])
    args = parser.parse_args()
    args.bin = os.path.abspath(args.bin)
    for name, scenario in [("crash", crash), ("kill9", kill9), ("fulldisk", fulldisk), ("connections", connections)]:
        if args.only in (None, name):
            scenario(args)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
