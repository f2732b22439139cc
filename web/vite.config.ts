// The dashboard's build: web/ → dist/web, served by Fastify at /dashboard/ (src/dashboard/ui.ts). Everything,
// the chart library included, is bundled: the page loads nothing from another origin.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: `${import.meta.dirname}/../dist/web`,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
});
