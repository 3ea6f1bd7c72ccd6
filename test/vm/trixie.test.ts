/** jrt on Debian 13 (trixie) with systemd and cgroup v2, in a KVM VM (test/vm/limits-suite.ts). */
import { defineLimitsSuite } from './limits-suite.js';

defineLimitsSuite('trixie');
