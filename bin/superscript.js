#!/usr/bin/env node
// Runs the built CLI (npm install builds it; `npm run build` rebuilds it), on a Node it supports.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 16)) {
  process.stderr.write(
    `superscript: Node ${process.version} is too old: SuperScript runs on Node 22 (22.16 or newer) and 24, ` +
      'the LTS lines (its embedded key store uses node:sqlite). Install one, e.g. with nvm or from nodejs.org.\n',
  );
  process.exit(125);
}
await import('../dist/cli/main.js');
