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
  },
});
