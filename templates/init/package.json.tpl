%# ssot init's package.json: an ES module package for the code generated into generated/,
%# with the TypeScript, React and TanStack Query versions ssot's own tests pin (the repository's
%# package.json; tests/lua/init_spec.lua checks they agree). Vars: package_name, name.
{
  "name": "<%= package_name %>",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "description": "<%= name %>: models in config.lua; ssot run generates generated/, ssot serve serves them",
  "scripts": {
    "generate": "ssot run",
    "serve": "ssot serve",
    "typecheck": "tsc -p ."
  },
  "devDependencies": {
    "@tanstack/react-query": "5.108.0",
    "@types/react": "19.3.0",
    "@types/react-dom": "19.3.0",
    "react": "19.3.1",
    "react-dom": "19.3.1",
    "typescript": "5.9.3"
  }
}
