/** `jrt build` prints sizes in MiB, as `jrt list` does (0.2.0 printed MB). */
import { expect, it } from 'vitest';
import { describeArtifact } from '../../../src/commands/build.js';

it('jrt build prints the artifact size in MiB, like jrt list', () => {
  const line = describeArtifact({
    name: 'node-18',
    artifact: '/out/node-18-18.20.8.jrt.tar.gz',
    sha256: 'ab'.repeat(32),
    size: 51 * 1024 * 1024 + 300 * 1024,
    ms: 43_200,
    lock: '/r/node-18.lock.json',
    lock_changed: true,
  });
  expect(line).toBe(
    `node-18: /out/node-18-18.20.8.jrt.tar.gz\n  sha256 ${'ab'.repeat(32)}, 51.3 MiB, 43.2 s, lock written: /r/node-18.lock.json`,
  );
});
