// Scripted scenarios in etcd's datadriven style: each file under testdata/ is a list of blocks
//
//   command args...
//   ----
//   expected trace
//
// separated by blank lines; `#` lines are comments. The runner replays every command on a fresh
// Cluster and compares the traces; REWRITE=1 rewrites the files with what the code printed (read
// the diff: it must be correct Raft behaviour). Notation: `i@t` is index i at term t, `i@t:data`
// an entry with its data; `Write: n` is the id of a Ready's write, reported by `persist`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { logIndex, nodeId } from '../common/index.js';
import { bytes, Cluster } from './_test-cluster.js';
import { RaftError } from './errors.js';

interface Block {
  readonly comments: string[];
  readonly command: string;
  readonly expected: string;
}

const dir = join(import.meta.dirname, 'testdata');
const rewrite = process.env.REWRITE === '1';

function parse(source: string): Block[] {
  const lines = source.split('\n');
  const blocks: Block[] = [];
  let comments: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    i++;
    if (line.trim() === '' || line.startsWith('#')) {
      if (line.startsWith('#')) comments.push(line);
      continue;
    }
    if (lines[i] !== '----') throw new Error(`line ${i}: expected ---- after "${line}"`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') out.push(lines[i++]!);
    blocks.push({ comments, command: line, expected: out.join('\n') });
    comments = [];
  }
  return blocks;
}

function format(blocks: readonly Block[], outputs: readonly string[]): string {
  const parts = blocks.map((b, k) => [...b.comments, b.command, '----', outputs[k]].join('\n'));
  return `${parts.join('\n\n')}\n`;
}

function args(words: string[]): { pos: string[]; opts: Map<string, string> } {
  const pos: string[] = [];
  const opts = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) opts.set(w.slice(0, eq), w.slice(eq + 1));
    else pos.push(w);
  }
  return { pos, opts };
}

function num(opts: Map<string, string>, key: string): number | undefined {
  const v = opts.get(key);
  return v === undefined ? undefined : Number(v);
}

function bool(opts: Map<string, string>, key: string, dflt: boolean): boolean {
  const v = opts.get(key);
  return v === undefined ? dflt : v === 'true';
}

function createCluster(pos: string[], opts: Map<string, string>): Cluster {
  return new Cluster({
    voters: Number(pos[0]),
    learners: num(opts, 'learners') ?? 0,
    seed: num(opts, 'seed') ?? 1,
    config: {
      preVote: bool(opts, 'prevote', false),
      checkQuorum: bool(opts, 'checkquorum', false),
      electionTimeoutTicks: num(opts, 'election') ?? 10,
      heartbeatTicks: num(opts, 'heartbeat') ?? 1,
      maxInflightMsgs: num(opts, 'inflight') ?? 256,
      maxInflightBytes: num(opts, 'inflightbytes') ?? 0,
      maxMsgBytes: num(opts, 'maxmsgbytes') ?? 1 << 20,
      snapshotChunkBytes: num(opts, 'chunk') ?? 1 << 20,
      maxUncommittedEntriesBytes: num(opts, 'maxuncommitted') ?? 1 << 20,
      maxEntryBytes: num(opts, 'maxentry') ?? 1 << 20,
    },
  });
}

/** Runs one command; returns its trace. */
function run(state: { c: Cluster | undefined }, command: string): string {
  const [name, ...rest] = command.split(/\s+/);
  const { pos, opts } = args(rest);
  if (name === 'add-nodes') {
    state.c = createCluster(pos, opts);
    return 'ok';
  }
  const c = state.c;
  if (c === undefined) throw new Error('add-nodes first');
  c.out.length = 0;
  const ids = pos.map((p) => nodeId(Number(p)));
  const id = ids[0] ?? nodeId(0);
  try {
    runOn(c, name ?? '', id, ids, pos, opts);
  } catch (error) {
    if (!(error instanceof RaftError)) throw error;
    c.print(`error ${error.code}: ${error.message}`);
  }
  return c.out.length > 0 ? c.out.join('\n') : 'ok';
}

function runOn(
  c: Cluster,
  name: string,
  id: ReturnType<typeof nodeId>,
  ids: ReturnType<typeof nodeId>[],
  pos: string[],
  opts: Map<string, string>,
): void {
  const n = () => c.node(id);
  switch (name) {
    case 'campaign':
      return n().raw.campaign();
    case 'tick': {
      const count = Number(pos[1] ?? 1);
      for (let k = 0; k < count; k++) n().raw.tick();
      return;
    }
    case 'propose': {
      const { index, term } = n().raw.propose(bytes(pos[1] ?? ''));
      return c.print(`proposed index=${index} term=${term}`);
    }
    case 'read-index':
      return n().raw.readIndex(Number(pos[1]));
    case 'stabilize':
      return c.stabilize(ids.length > 0 ? ids : undefined);
    case 'process-ready':
      for (const i of ids) c.processReady(i);
      return;
    case 'deliver':
      for (const i of ids) c.deliver(i);
      return;
    case 'drop':
      for (const i of ids) c.inbox.set(i, []);
      return;
    case 'persist':
      return c.persist(id);
    case 'manual-persist':
      for (const i of ids) c.node(i).manualPersist = opts.get('off') === undefined;
      return;
    case 'auto-persist':
      for (const i of ids) c.node(i).manualPersist = false;
      return;
    case 'restart':
      c.restart(id);
      for (const line of c.describeStatus(id)) c.print(`restarted ${line}`);
      return;
    case 'partition':
      for (const i of c.nodes.keys()) c.group.set(i, ids.includes(i) ? 1 : 0);
      return;
    case 'heal':
      for (const i of c.nodes.keys()) c.group.set(i, 0);
      return;
    case 'compact': {
      const index = logIndex(Number(pos[1]));
      n().storage.createSnapshot(index, c.snapshotData(n(), index));
      n().storage.compact(index);
      return c.print(`${id} compacted up to ${index}; log starts at ${n().storage.firstIndex()}`);
    }
    case 'status':
      for (const i of ids) for (const line of c.describeStatus(i)) c.print(line);
      return;
    case 'log':
      for (const i of ids) for (const line of c.describeLog(i)) c.print(`${i} ${line}`);
      return;
    default:
      throw new Error(`unknown command ${name}`);
  }
}

describe('raft scenarios', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  test.each(files)('%s', (file) => {
    const path = join(dir, file);
    const source = readFileSync(path, 'utf8');
    const blocks = parse(source);
    const state: { c: Cluster | undefined } = { c: undefined };
    const outputs = blocks.map((b) => run(state, b.command));
    const actual = format(blocks, outputs);
    if (rewrite) writeFileSync(path, actual);
    else expect(actual).toBe(source);
  });
});
