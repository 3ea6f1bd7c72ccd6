#!/usr/bin/env bash
# Test-only prerequisites of the VM test bed (npm run test:vm, test/vm/), kept apart from jrt's own
# (ci/setup.sh, which the README's first command runs on users' machines): qemu boots Debian images
# with KVM, qemu-system-common's virtiofsd shares directories into them, ssh runs commands there,
# mke2fs makes their disks. Needs root (apt-get).
set -euo pipefail
need=()
for tool in qemu-system-x86_64:qemu-system-x86 /usr/lib/qemu/virtiofsd:qemu-system-common ssh:openssh-client mke2fs:e2fsprogs mmdebstrap:mmdebstrap; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "ci/setup-vm.sh: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
