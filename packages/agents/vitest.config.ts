import { sprintVitestConfig } from '@sprint/vitest-config';

export default sprintVitestConfig();
