/**
 * The commands of the README's quick start and of docs/getting-started.md, run verbatim on a
 * copy of this repository in a temporary folder named `tandem`, so the docs cannot drift from
 * what works. A block runs when an HTML comment marks it:
 *
 *   <!-- run -->                    the next ```sh block runs to its end and must succeed
 *   <!-- run: serve 3000 -->        the next ```sh block runs in the background until port 3000
 *                                   answers; it is stopped after the block that follows it
 *   <!-- run: expect <text> -->     the next ```sh block must succeed and print <text>
 *   <!-- run: file <path> -->       the next fenced block is written to <path>
 *
 * A page's blocks run in one shell, in order, so a `cd` carries on to the next block. The one
 * liberty taken: port 3000 becomes a free port (in the commands and TANDEM_HTTP_PORT), since
 * the machine running the tests may be using 3000. The copy has the checkout's node_modules
 * and builds, so `npm install` and the builds are quick; npm uses its cache first
 * (npm_config_prefer_offline) and needs the registry only for what it lacks.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryReachable, root } from '../packages/create-tandem/test/project-runner.js';

interface Block {
  readonly marker: string;
  readonly line: number;
  readonly code: string;
}

/** The marked blocks of a page, in order. */
export function runnableBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const marked = /^<!-- run(?::\s*(.*?))?\s*-->\s*\n\s*\n?^```[\w-]*[ \t]*\n([\s\S]*?)^```/gm;
  for (let match = marked.exec(markdown); match; match = marked.exec(markdown)) {
    blocks.push({
      marker: (match[1] ?? '').trim(),
      line: markdown.slice(0, match.index).split('\n').length,
      code: match[2]!,
    });
  }
  return blocks;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** One bash script running a page's blocks in order; each step says which line it came from. */
export function scriptOf(page: string, blocks: readonly Block[], port: number): string {
  const lines = [
    'set -eo pipefail',
    'server=',
    'stop_server() { if [ -n "$server" ]; then kill -TERM -- -"$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=; fi; }',
    'trap stop_server EXIT',
  ];
  let stopAfterNext = false;
  for (const block of blocks) {
    const code = block.code.replaceAll(':3000', `:${port}`);
    const where = `${page}:${block.line}`;
    lines.push(`echo ${quote(`>>> ${where} (${block.marker || 'run'})`)}`);
    const [kind, ...rest] = block.marker.split(/\s+/);
    const arg = rest.join(' ');
    if (kind === 'file') {
      lines.push(
        `mkdir -p "$(dirname ${quote(arg)})"`,
        `cat > ${quote(arg)} <<'TANDEM_DOC_EOF'`,
        code + 'TANDEM_DOC_EOF',
      );
      continue;
    }
    if (kind === 'serve') {
      lines.push(
        `setsid bash -c ${quote(code)} > serve.log 2>&1 &`,
        'server=$!',
        `for i in $(seq 1 600); do (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && break; kill -0 "$server" 2>/dev/null || { cat serve.log; echo ${quote(`${where}: the server exited before listening`)}; exit 1; }; sleep 0.2; done`,
        `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null || { cat serve.log; echo ${quote(`${where}: nothing listened on ${port}`)}; exit 1; }`,
      );
      stopAfterNext = true;
      continue;
    }
    if (kind === 'expect') {
      lines.push(
        `out=$(${code})`,
        'printf "%s\\n" "$out"',
        `printf "%s" "$out" | grep -qF -- ${quote(arg)} || { echo ${quote(`${where}: expected the output to contain ${arg}`)}; exit 1; }`,
      );
    } else {
      lines.push(code);
    }
    if (stopAfterNext) {
      lines.push('stop_server');
      stopAfterNext = false;
    }
  }
  return lines.join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function bash(script: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message.split('\n')[0]}\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

const offline = await registryReachable();
if (offline !== undefined && process.env.TANDEM_REQUIRE_SERVICES === '1') {
  throw new Error(`the npm registry is required (TANDEM_REQUIRE_SERVICES=1) but unreachable: ${offline}`);
}
if (offline !== undefined) {
  console.warn(`[tandem] the npm registry is unreachable (${offline}); skipping the docs commands test.`);
}

const pages = ['README.md', 'docs/getting-started.md'];

describe('the docs mark their runnable commands', () => {
  for (const page of pages) {
    it(`${page} has marked blocks`, () => {
      const blocks = runnableBlocks(readFileSync(join(root, page), 'utf8'));
      expect(blocks.some((b) => b.marker.startsWith('serve'))).toBe(true);
      expect(blocks.some((b) => b.marker.startsWith('expect'))).toBe(true);
    });
  }
});

describe.skipIf(offline !== undefined)('the docs commands, run verbatim on a copy of the repository', () => {
  // Made in beforeAll, so a skipped run leaves nothing behind.
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tandem-docs-'));
  });
  // The copies hold node_modules (hundreds of MB): removing them takes minutes on a loaded machine.
  afterAll(() => rmSync(work, { recursive: true, force: true }), 600_000);

  for (const page of pages) {
    it(page, { timeout: 300_000 }, async () => {
      const parent = join(work, page.replace(/\W/g, '_'));
      const copy = join(parent, 'tandem');
      await bash(
        `mkdir -p ${quote(copy)} && tar -C ${quote(root)} --exclude=./.git --exclude=./dist-release --exclude=./.data --exclude='./.vitest-report*' -cf - . | tar -C ${quote(copy)} -xf -`,
        root,
        {},
        120_000,
      );
      const port = await freePort();
      const script = scriptOf(page, runnableBlocks(readFileSync(join(root, page), 'utf8')), port);
      const output = await bash(
        script,
        copy,
        {
          TANDEM_HTTP_PORT: String(port),
          npm_config_prefer_offline: 'true',
          npm_config_audit: 'false',
          npm_config_fund: 'false',
          npm_config_update_notifier: 'false',
          npm_config_loglevel: 'error',
          TANDEM_REQUIRE_SERVICES: '',
        },
        280_000,
      );
      expect(output).toContain('>>> ');
    });
  }
});
