import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The console's production bundle: web/dist, served by refsync at `/` (decision 0036). */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Inline nothing as data: URLs and keep one CSS file, so the strict CSP holds.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
