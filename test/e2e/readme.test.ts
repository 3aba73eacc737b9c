import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { BASE } from '../support/http.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

/**
 * The README's shell blocks marked `<!-- readme-test: local -->`, in order, as written. The
 * only changes (documented in the README): `127.0.0.1:3000` becomes this test's own stack, and
 * LOCAL_DIR points the CLI and `npm run alarm` at that stack's files.
 */
const BLOCKS = [
  ...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/<!-- readme-test: local -->\n```sh\n([\s\S]*?)```/g),
].map((m) => m[1] as string);

let port: number;
let localDir: string;
let child: ReturnType<typeof spawn>;

beforeAll(async () => {
  port = await freePort();
  localDir = mkdtempSync(join(tmpdir(), 'readme-'));
  child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), LOCAL_DIR: localDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 90_000;
  while (!output.includes('Ctrl-C') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!output.includes('Ctrl-C')) throw new Error(`npm start did not come up:\n${output}`);
}, 120_000);

afterAll(async () => {
  if (child?.exitCode === null) {
    process.kill(-(child.pid ?? 0), 'SIGINT');
    await once(child, 'exit');
  }
  rmSync(localDir, { recursive: true, force: true });
}, 60_000);

/** One README block in bash with -e and pipefail: any failing line fails it. */
async function runBlock(index: number) {
  const block = BLOCKS[index];
  if (block === undefined) throw new Error(`README.md has no readme-test block ${index}`);
  const script = block.replaceAll('127.0.0.1:3000', `127.0.0.1:${port}`);
  try {
    return await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: ROOT,
      env: { ...process.env, LOCAL_DIR: localDir },
      timeout: 120_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    throw new Error(`README block ${index} failed:\n${script}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

async function history() {
  const response = await fetch(`http://127.0.0.1:${port}${BASE}/history?environment=prod`);
  const page = (await response.json()) as { items: { imageTag: string; status: string; rollbackOf: string | null }[] };
  return page.items.map((r) => [r.imageTag, r.status, r.rollbackOf === null ? null : 'set']);
}

describe("the README's local-mode blocks, run as written", () => {
  it('has the blocks: the curl walkthrough, the CLI, npm run alarm', () => {
    expect(BLOCKS).toHaveLength(3);
  });

  it('the curl walkthrough records, rolls back, redeploys and ships the fix', async () => {
    const { stdout } = await runBlock(0);
    expect(stdout).toContain('"status":"ROLLED_BACK"');
    expect(await history()).toEqual([
      ['v2.2.0-0a1b2c3', 'DEPLOYED', null],
      ['v2.0.0-def5678', 'DEPLOYED', 'set'],
      ['v2.1.0-abc1234', 'ROLLED_BACK', null],
      ['v2.0.0-def5678', 'DEPLOYED', null],
    ]);
  }, 180_000);

  it('the CLI finds the running stack, and plan has a rollback to show', async () => {
    const { stdout, stderr } = await runBlock(1);
    expect(stderr).toContain(`Using the local stack at http://127.0.0.1:${port}`);
    expect(stdout).toMatch(/v2\.2\.0-0a1b2c3[\s\S]*→ v2\.0\.0-def5678/);
    expect(stdout).toContain('exists');
    expect((await history())[0]).toEqual(['v2.2.0-0a1b2c3', 'DEPLOYED', null]);
  }, 180_000);

  it('npm run alarm rolls the fresh release back', async () => {
    const { stdout } = await runBlock(2);
    expect(stdout).toContain('ROLLED_BACK');
    expect((await history())[0]).toEqual(['v2.2.0-0a1b2c3', 'ROLLED_BACK', null]);
  }, 180_000);
});
