import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SKIP = new Set(['node_modules', '.git', 'cdk.out', '.local', 'bench']);

/**
 * Docs other work is writing now. A link to one of them is allowed to dangle until it lands;
 * once they all exist, drop this list.
 */

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** Inline links and images, outside code blocks and code spans. */
function linksOf(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] as string);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(text: string): Set<string> {
  const headings = text.replace(/```[\s\S]*?```/g, '').match(/^#{1,6} .+$/gm) ?? [];
  return new Set(
    headings.map((h) =>
      h
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

const FILES = markdownFiles(ROOT);

describe('links in the repository’s documents', () => {
  it('finds the documents', () => {
    expect(FILES.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['README.md', 'docs/API.md']));
  });

  it('never leave the repository (a fresh clone has everything they point at)', () => {
    const leaving: string[] = [];
    for (const file of FILES) {
      const text = readFileSync(file, 'utf8');
      for (const link of linksOf(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
          if (/^file:/i.test(link)) leaving.push(`${relative(ROOT, file)}: ${link}`);
          continue;
        }
        const target = resolve(dirname(file), link.split('#')[0] || '.');
        if (relative(ROOT, target).startsWith('..')) leaving.push(`${relative(ROOT, file)}: ${link}`);
      }
      // A path out of the repository named in prose is as bad as a link to it.
      for (const match of text.matchAll(/\.\.\/shared\b[^\s)`]*/g))
        leaving.push(`${relative(ROOT, file)}: ${match[0]}`);
    }
    expect(leaving).toEqual([]);
  });

  it('point at files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      for (const link of linksOf(readFileSync(file, 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
        const [path = '', anchor] = link.split('#');
        const target = path ? resolve(dirname(file), path) : file;
        if (!existsSync(target)) {
          broken.push(`${relative(ROOT, file)}: ${link}`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
          broken.push(`${relative(ROOT, file)}: ${link} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
