#!/usr/bin/env python3
"""Example Warden collector plugin in Python 3, standard library only (docs/plugin-protocol.md).

It reports one real "pool": the TCP connections that supervised workers hold to a configured server port,
read from /proc (nothing is made up):

    [collectors.example]
    plugin = "examples/collector-example.py"   # relative to the config file's directory (here: etc/)
    interval = "10s"
    config = { port = 5432, host = "127.0.0.1", max = 20 }

- pool          "tcp://HOST:PORT" (or "tcp://*:PORT" without host)
- max           config.max, the pool size you declare (default 100)
- in_use        ESTABLISHED client connections to the port with bytes queued (tx or rx queue not empty)
- idle          ESTABLISHED client connections to the port with empty queues
- waiting       connections still in SYN_SENT (a connect waiting for the server)
- by_worker     worker name -> its ESTABLISHED connections (any pid of its tree holds the socket)
- unattributed  ESTABLISHED connections to the port that no worker holds
- long_running  [] (TCP alone cannot tell how long a connection has been busy)

Method: /proc/net/tcp and /proc/net/tcp6 give each socket's local/remote endpoint, state and inode;
/proc/PID/fd/* links name the inodes ("socket:[N]") a process holds.
"""
import datetime
import json
import os
import socket
import struct
import sys

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 1 << 20
NAME = "collector-example.py"
VERSION = "1.0.0"

ESTABLISHED, SYN_SENT = 0x01, 0x02


def send(message):
    """One JSON object per line on stdout, flushed at once."""
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def log(text):
    """Diagnostics go to stderr (Warden copies them to its log)."""
    sys.stderr.write(f"{NAME}: {text}\n")
    sys.stderr.flush()


def decode_address(hex_text):
    """/proc/net/tcp prints each 32-bit word of the address in native byte order."""
    raw = b"".join(struct.pack("=I", int(hex_text[i:i + 8], 16)) for i in range(0, len(hex_text), 8))
    if len(raw) == 16 and raw[:12] == b"\0" * 10 + b"\xff\xff":
        raw = raw[12:]  # IPv4-mapped IPv6 -> IPv4
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def tcp_rows():
    """(local_addr, local_port, remote_addr, remote_port, state, tx+rx queued bytes, inode) per socket."""
    rows = []
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/net/{name}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, remote = fields[1].split(":"), fields[2].split(":")
            tx, rx = (int(x, 16) for x in fields[4].split(":"))
            rows.append((decode_address(local[0]), int(local[1], 16), decode_address(remote[0]),
                         int(remote[1], 16), int(fields[3], 16), tx + rx, int(fields[9])))
    return rows


def socket_inodes(pid):
    inodes = set()
    directory = f"/proc/{pid}/fd"
    try:
        names = os.listdir(directory)
    except OSError:
        return inodes  # exited, or not ours to read
    for fd in names:
        try:
            target = os.readlink(f"{directory}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target.endswith("]"):
            inodes.add(int(target[8:-1]))
    return inodes


def normalize(host):
    try:
        packed = socket.inet_pton(socket.AF_INET6, host)
        if packed[:12] == b"\0" * 10 + b"\xff\xff":
            return socket.inet_ntop(socket.AF_INET, packed[12:])
        return socket.inet_ntop(socket.AF_INET6, packed)
    except OSError:
        return host


class Collector:
    def __init__(self, hello):
        config = hello.get("config") or {}
        port = config.get("port")
        if not isinstance(port, (int, float)) or not 1 <= int(port) <= 65535:
            raise ValueError("config.port must be a TCP port number")
        self.port = int(port)
        self.host = normalize(config["host"]) if isinstance(config.get("host"), str) else None
        self.max = int(config.get("max", 100))
        self.pool = f"tcp://{self.host or '*'}:{self.port}"

    def collect(self, workers):
        owner = {}
        for worker in workers:
            for pid in set(worker.get("tree_pids", [])) | {worker["pid"]}:
                for inode in socket_inodes(pid):
                    owner.setdefault(inode, worker["name"])
        by_worker = {worker["name"]: 0 for worker in workers}
        in_use = idle = waiting = unattributed = 0
        for _, _, remote_addr, remote_port, state, queued, inode in tcp_rows():
            if remote_port != self.port or (self.host and normalize(remote_addr) != self.host):
                continue
            if state == SYN_SENT:
                waiting += 1
                continue
            if state != ESTABLISHED:
                continue
            if queued:
                in_use += 1
            else:
                idle += 1
            if inode in owner:
                by_worker[owner[inode]] += 1
            else:
                unattributed += 1
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
        return [{
            "pool": self.pool, "max": self.max, "in_use": in_use, "idle": idle, "waiting": waiting,
            "by_worker": by_worker, "unattributed": unattributed, "long_running": [],
            "collected_at": now.replace("+00:00", "Z"),
        }]


def main():
    collector = None
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline(MAX_LINE_BYTES + 2)
        if not line:
            return 0  # end of input: Warden is gone or wants us gone
        if not line.endswith(b"\n") and len(line) > MAX_LINE_BYTES:
            while line and not line.endswith(b"\n"):
                line = stdin.readline(MAX_LINE_BYTES)
            log("dropped an oversized input line")
            continue
        try:
            message = json.loads(line)
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            log("ignored an input line that is not a valid Warden message")
            continue
        if kind == "shutdown":
            return 0
        if kind == "hello":
            if message.get("protocol_version") != PROTOCOL_VERSION:
                send({"type": "error", "seq": None, "message":
                      f"protocol version mismatch: Warden speaks {message.get('protocol_version')}, "
                      f"{NAME} speaks {PROTOCOL_VERSION}"})
                return 1
            try:
                collector = Collector(message)
            except Exception as error:  # bad config: report, exit 1
                send({"type": "error", "seq": None, "message": str(error)})
                return 1
            send({"type": "hello", "name": NAME, "version": VERSION, "protocol_version": PROTOCOL_VERSION,
                  "capabilities": ["pools"]})
        elif kind == "collect":
            seq = message.get("seq")
            if collector is None:
                send({"type": "error", "seq": seq, "message": "collect before hello"})
                continue
            try:
                send({"type": "samples", "seq": seq, "pools": collector.collect(message.get("workers", []))})
            except Exception as error:
                send({"type": "error", "seq": seq, "message": str(error)})
        else:
            log(f"ignored a message of unknown type {kind!r}")


if __name__ == "__main__":
    sys.exit(main())
