/**
 * A world for --network=web tests, made of two network namespaces the test creates. jrt runs in the
 * first, "the host" (slirp4netns connects out from there): it has a loopback server and an address
 * of its own, HOST_ADDRESS. A veth pair joins it to the second, "the network around the host": every
 * address of OUTSIDE is there, each with a server that answers `pong ADDRESS` on OUTSIDE_PORTS.
 * Nothing leaves these two namespaces: their only link is the veth pair between them.
 */
import { requireTools } from './jrt.js';

export const HOST_ADDRESS = '198.51.100.1';
/** Where the host's own server listens: its loopback and HOST_ADDRESS. */
export const HOST_PORT = 8766;
export const OUTSIDE_PORTS = [8765, 8767] as const;

export const OUTSIDE = {
  metadata: '169.254.169.254',
  rfc1918_10: '10.1.2.3',
  rfc1918_172: '172.16.5.5',
  rfc1918_192: '192.168.7.7',
  cgnat: '100.64.1.1',
  /** TEST-NET-3, standing for any public address. */
  public: '203.0.113.7',
  /** The benchmark range: public as far as jrt's policy goes. */
  benchmark: '198.18.0.1',
  ula: 'fd00::7',
} as const;

/** Answers `<what> ADDRESS` (the address it was reached on) on each port, IPv4 and IPv6. */
const pongServer = (what: string, ports: readonly number[]) => `import socket, threading
def serve(port):
    s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("::", port)); s.listen()
    while True:
        c, _ = s.accept(); c.sendall(("${what} " + c.getsockname()[0].removeprefix("::ffff:") + "\\n").encode()); c.close()
for p in ${JSON.stringify(ports)}:
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("listening", flush=True)
threading.Event().wait()`;

export const OUTSIDE_SERVERS = pongServer('pong', OUTSIDE_PORTS);

const v4 = Object.values(OUTSIDE).filter((a) => !a.includes(':'));
const v6 = Object.values(OUTSIDE).filter((a) => a.includes(':'));

/** $0: the command run in the outside namespace (it prints `listening` when ready); $1: the host's; "$@" after: jrt. */
// The outside is a pid namespace too (unshare --kill-child): ending it ends every server started there.
const SETUP = `set -e
d=$(mktemp -d)
# unshare --fork ignores SIGTERM: SIGKILL, and --kill-child takes the outside's pid namespace with it.
trap 'kill -9 $outside $host 2>/dev/null; rm -rf "$d"' EXIT
outside_cmd=$0 host_cmd=$1; shift
ip link set lo up
unshare --net --pid --fork --kill-child -- sh -c 'echo in > "$0/outside.in"
until ip link show vb >/dev/null 2>&1; do sleep 0.02; done
ip link set lo up && ip link set vb up && ip addr add 198.51.100.2/24 dev vb
for a in ${v4.join(' ')}; do ip addr add $a/32 dev vb; done
ip -6 addr add 2001:db8::2/64 dev vb nodad
for a in ${v6.join(' ')}; do ip -6 addr add $a/128 dev vb nodad; done
ip route add default via ${HOST_ADDRESS}
cd "$0" && exec sh -c "$1" > "$0/outside.out" 2>&1' "$d" "$outside_cmd" &
outside=$!
until [ -s "$d/outside.in" ]; do sleep 0.02; done
ip link add va type veth peer name vb netns $outside
ip link set va up && ip addr add ${HOST_ADDRESS}/24 dev va && ip route add default via 198.51.100.2
ip -6 addr add 2001:db8::1/64 dev va nodad && ip -6 route add default via 2001:db8::2
python3 -c "$host_cmd" > "$d/host.out" 2>&1 & host=$!
until grep -q listening "$d/outside.out" 2>/dev/null && grep -q listening "$d/host.out" 2>/dev/null; do
  kill -0 $outside 2>/dev/null || { cat "$d/outside.out" >&2; exit 99; }
  sleep 0.05
done
set +e
"$@"`;

/**
 * The wrapper (RunOptions.wrapper) that runs jrt in the host of that world. `outside` is a shell
 * command run in the outside namespace, in a fresh temp directory, that prints `listening` once its
 * servers are up (default: the pong servers).
 */
export function inOutsideWorld(
  outside = `exec python3 -c '${OUTSIDE_SERVERS.replaceAll("'", "'\\''")}'`,
): string[] {
  requireTools({ slirp4netns: 'slirp4netns', ip: 'iproute2', unshare: 'util-linux', python3: 'python3' });
  return ['unshare', '--net', '--', 'sh', '-c', SETUP, outside, pongServer('host', [HOST_PORT])];
}

/**
 * A job (python3 -c PROBE TARGET...) that connects to each `ADDRESS:PORT` (IPv6 in brackets) and
 * prints one line each: the answer, or the error's name; `(slow)` after anything that took 2 s or more.
 */
export const PROBE = `import socket, sys, time
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    start = time.monotonic()
    try:
        r = socket.create_connection((host.strip("[]"), int(port)), timeout=5).recv(64).decode().strip()
    except OSError as e:
        r = type(e).__name__
    print(target, r + (" (slow)" if time.monotonic() - start >= 2 else ""), flush=True)`;
