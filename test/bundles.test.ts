// The built workflow bundle and web UI take only the types of the zod schemas (src/shared/schemas), never
// zod itself: lint refuses a value import in their sources, and this checks what `npm run build` made of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Names only zod's runtime holds: its error class and its schema classes (they survive minifying). */
const ZOD = /\bZodError\b|\$ZodType\b|\$ZodObject\b/;

for (const bundle of ['dist/workflow-bundle.js', 'dist/ui/main.js']) {
  test(`${bundle} holds no zod`, () => {
    const code = readFileSync(path.join(ROOT, bundle), 'utf8');
    assert.ok(code.length > 10_000, `${bundle} is built`);
    assert.doesNotMatch(code, ZOD);
  });
}
