// The suite's chart as a hand-written SVG: throughput against clients (writes and linearizable
// reads) and p50/p99 latency per workload, multiraft beside etcd. No plotting dependency: two
// panels of lines, bars and text are all it needs.

import type { SystemName } from './bench-system.js';
import type { SuiteResults } from './report.js';
import { fmt } from './stats.js';

const colour: Record<SystemName, string> = { multiraft: '#1f77b4', etcd: '#ff7f0e' };
const panel = { width: 440, height: 300, left: 60, right: 15, top: 40, bottom: 70 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

/** Writes and reads per second against the number of clients (log₂ x axis). */
function throughputPanel(r: SuiteResults, x0: number): string {
  const series: { system: SystemName; kind: 'write' | 'read'; points: [number, number][] }[] = [];
  for (const system of ['multiraft', 'etcd'] as const) {
    for (const kind of ['write', 'read'] as const) {
      const points = r.workloads
        .filter((w) => w.workload.kind === kind && w.median[system] !== undefined)
        .map((w) => [w.workload.clients, w.median[system]!.opsPerSec] as [number, number]);
      if (points.length > 0) series.push({ system, kind, points });
    }
  }
  const yMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1]))) * 1.1;
  const w = panel.width - panel.left - panel.right;
  const h = panel.height - panel.top - panel.bottom;
  const px = (clients: number) => x0 + panel.left + (Math.log2(clients) / 8) * w;
  const py = (v: number) => panel.top + h - (v / yMax) * h;
  const out = [
    text(x0 + panel.left, 20, 'Throughput (ops/s) against clients in flight', 'font-weight="bold"'),
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    out.push(`<line x1="${px(1)}" x2="${px(256)}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`);
    out.push(text(x0 + panel.left - 5, py(v) + 4, fmt(v), 'text-anchor="end"'));
  }
  for (const c of [1, 4, 16, 64, 256])
    out.push(text(px(c), panel.top + h + 16, String(c), 'text-anchor="middle"'));
  out.push(
    text(px(16), panel.top + h + 32, 'clients (operations in flight)', 'text-anchor="middle"'),
  );
  series.forEach((s, i) => {
    const dash = s.kind === 'read' ? ' stroke-dasharray="6 4"' : '';
    const d = s.points
      .map(([c, v], k) => `${k === 0 ? 'M' : 'L'}${px(c).toFixed(1)},${py(v).toFixed(1)}`)
      .join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${colour[s.system]}" stroke-width="2"${dash}/>`);
    for (const [c, v] of s.points)
      out.push(`<circle cx="${px(c)}" cy="${py(v)}" r="3" fill="${colour[s.system]}"/>`);
    const ly = panel.height - 22 + 12 * Math.floor(i / 2);
    const lx = x0 + panel.left + (i % 2) * 180;
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour[s.system]}" stroke-width="2"${dash}/>`,
    );
    out.push(text(lx + 30, ly, `${s.system} ${s.kind}s`));
  });
  return out.join('\n');
}

/** p50 (solid) and p99 (light) latency per workload, both systems, log y axis. */
function latencyPanel(r: SuiteResults, x0: number): string {
  const rows = r.workloads;
  const all = rows.flatMap((w) => Object.values(w.median).flatMap((f) => [f.p50Ms, f.p99Ms]));
  const lo = 0.1;
  const hi = 10 ** Math.ceil(Math.log10(Math.max(1, ...all)));
  const w = panel.width - panel.left - panel.right;
  const h = panel.height - panel.top - panel.bottom;
  const py = (ms: number) =>
    panel.top + h - (Math.log10(Math.max(lo, ms) / lo) / Math.log10(hi / lo)) * h;
  const out = [
    text(x0 + panel.left, 20, 'Latency p50 / p99 (ms, log scale)', 'font-weight="bold"'),
  ];
  for (let v = lo; v <= hi; v *= 10) {
    out.push(
      `<line x1="${x0 + panel.left}" x2="${x0 + panel.left + w}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`,
    );
    out.push(
      text(x0 + panel.left - 5, py(v) + 4, String(Number(v.toPrecision(1))), 'text-anchor="end"'),
    );
  }
  const slot = w / rows.length;
  const bar = slot / 5;
  rows.forEach((row, i) => {
    const sx = x0 + panel.left + i * slot;
    (['multiraft', 'etcd'] as const).forEach((system, k) => {
      const f = row.median[system];
      if (f === undefined) return;
      const bx = sx + bar / 2 + k * 2 * bar;
      const rect = (x: number, ms: number, opacity: number) =>
        `<rect x="${x.toFixed(1)}" y="${py(ms).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${(panel.top + h - py(ms)).toFixed(1)}" fill="${colour[system]}" fill-opacity="${opacity}"/>`;
      out.push(rect(bx, f.p50Ms, 1), rect(bx + bar, f.p99Ms, 0.4));
    });
    const lx = sx + slot / 2;
    out.push(
      text(
        lx,
        panel.top + h + 12,
        row.workload.id,
        `text-anchor="end" transform="rotate(-35 ${lx} ${panel.top + h + 12})"`,
      ),
    );
  });
  const ly = panel.height - 10;
  (['multiraft', 'etcd'] as const).forEach((system, k) => {
    const lx = x0 + panel.left + k * 200;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="10" height="10" fill="${colour[system]}"/>`);
    out.push(
      `<rect x="${lx + 12}" y="${ly - 10}" width="10" height="10" fill="${colour[system]}" fill-opacity="0.4"/>`,
    );
    out.push(text(lx + 28, ly, `${system} p50 · p99`));
  });
  return out.join('\n');
}

export function chart(r: SuiteResults): string {
  const width = 2 * panel.width;
  const note = `${r.date}${r.quick ? ' (quick)' : ''}, 3 members each on loopback, ${r.machine.cpus} cores; ${r.machine.note}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${panel.height + 20}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    throughputPanel(r, 0),
    latencyPanel(r, panel.width),
    text(10, panel.height + 14, note, 'fill="#666"'),
    '</svg>',
    '',
  ].join('\n');
}
