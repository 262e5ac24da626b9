// `npm start` (the README's quick start) boots a single node, turns ready, and exits 0 when
// SIGTERM or SIGINT reaches npm's process group. Runs the build, as `npm ci` leaves it.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { freePorts } from './process-cluster.js';

const root = new URL('../../', import.meta.url).pathname;
let dir: string | undefined;

afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function ready(http: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${http}/readyz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('not ready in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)(
    'boots a single node, turns ready, and exits 0 on %s to its process group',
    async (signal) => {
      // `npm ci` builds dist/ (the prepare script); run `npm run build` after editing sources.
      expect(existsSync(join(root, 'dist/cli/main.js'))).toBe(true);
      dir = await mkdtemp(join(tmpdir(), 'multiraft-npm-start-'));
      const [api, peer, http] = await freePorts(3);
      const flags = [`--data-dir=${dir}`, `--api-port=${api}`, `--peer-port=${peer}`];
      const npm = spawn('npm', ['start', '--', ...flags, `--http-port=${http}`], {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output: string[] = [];
      npm.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      npm.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      const exited = new Promise<[number | null, string | null]>((resolve) =>
        npm.once('exit', (code, sig) => resolve([code, sig])),
      );
      await ready(http!, 30_000);
      expect(output.join('')).toContain('"msg":"listening"');
      process.kill(-npm.pid!, signal);
      expect(await exited).toEqual([0, null]);
      expect(output.join('')).toContain('"msg":"stopped"');
    },
    60_000,
  );
});
