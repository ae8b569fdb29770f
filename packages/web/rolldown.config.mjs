import { readFileSync } from 'node:fs';
import { defineConfig } from 'rolldown';

// The dashboard as static files: content-hashed JS and CSS (cached for a
// year) plus an index.html that names them (served with no-cache). The HTML
// carries no inline script or style, so the server's CSP can forbid both.
function page() {
  return {
    name: 'sprint-page',
    buildStart() {
      this.emitFile({
        type: 'asset',
        name: 'app.css',
        source: readFileSync(new URL('./src/client/style.css', import.meta.url), 'utf8'),
      });
    },
    generateBundle(_options, bundle) {
      const files = Object.values(bundle);
      const js = files.find((f) => f.type === 'chunk' && f.isEntry)?.fileName;
      const css = files.find((f) => f.type === 'asset' && f.fileName.endsWith('.css'))?.fileName;
      if (!js || !css) throw new Error('sprint-page: the bundle lacks its script or stylesheet');
      this.emitFile({
        type: 'asset',
        fileName: 'index.html',
        source: `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>sprint</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/${css}">
<script type="module" src="/${js}"></script>
</head>
<body><div id="app"></div></body>
</html>
`,
      });
    },
  };
}

export default defineConfig({
  input: { app: 'src/client/main.tsx' },
  platform: 'browser',
  plugins: [page()],
  output: {
    dir: 'dist/public',
    format: 'esm',
    cleanDir: true,
    minify: true,
    entryFileNames: 'assets/[name]-[hash].js',
    chunkFileNames: 'assets/[name]-[hash].js',
    assetFileNames: 'assets/[name]-[hash][extname]',
  },
});
