// The checked-in generated code must be what `npm run proto` makes from proto/ today.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect, test } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

test('src/gen matches the code generated from proto/', () => {
  const out = mkdtempSync(join(tmpdir(), 'multiraft-gen-'));
  try {
    const template = JSON.stringify({
      version: 'v2',
      plugins: [
        {
          local: join(root, 'node_modules/.bin/protoc-gen-es'),
          out,
          include_imports: true,
          opt: ['target=ts', 'import_extension=js'],
        },
      ],
    });
    execFileSync(join(root, 'node_modules/.bin/buf'), ['generate', '--template', template], {
      cwd: root,
      stdio: 'pipe',
    });
    const fresh = listFiles(out)
      .map((p) => relative(out, p))
      .sort();
    const checkedIn = listFiles(join(root, 'src/gen'))
      .map((p) => relative(join(root, 'src/gen'), p))
      .sort();
    expect(checkedIn, 'run `npm run proto`').toEqual(fresh);
    for (const file of fresh) {
      const a = readFileSync(join(out, file), 'utf8');
      const b = readFileSync(join(root, 'src/gen', file), 'utf8');
      expect(b, `src/gen/${file} is stale: run \`npm run proto\``).toBe(a);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
