#!/usr/bin/env bash
# Installs the system packages the project needs, when missing:
# libpcap-dev (pcap.h and libpcap for the Go build), tcpdump (tests compare
# against it) and iproute2 (live tests build network namespaces).
# Installs only as root; otherwise says what is missing.
set -euo pipefail
missing=()
[ -f /usr/include/pcap/pcap.h ] || missing+=(libpcap-dev)
command -v tcpdump >/dev/null || [ -x /usr/bin/tcpdump ] || [ -x /usr/sbin/tcpdump ] || missing+=(tcpdump)
command -v ip >/dev/null || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  [[ " ${missing[*]} " == *" libpcap-dev "* ]] && exit 1
  exit 0
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
}
