/**
 * The wings (sw, page-bridge, server, manifest-tool, and dashboard: the operator page's script)
 * meet only in protocol/, and protocol/ runs anywhere (Node, page, service worker): no wing
 * imports, no node: built-ins. A wrong import fails here, in CI.
 *
 * One exception, one way: server/ may import manifest-tool's library entry (manifest-tool/index.ts:
 * in-process manifest builds and the CLI helpers both commands share); manifest-tool never
 * imports the server, and no other wing imports manifest-tool.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WINGS = ['sw', 'page-bridge', 'server', 'manifest-tool', 'dashboard'] as const;
const AREAS = ['protocol', ...WINGS] as const;
type Area = (typeof AREAS)[number];
/** The one cross-wing import allowed: the server builds manifests through manifest-tool's library entry. */
const LIBRARY_ENTRY = join(ROOT, 'manifest-tool/index.ts');

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every module specifier a TypeScript source imports or re-exports. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

function areaOf(absPath: string): Area | undefined {
  const top = relative(ROOT, absPath).split(sep)[0];
  return (AREAS as readonly string[]).includes(top ?? '') ? (top as Area) : undefined;
}

/** The rule violations of one file: `from` area, its specifiers, and where relative ones land. */
export function violations(fileAbs: string, source: string): string[] {
  const from = areaOf(fileAbs);
  if (!from) return [];
  const problems: string[] = [];
  for (const spec of importSpecifiers(source)) {
    if (spec.startsWith('.')) {
      const to = areaOf(resolve(dirname(fileAbs), spec));
      if (from === 'protocol' && to !== 'protocol') problems.push(`protocol imports outside itself (${spec})`);
      else if (from === 'server' && to === 'manifest-tool') {
        if (resolve(dirname(fileAbs), spec).replace(/\.js$/, '.ts') !== LIBRARY_ENTRY) problems.push(`server imports manifest-tool other than its library entry manifest-tool/index.ts (${spec})`);
      } else if (to && to !== from && to !== 'protocol') problems.push(`${from} imports ${to} (${spec})`);
    } else if (from === 'protocol' && (spec.startsWith('node:') || ['fs', 'path', 'crypto', 'os', 'url', 'buffer'].includes(spec))) {
      problems.push(`protocol imports a Node built-in (${spec}): it must run in a service worker`);
    }
  }
  return problems;
}

function tsFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('one-way dependencies', () => {
  it('catches a wing importing another wing, and protocol importing node:', () => {
    expect(violations(join(ROOT, 'sw/x.ts'), "import { a } from '../server/plugins/origin.js';")).toHaveLength(1);
    expect(violations(join(ROOT, 'server/x.ts'), "export * from '../manifest-tool/build.js';")).toHaveLength(1);
    expect(violations(join(ROOT, 'server/a/x.ts'), "import { buildManifest } from '../../manifest-tool/index.js';")).toEqual([]);
    expect(violations(join(ROOT, 'manifest-tool/x.ts'), "import { buildServer } from '../server/build-server.js';")).toHaveLength(1);
    expect(violations(join(ROOT, 'sw/x.ts'), "import { buildManifest } from '../manifest-tool/index.js';")).toHaveLength(1);
    expect(violations(join(ROOT, 'page-bridge/a/b.ts'), "const m = await import('../../sw/strategy.js');")).toHaveLength(1);
    expect(violations(join(ROOT, 'protocol/x.ts'), "import { readFile } from 'node:fs/promises';")).toHaveLength(1);
    expect(violations(join(ROOT, 'protocol/x.ts'), "import '../sw/x.js';")).toHaveLength(1);
    expect(violations(join(ROOT, 'dashboard/x.ts'), "import { metricsPlugin } from '../server/plugins/metrics.js';")).toHaveLength(1);
    expect(violations(join(ROOT, 'sw/x.ts'), "import type { Manifest } from '../protocol/index.js';\nimport { Strategy } from 'workbox-strategies';")).toEqual([]);
  });

  it('holds for every source file in the tree', () => {
    const files = AREAS.flatMap((area) => tsFiles(join(ROOT, area)));
    expect(files.length).toBeGreaterThan(10);
    const problems = files.flatMap((f) => violations(f, readFileSync(f, 'utf8')).map((p) => `${relative(ROOT, f)}: ${p}`));
    expect(problems).toEqual([]);
  });
});
