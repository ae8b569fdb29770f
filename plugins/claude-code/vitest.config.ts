import { sprintVitestConfig } from '@sprint/vitest-config';

// The real claude CLI starts slowly on a busy machine, and installing the
// plugin through its marketplace takes several CLI runs.
export default sprintVitestConfig({ testTimeout: 600_000, hookTimeout: 60_000 });
