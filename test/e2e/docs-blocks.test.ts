import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local.js';
import {
  type DocBlock,
  docBlocks,
  isServerBlock,
  MARKERS,
  portsOf,
  ROOT,
  SHELL,
  withPorts,
} from '../support/doc-blocks.js';

const run = promisify(execFile);

/**
 * Every shell block of docs/*.md that needs no AWS account runs here as written, in page
 * order, the way test/e2e/readme.test.ts runs the README's: read from the pages as they are
 * now, so a block added tomorrow runs tomorrow. The only changes: each port a page names
 * (`127.0.0.1:N`, `localhost:N`, `--port N`, `PORT=N`; 3000 where `npm start` is given none)
 * becomes a free port of its own, the same one everywhere on that page, so a block that talks
 * to the wrong port still fails; and LOCAL_DIR is the page's own directory.
 *
 * A block that is only `npm start ...` starts that stack and leaves it running for the next
 * blocks (a later one stops it first, as the pages say to). A page that starts none runs
 * against `npm start` after the README's curl walkthrough, as those pages say. Any other
 * block runs in bash with -e, -u and pipefail: a failing line fails it. A block marked
 * `<!-- docs-test: aws -->` (or `bench`) is not run, and must show why.
 */
const BLOCKS = docBlocks();
const shell = (b: DocBlock) => SHELL.has(b.lang);
const RUNNABLE = BLOCKS.filter((b) => shell(b) && b.marker === undefined);
const PAGES = [...new Set(RUNNABLE.map((b) => b.page))];
const where = (b: DocBlock) => `docs/${b.page}:${b.line}`;

describe('every block of docs/*.md says what it is', () => {
  it('has a language: output is ```text, data ```json, code ```ts, never a bare fence', () => {
    expect(BLOCKS.filter((b) => b.lang === '').map(where)).toEqual([]);
  });

  it('is excused from running only by a known marker, on a block that shows the reason', () => {
    const marked = BLOCKS.filter((b) => b.marker !== undefined);
    expect(marked.length).toBeGreaterThan(0);
    for (const b of marked) {
      const marker = MARKERS[b.marker as string];
      expect({ block: where(b), marker: b.marker, known: marker !== undefined }).toEqual({
        block: where(b),
        marker: b.marker,
        known: true,
      });
      expect({ block: where(b), shows: marker?.shows.test(b.body) }).toEqual({ block: where(b), shows: true });
    }
  });

  it('leaves blocks to run on the pages that have local examples', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['NOTIFICATIONS.md', 'PIPELINE.md', 'ROLLBACK-RUNS.md']));
  });
});

/** The README's curl walkthrough, the state the pages without a stack of their own start from. */
const WALKTHROUGH = /<!-- readme-test: local -->\n```sh\n([\s\S]*?)```/.exec(
  readFileSync(join(ROOT, 'README.md'), 'utf8'),
)?.[1];

interface Stack {
  child: ReturnType<typeof spawn>;
  output: () => string;
}

/** Starts `command` (an `npm start ...` line) in its own process group and waits for it to listen. */
async function startStack(command: string, env: NodeJS.ProcessEnv): Promise<Stack> {
  const child = spawn('bash', ['-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 120_000;
  while (!output.includes('Ctrl-C') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!output.includes('Ctrl-C')) {
    await stopStack({ child, output: () => output });
    throw new Error(`${command} did not come up:\n${output}`);
  }
  return { child, output: () => output };
}

/** Ctrl-C, as a person stops it: the process group gets SIGINT. */
async function stopStack(stack: Stack): Promise<void> {
  if (stack.child.exitCode !== null || stack.child.signalCode !== null) return;
  const exited = once(stack.child, 'exit');
  process.kill(-(stack.child.pid ?? 0), 'SIGINT');
  await exited;
}

async function runScript(label: string, script: string, env: NodeJS.ProcessEnv) {
  try {
    return await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env, timeout: 280_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    throw new Error(`${label} failed:\n${script}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

for (const page of PAGES) {
  const blocks = RUNNABLE.filter((b) => b.page === page);
  const ownStack = blocks.some((b) => isServerBlock(b.body));

  describe(`docs/${page}: its shell blocks, run as written`, () => {
    let localDir: string;
    let env: NodeJS.ProcessEnv;
    const ports = new Map<number, number>();
    let stack: Stack | undefined;

    beforeAll(async () => {
      localDir = mkdtempSync(join(tmpdir(), 'docs-blocks-'));
      for (const port of [3000, ...portsOf(blocks.map((b) => b.body).join('\n'))]) {
        if (!ports.has(port)) ports.set(port, await freePort());
      }
      const { PLATFORM_ROLLBACK_API_URL: _url, PORT: _port, ...rest } = process.env;
      env = { ...rest, LOCAL_DIR: localDir };
      if (!ownStack) {
        if (WALKTHROUGH === undefined) throw new Error('README.md has no readme-test block');
        stack = await startStack('npm start --silent', { ...env, PORT: String(ports.get(3000)) });
        await runScript('README walkthrough', withPorts(WALKTHROUGH, ports), env);
      }
    }, 180_000);

    afterAll(async () => {
      if (stack) await stopStack(stack);
      rmSync(localDir, { recursive: true, force: true });
    }, 60_000);

    for (const block of blocks) {
      it(`${where(block)} ${block.body.split('\n')[0]?.slice(0, 60)}`, async () => {
        const script = withPorts(block.body, ports);
        if (isServerBlock(block.body)) {
          if (stack) await stopStack(stack);
          // npm start's own default, 3000, is this page's stand-in for it too.
          stack = await startStack(script, { ...env, PORT: String(ports.get(3000)) });
          expect(stack.output()).toContain('Ctrl-C');
          return;
        }
        const { stdout, stderr } = await runScript(where(block), script, env);
        expect(`${stdout}${stderr}`.length).toBeGreaterThan(0);
      }, 300_000);
    }
  });
}
