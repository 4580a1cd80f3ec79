import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxCtlPathLength } from '../../src/master/control-dir.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { os: string[]; files: string[] };

describe('package.json "os"', () => {
  it('lists exactly the platforms whose Unix socket path limit the code knows (and never Windows)', () => {
    const platforms: NodeJS.Platform[] = ['aix', 'android', 'cygwin', 'darwin', 'freebsd', 'haiku', 'linux', 'netbsd', 'openbsd', 'sunos', 'win32'];
    const known = platforms.filter((p) => maxCtlPathLength(p) !== undefined);
    expect([...pkg.os].sort()).toEqual(known.sort());
    expect(pkg.os).not.toContain('win32');
    expect(pkg.os).toContain(process.platform);
  });
});

describe('the published package', () => {
  let files: Set<string>;
  beforeAll(() => {
    // The maps come from the build: make one when this tree has none (`npm test` always builds).
    if (!existsSync(join(root, 'dist', 'index.js.map'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    files = new Set((JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
  }, 120_000);

  it('holds every source file its .map files point at', () => {
    const maps = [...files].filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    let referenced = 0;
    for (const map of maps) {
      const { sources, sourceRoot } = JSON.parse(readFileSync(join(root, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
      for (const s of sources) {
        referenced++;
        const target = posix.normalize(posix.join(posix.dirname(map), sourceRoot ?? '', s));
        if (!files.has(target)) missing.push(`${map} -> ${target}`);
      }
    }
    expect(referenced).toBeGreaterThanOrEqual(maps.length);
    expect(missing).toEqual([]);
  });

  it('ships the entry points and no tests', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'src/index.ts', 'README.md', 'CHANGELOG.md', 'package.json']) {
      expect(files.has(f), f).toBe(true);
    }
    expect([...files].filter((f) => f.startsWith('test/') || f.startsWith('bench/'))).toEqual([]);
  });
});

describe("the README's contributor commands", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it('install the same Debian packages as .ci/run', () => {
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    const ciPackages = [...ci.matchAll(/^packages\+?=\(([^)]*)\)/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    expect(ciPackages.length).toBeGreaterThan(10);
    const line = /^sudo apt-get update && sudo apt-get install -y (.*)$/m.exec(readme);
    expect(line, 'the apt-get line of the README').not.toBeNull();
    expect(line![1]!.trim().split(/\s+/).sort()).toEqual(ciPackages.sort());
  });

  it('name npm scripts that exist, and show users `npm install openssh-mux` before anything else', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.demo).toBeDefined();
    expect(scripts.test).toBeDefined();
    expect(readme).toMatch(/^npm run demo /m);
    expect(readme).toMatch(/^npm test /m);
    expect(readme.indexOf('npm install openssh-mux')).toBeGreaterThan(0);
    expect(readme.indexOf('npm install openssh-mux')).toBeLessThan(readme.indexOf('## Contributing'));
    expect(readme.indexOf('npm ci')).toBeGreaterThan(readme.indexOf('## Contributing'));
  });
});
