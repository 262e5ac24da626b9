// The floor of a replicated write on this machine (DESIGN §9, target 3): one fdatasync while two
// other writers sync too (3 replicas share the disk here), plus one loopback round trip between
// two processes. Measured in the same run as the systems, since the machine may be shared.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdatasyncRate } from './group-commit.js';
import { percentile } from './stats.js';

export interface FloorFigures {
  readonly fsyncWriters: number;
  readonly fsyncRate: number;
  readonly fsyncP50Ms: number;
  readonly rttP50Ms: number;
  readonly rttP99Ms: number;
  /** fsyncP50Ms + rttP50Ms. */
  readonly floorMs: number;
}

const fsyncWriters = 3;
const messageBytes = 64;

// An echo server in its own process: the round trip crosses two event loops, as a request does.
const echoServer = `
const server = require('node:net').createServer((s) => { s.setNoDelay(true); s.pipe(s); });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

export async function floor(ms: number): Promise<FloorFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'multiraft-bench-floor-'));
  try {
    const f = await fdatasyncRate(dir, ms, fsyncWriters);
    const rtt = await loopbackRoundTrips(ms);
    return {
      fsyncWriters,
      fsyncRate: f.rate,
      fsyncP50Ms: f.p50Ms,
      rttP50Ms: percentile(rtt, 0.5),
      rttP99Ms: percentile(rtt, 0.99),
      floorMs: f.p50Ms + percentile(rtt, 0.5),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sorted round-trip times of 64-byte messages, one at a time, for `ms`. */
async function loopbackRoundTrips(ms: number): Promise<number[]> {
  const child: ChildProcess = spawn(process.execPath, ['-e', echoServer], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const socket = connect(Number(line.toString().trim()), '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    const message = Buffer.alloc(messageBytes, 1);
    const rtt: number[] = [];
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t0 = performance.now();
      let received = 0;
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          received += chunk.length;
          if (received < messageBytes) return;
          socket.off('data', onData);
          resolve();
        };
        socket.on('data', onData);
        socket.write(message);
      });
      rtt.push(performance.now() - t0);
    }
    socket.destroy();
    return rtt.sort((a, b) => a - b);
  } finally {
    child.kill('SIGKILL');
  }
}
