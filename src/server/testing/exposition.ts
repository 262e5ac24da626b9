// Reading a node's /metrics text exposition in tests: one sample line, or a per-partition gauge.

/** The value of the sample line `name` (labels included, as written); undefined when absent. */
export function sample(body: string, name: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** One sample per `name{partition="p"}` line, by partition. */
export function partitionSamples(body: string, name: string): Map<number, number> {
  const out = new Map<number, number>();
  const pattern = new RegExp(`^${name}\\{partition="(\\d+)"\\} (\\S+)$`, 'gm');
  for (const m of body.matchAll(pattern)) out.set(Number(m[1]), Number(m[2]));
  return out;
}
