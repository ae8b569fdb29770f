import { builtinModules } from 'node:module';
import { defineConfig } from 'rolldown';

// One ESM bundle per command: `sprint status` loads only what status needs,
// from a handful of files instead of some three hundred modules.
export default defineConfig({
  input: { bin: 'src/bin.ts' },
  platform: 'node',
  // @sprint/web locates its built files from its own module URL, and the
  // database store loads its drivers (and PGlite's WASM files) only when used:
  // both load from node_modules at run time rather than being inlined.
  external: [
    ...builtinModules,
    ...builtinModules.map((m) => `node:${m}`),
    '@sprint/web',
    /^@sprint\/store-postgres/,
  ],
  treeshake: {
    // The workspace packages are plain libraries: importing one of their
    // modules does nothing by itself. Saying so lets each command's chunk keep
    // only the core modules it uses (status never loads the runner or agents).
    moduleSideEffects: (id) =>
      !/[\\/](packages|apps)[\\/](core|agents|agents-claude|agents-codex|agents-gemini|agents-opencode|server)[\\/]dist[\\/]/.test(
        id,
      ),
  },
  output: {
    dir: 'dist',
    format: 'esm',
    cleanDir: true,
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    sourcemap: true,
    // `sprint status` reads a sprint through these modules and nothing heavier (no zod, no
    // YAML parser): one chunk for them all, instead of some twenty small ones that each
    // cost a module load at start-up.
    codeSplitting: {
      groups: [
        // What `sprint --version` loads stays out of it.
        { name: 'exit-codes', test: /[\\/]apps[\\/]cli[\\/]src[\\/]exit-codes\.ts$/, priority: 1 },
        {
          name: 'read-path',
          test: /[\\/](?:packages[\\/]core[\\/]dist[\\/](?:stores[\\/][a-z-]+|workspace[\\/](?:open|describe)-sprint|model[\\/](?:errors|plural|fold|transitions|usage|task-info|copy-plain|validate)|process[\\/]process-group|notify[\\/]tamper-notice)\.js|apps[\\/]cli[\\/]src[\\/](?:commands[\\/]status|io|output[\\/](?:units|event-line|style)|sleep|sprint-arg|database|usage|usage-error)\.ts)$/,
        },
      ],
    },
  },
});
