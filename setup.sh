#!/usr/bin/env bash
# Installs what capsul needs on Debian 12 and is safe to run again (it only adds what is missing).
#   ./setup.sh        apt packages and the venv (.venv) that `python run.py` needs
#   ./setup.sh test   the same, plus what the test suite needs
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-run}
case "$mode" in run|test) ;; *) echo "usage: ./setup.sh [run|test]" >&2; exit 2 ;; esac

# postgresql: the embedded database (acl: lets its postgres user reach ./var in a clone under
# /root); libvirt-dev + pkg-config + gcc + python3-dev: to build
# libvirt-python (no wheel exists); libvirt0 (pulled in by libvirt-dev) carries test:///default.
# qemu-utils: qemu-img, for VM disk overlays on a real hypervisor (and the tests).
# nodejs + npm: `npm ci` installs the browser libraries the hub serves (package.json, pinned with
# integrity hashes in package-lock.json); Debian's nodejs comes without npm, NodeSource's with it.
# restic: a spoke sends each capsul's backup to the backup store with it (docs/backups.md).
# nftables: a spoke enforces capsuls' firewalls and anti-spoofing with it (docs/firewall.md).
packages=(postgresql acl libvirt-dev pkg-config gcc python3-dev python3-venv qemu-utils restic nodejs nftables)
command -v npm >/dev/null || packages+=(npm)
# The tests also drive real QEMU guests through a real libvirtd (qemu:///system).
# busybox-static and cpio build the tiny guest the tests boot; chromium runs the browser tests
# (Playwright drives it; nothing is downloaded by `playwright install`); mmdebstrap builds the
# Debian cloud image the reachability test logs in to over SSH (openssh-client); dnsmasq-base
# serves its libvirt network's DHCP; cloud-init's own tools check the seeds the spoke writes;
# haproxy is the load balancer the several-hubs test puts in front of three hubs; openssh-server
# is the backup host the backup tests run in a network namespace of their own (restic over SFTP);
# pdns-server with its SQLite backend is the DNS server reverse DNS is pushed to, and dig (bind9-dnsutils)
# asks it what `dig -x` answers.
[ "$mode" = test ] && packages+=(libvirt-daemon-system qemu-system-x86 busybox-static cpio chromium
                                 mmdebstrap dnsmasq-base openssh-client e2fsprogs cloud-init haproxy
                                 openssh-server pdns-server pdns-backend-sqlite3 bind9-dnsutils)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: these Debian packages are missing; run ./setup.sh as root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # Installing a daemon's package (openssh-server) must not start it on this machine: the tests run
  # their own sshd where they need one. policy-rc.d is Debian's switch for that, removed after.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; own_policy=1
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" || { [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d; exit 1; }
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
  # On this host cloud-init is only a checker of seeds: keep it from configuring the machine at boot.
  if [[ " ${missing[*]} " == *" cloud-init "* ]]; then touch /etc/cloud/cloud-init.disabled; fi
fi

# The venv uses Debian's own Python so a fresh machine and this one build the same thing.
if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv .venv
fi
extras=""
[ "$mode" = test ] && extras="[test]"
stamp=".venv/.installed-$mode"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
  echo "$want" > "$stamp"
fi

# The browser libraries (xterm.js), exactly as package-lock.json pins them; again only when it changed.
stamp="node_modules/.installed"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing browser libraries into node_modules"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
