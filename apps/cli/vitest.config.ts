import { sprintVitestConfig } from '@sprint/vitest-config';

// Real processes on a busy 2-core machine: each test waits for conditions with
// its own limits; this is only the outer safety net, so it is generous.
export default sprintVitestConfig({ testTimeout: 180_000, hookTimeout: 60_000 });
