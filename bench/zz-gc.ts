import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupCommit } from './group-commit.js';
const g = await groupCommit({ root: mkdtempSync(join(tmpdir(), 'gcp-')), partitions: 64, entryBytes: 64, warmupMs: 300, runMs: 4000, fsyncNearMs: 500 });
console.log(g);
