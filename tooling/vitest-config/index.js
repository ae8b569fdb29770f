import { defineConfig } from 'vitest/config';

/**
 * The shared vitest preset: tests next to the code, real processes and temp
 * directories, so generous timeouts; never a retry that would hide a flake.
 * @param {import('vitest/config').ViteUserConfig['test']} [overrides]
 */
export function sprintVitestConfig(overrides = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 30_000,
      hookTimeout: 30_000,
      pool: 'forks',
      retry: 0,
      ...overrides,
    },
  });
}
