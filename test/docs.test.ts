// The documentation's links: every relative link and #anchor in README.md, docs/ and the READMEs beside the
// bench and the fault suite must resolve, to a file of the repository and, for a Markdown file, to one of
// its headings as GitHub names them. A moved file or a renamed heading fails here, not on a reader.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What the checker reads: a file's text by its path from the root, or undefined when it is not a file. */
interface Tree {
  text(file: string): string | undefined;
  exists(file: string): boolean;
}

/** The documents whose links are checked, by path from the root. */
function documents(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) return docs(rel);
      return entry.name.endsWith('.md') ? [rel] : [];
    });
  return ['README.md', 'test/bench/README.md', 'test/faults/README.md', ...docs('docs')].filter((f) =>
    existsSync(path.join(ROOT, f)),
  );
}

const repository: Tree = {
  text: (file) => {
    const full = path.join(ROOT, file);
    return existsSync(full) && statSync(full).isFile() ? readFileSync(full, 'utf8') : undefined;
  },
  exists: (file) => existsSync(path.join(ROOT, file)),
};

/** The text with fenced code blocks and inline code spans blanked, line for line, so no link is found there. */
function withoutCode(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence !== undefined) {
        if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length)
          fence = undefined;
        return '';
      }
      if (marker !== undefined) {
        fence = marker;
        return '';
      }
      return line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (span) => ' '.repeat(span.length));
    })
    .join('\n');
}

/** A heading's text as GitHub renders it for its anchor: code, links and images reduced to their text. */
function headingText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '');
}

/** GitHub's anchor for a heading: lowercased, punctuation and symbols dropped, each space a hyphen. */
export function slug(heading: string): string {
  return headingText(heading)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown file has: one per heading (repeats get -1, -2, ...), and explicit ids and names. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (marker !== undefined) {
      fence = marker;
      continue;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** Every link target in a Markdown file, with its line: inline links and images, references, HTML. */
export function linksOf(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  withoutCode(markdown)
    .split('\n')
    .forEach((text, i) => {
      const found = [
        // `](target)` whatever the link's text holds (an image inside a link, brackets in code).
        ...text.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g),
        ...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/g),
        ...text.matchAll(/\b(?:href|src)="([^"]*)"/g),
      ];
      for (const m of found) links.push({ line: i + 1, target: m[1]! });
    });
  return links;
}

/** What is wrong with each relative link of `file` (a path from the root), one message each. */
export function brokenLinks(file: string, tree: Tree): string[] {
  const text = tree.text(file);
  if (text === undefined) return [`${file}: not a file`];
  const problems: string[] = [];
  for (const { line, target } of linksOf(text)) {
    const where = `${file}:${line}: ${target || '(empty link)'}`;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and the like
    if (target === '') {
      problems.push(`${where}: empty target`);
      continue;
    }
    const hash = target.indexOf('#');
    const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved =
      pathPart === ''
        ? file
        : pathPart.startsWith('/')
          ? path.posix.normalize(pathPart.slice(1))
          : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart));
    if (resolved.startsWith('..') || path.posix.isAbsolute(resolved)) {
      problems.push(`${where}: outside the repository`);
      continue;
    }
    if (!tree.exists(resolved)) {
      problems.push(`${where}: no such file (${resolved})`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith('.md')) continue;
    const targetText = tree.text(resolved);
    if (targetText === undefined || !anchorsOf(targetText).has(anchor)) {
      problems.push(`${where}: ${resolved} has no heading whose anchor is #${anchor}`);
    }
  }
  return problems;
}

test('slugs follow GitHub: lowercase, punctuation dropped, spaces to hyphens, code and links as text', () => {
  assert.equal(slug('The guarantee and the run contract'), 'the-guarantee-and-the-run-contract');
  assert.equal(
    slug("Temporal's workflow-ID policies: the second line"),
    'temporals-workflow-id-policies-the-second-line',
  );
  assert.equal(
    slug('`superscript exec`: exactly once as a command prefix'),
    'superscript-exec-exactly-once-as-a-command-prefix',
  );
  assert.equal(slug('The 100,000-order batch'), 'the-100000-order-batch');
  assert.equal(
    slug('`SUPERSCRIPT_KEY_STORE_URL` and [a link](x.md)'),
    'superscript_key_store_url-and-a-link',
  );
  assert.equal(slug('Runs, keys & more'), 'runs-keys--more');
});

test('the checker finds what is broken, and nothing else', () => {
  const files: Record<string, string> = {
    'README.md': [
      '# Top',
      '## Same',
      '## Same',
      'Fine: [b](docs/b.md), [b heading](docs/b.md#a-heading), [here](#top), [again](#same-1), [img](docs/pic.png).',
      '[![pic](docs/pic.png)](docs/b.md#a-heading) and [site](https://example.com/#nothing).',
      'Broken: [gone](docs/gone.md), [bad anchor](docs/b.md#no-heading), [here](#nowhere), [up](../outside.md).',
      '`[in code](docs/gone.md)`',
      '```md',
      '[in a fence](docs/gone.md)',
      '```',
      '[ref]: docs/also-gone.md',
    ].join('\n'),
    'docs/b.md': '# A heading\n\nBack to [the top](../README.md#top).\n',
  };
  const tree: Tree = {
    text: (file) => files[file],
    exists: (file) => file in files || file === 'docs/pic.png' || file === 'docs',
  };
  assert.deepEqual(brokenLinks('docs/b.md', tree), []);
  assert.deepEqual(
    brokenLinks('README.md', tree).map((p) => p.replace(/^README\.md:\d+: /, '').split(':')[0]),
    ['docs/gone.md', 'docs/b.md#no-heading', '#nowhere', '../outside.md', 'docs/also-gone.md'],
  );
});

test('every relative link and anchor in README.md, docs/, test/bench/README.md and test/faults/README.md resolves', () => {
  const files = documents();
  assert.ok(files.includes('README.md') && files.some((f) => f.startsWith('docs/')), 'no documents found');
  const problems = files.flatMap((file) => brokenLinks(file, repository));
  assert.deepEqual(problems, [], `broken links:\n${problems.join('\n')}`);
});
