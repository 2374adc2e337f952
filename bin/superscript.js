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

// Node 24's V8 lets each isolate's young generation grow to 128 MB on a machine with a few GB of memory (64 MB
// semi-spaces; Node 22 and earlier stop at 32 MB), and a worker has two isolates, its own and the workflow
// thread's. A worker's objects are short-lived (activations, requests, a script's output), and with 16 MB
// semi-spaces, as on Node 22, its peak RSS over a 3,000-order batch was about 450 MB instead of about 700 MB
// (test/bench/README.md). V8 sizes an isolate's heap when it is created, so the flag must be on the command
// line: a command that hosts a worker replaces itself (same process, same PID) with one that has it. An
// operator's own setting (on the command line or in NODE_OPTIONS) is kept as it is.
const SEMI_SPACE_MB = 16;
const HOSTS_A_WORKER = ['worker', 'dev'];
const youngGenerationSet = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) =>
  /semi[-_]space|max[-_]heap[-_]size/.test(arg),
);
if (
  major >= 24 &&
  HOSTS_A_WORKER.includes(process.argv[2]) &&
  !youngGenerationSet &&
  typeof process.execve === 'function'
) {
  process.execve(
    process.execPath,
    [process.execPath, `--max-semi-space-size=${SEMI_SPACE_MB}`, ...process.execArgv, ...process.argv.slice(1)],
    process.env,
  );
}

await import('../dist/cli/main.js');
