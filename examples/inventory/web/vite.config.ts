// Vite's config for the inventory front end: React, built into dist/ (serve.static of ../config.lua).
// The build also writes dist/.gitignore, which keeps the directory in git and its output out.
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const keepDistInGit: Plugin = {
  name: "keep-dist-in-git",
  generateBundle() {
    this.emitFile({
      type: "asset",
      fileName: ".gitignore",
      source: "# The inventory front end's build output (vite build, served by serve.static in ../../config.lua).\n" +
        "# Only this file is kept in git, so the directory exists in every clone; vite.config.ts writes it back.\n*\n!.gitignore\n",
    });
  },
};

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react(), keepDistInGit],
  build: { outDir: "dist", emptyOutDir: true },
  // `npx vite examples/inventory/web` serves it with hot reload, the API proxied to `ssot serve`.
  server: { proxy: { "/api": "http://localhost:8080", "/ws": { target: "ws://localhost:8080", ws: true } } },
});
