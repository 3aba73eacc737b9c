import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A fenced block of a page, as written (its list indentation removed). */
export interface DocBlock {
  page: string;
  line: number;
  /** The fence's info string: `sh`, `text`, `json`, ... (empty when none is given). */
  lang: string;
  /** `aws` or `bench` where the line before the fence says `<!-- docs-test: ... -->`. */
  marker: string | undefined;
  body: string;
}

/** Shell blocks are these; every other block is data, code or output and says which. */
export const SHELL = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);

/** What a marker may excuse from running, and how the block must show it. */
export const MARKERS: Record<string, { why: string; shows: RegExp }> = {
  aws: {
    why: 'needs an AWS account',
    shows: /(^|[\s(])(aws |npx cdk (bootstrap|deploy|destroy)|curl --aws-sigv4|curl --fail-with-body --aws-sigv4)/m,
  },
  bench: {
    why: 'is the benchmark (npm run bench, minutes of budgets), never part of npm test',
    shows: /^npm run bench/m,
  },
};

/** Every fenced block of docs/*.md, read as the pages are now. */
export function docBlocks(): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const page of readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()) {
    const lines = readFileSync(join(ROOT, 'docs', page), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^( *)(```+)([\w-]*)\s*$/.exec(lines[i] as string);
      if (!open) continue;
      const [, indent = '', fence = '```', lang = ''] = open;
      const end = lines.findIndex((l, j) => j > i && l.trimStart().startsWith(fence) && l.trim() === fence);
      if (end < 0) throw new Error(`docs/${page}:${i + 1}: a block that never closes`);
      const marker = /^\s*<!-- docs-test: (\w+) -->\s*$/.exec(lines[i - 1] ?? '')?.[1];
      const body = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join('\n');
      blocks.push({ page, line: i + 1, lang, marker, body: `${body}\n` });
      i = end;
    }
  }
  return blocks;
}

/** A block that starts a local stack: `npm start` (with its options), and comments. */
export function isServerBlock(body: string): boolean {
  const commands = body.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  return commands.length > 0 && commands.every((l) => /^(\w+=\S+ )*npm start\b/.test(l));
}

/** The ports a page's blocks name: `127.0.0.1:N`, `localhost:N`, `--port N`, `PORT=N`. */
export function portsOf(text: string): number[] {
  const found = [...text.matchAll(/(?:127\.0\.0\.1:|localhost:|--port |PORT=)(\d{4,5})\b/g)].map((m) => Number(m[1]));
  return [...new Set(found)];
}

/** The block with each page port replaced by its stand-in (same digits everywhere, so a mismatch stays one). */
export function withPorts(body: string, ports: ReadonlyMap<number, number>): string {
  return body.replace(/(127\.0\.0\.1:|localhost:|--port |PORT=)(\d{4,5})\b/g, (all, prefix: string, port: string) => {
    const to = ports.get(Number(port));
    return to === undefined ? all : `${prefix}${to}`;
  });
}
