#!/usr/bin/env bash
# Installs what jrt and its tests need on a fresh Debian 12 machine, then the npm packages and the
# bundle. Shared by CI (.ci/run) and developers. Needs root (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in bwrap:bubblewrap mmdebstrap:mmdebstrap runc:runc keytool:openjdk-17-jre-headless ip:iproute2 tmux:tmux /usr/bin/python3:python3 setpriv:util-linux unshare:util-linux strace:strace slirp4netns:slirp4netns /usr/sbin/nft:nftables gpgv:gpgv xz:xz-utils gpg:gnupg cc:gcc /usr/include/stdio.h:libc6-dev /usr/include/linux/mount.h:linux-libc-dev; do
  if [ "${tool:0:1}" = / ]; then [ -e "${tool%%:*}" ]; else command -v "${tool%%:*}" >/dev/null 2>&1; fi || need+=("${tool#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "ci/setup.sh: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
