#!/usr/bin/env node
// The npm mirror this project is built against serves only the packages of its own platform, so
// `npm install` writes a lockfile without other platforms' optional binaries (biome, buf, rollup,
// crc32 …) and `npm ci` then reports it out of sync. This adds an entry for each missing optional
// package (version only, marked optional): `npm ci` skips an optional package it cannot install.
// Run after changing dependencies: `npm install && node scripts/lock-optional-platforms.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [where, meta] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key] !== undefined || packages[`${where}/${key}`] !== undefined) continue;
    if (!/^\d+\.\d+\.\d+/.test(spec)) throw new Error(`${name}: pin an exact version, not ${spec}`);
    packages[key] = { version: spec, optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-optional-platforms: added ${added} optional package(s) of other platforms`);
