#!/usr/bin/env bash
# Installs the Debian packages the build needs, when they are missing.
# Run as root on a fresh machine (make test / make demo call it); as another user it only reports.
set -euo pipefail

packages=(build-essential cmake ninja-build ccache pkg-config libgtest-dev libgmock-dev libbenchmark-dev
  liburing-dev libssl-dev openssl ca-certificates curl node-llhttp libwslay-dev zlib1g-dev
  python3-aiohttp python3-websockets nginx-light nghttp2-client wrk chromium)
# (clang, and compiler-rt for its sanitizers and libFuzzer: make clang, make fuzz)
[ "${AIO_WITH_CLANG:-0}" = 1 ] && packages+=(clang libclang-rt-dev)
# make bench: the peers aio is compared with (bench/compare), valgrind and gnuplot
if [ "${AIO_WITH_BENCH:-0}" = 1 ]; then
  packages+=(python3 python3-uvloop golang-go libboost-dev librust-tokio-dev valgrind gnuplot-nox
    librust-hyper-dev wrk)
  command -v node >/dev/null || packages+=(nodejs)
  command -v cargo >/dev/null || packages+=(cargo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "aio: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "aio: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages with services (nginx-light, for the HTTP tests' comparison) must not start them: the
# tests run their own on loopback. policy-rc.d says so to invoke-rc.d, for this install only.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
