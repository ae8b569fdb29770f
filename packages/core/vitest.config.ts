import { sprintVitestConfig } from '@sprint/vitest-config';

// Process tests wait for conditions (up to a minute each on a loaded machine),
// so a test's own limit is above that.
export default sprintVitestConfig({ testTimeout: 120_000, hookTimeout: 60_000 });
