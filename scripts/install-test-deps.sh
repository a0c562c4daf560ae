#!/usr/bin/env bash
# Installs the Debian packages Warden's tests need, idempotently, and stops any server the packages
# auto-started: the tests start their own throwaway servers on free loopback ports and must not depend
# on (or collide with) a system PostgreSQL on 5432 or a system Redis on 6379.
#
#   postgresql, postgresql-contrib   initdb/pg_ctl/postgres (/usr/lib/postgresql/N/bin), psql, pgbench
#   redis-server                     redis-server, redis-cli
#   libsystemd-dev, pkg-config       sd_notify / journald bindings
#   systemd                          systemd-analyze (unit file lint), systemd-notify
#   curl, python3                    control-API checks; notify senders and example plugins in tests
#   prometheus                       prometheus (a real server scraping Warden's /metrics), promtool (lint, rules)
#   prometheus-alertmanager          a real Alertmanager receiving Warden's [notify] alerts
#   chromium, chromium-driver        a real headless browser for the dashboard's test (driven by selenium,
#                                    installed from PyPI with pip below)
#   tmux                             a real terminal for `warden top` (send-keys / capture-pane)
#
# Usage: scripts/install-test-deps.sh   (as root, or with passwordless sudo)
set -euo pipefail

packages=(postgresql postgresql-contrib redis-server libsystemd-dev pkg-config systemd curl python3 prometheus
    prometheus-alertmanager chromium chromium-driver tmux)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-test-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "install-test-deps: all packages present"
fi

# selenium drives Debian's chromium through /usr/bin/chromedriver (it never downloads a browser).
if ! python3 -c "import selenium" 2>/dev/null; then
    echo "install-test-deps: installing selenium (pip)"
    python3 -m pip install --quiet selenium || python3 -m pip install --quiet --break-system-packages selenium
fi

# Stop whatever the packages may have started. Each step tolerates a machine without systemd as PID 1
# (containers), a cluster that is already down, and a service that was never started.
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
        if [ "$status" = "online" ]; then
            echo "install-test-deps: stopping PostgreSQL cluster $version/$cluster"
            $SUDO pg_ctlcluster "$version" "$cluster" stop || true
        fi
    done
fi
if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now postgresql.service redis-server.service prometheus.service \
        prometheus-node-exporter.service prometheus-alertmanager.service >/dev/null 2>&1 || true
fi
if command -v service >/dev/null 2>&1; then
    $SUDO service redis-server stop >/dev/null 2>&1 || true
    $SUDO service prometheus stop >/dev/null 2>&1 || true
    $SUDO service prometheus-alertmanager stop >/dev/null 2>&1 || true
fi
if [ -f /var/run/redis/redis-server.pid ]; then
    pid=$(cat /var/run/redis/redis-server.pid 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then $SUDO kill "$pid" || true; fi
fi

# The tests need these binaries; fail here, clearly, rather than deep inside a test.
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
for tool in "$pgbin/initdb" "$pgbin/pg_ctl" "$pgbin/postgres"; do
    [ -x "$tool" ] || { echo "install-test-deps: missing $tool" >&2; exit 1; }
done
for tool in psql pgbench redis-server redis-cli pkg-config systemd-analyze prometheus promtool prometheus-alertmanager \
    chromium chromedriver; do
    command -v "$tool" >/dev/null || { echo "install-test-deps: missing $tool" >&2; exit 1; }
done
echo "install-test-deps: ok (PostgreSQL binaries in $pgbin)"
