import * as crypto from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkCtlPathLength,
  checkSecureDir,
  CTL_SUFFIX_ROOM,
  CtlPathProblem,
  ensureCtlDir,
  maxCtlPathLength,
  newCtlPath,
  prepareCtlPath,
} from '../../src/master/control-dir.js';
import { expectThrow } from '../helpers/expect-throw.js';

// createHash is wrapped so one test can force name collisions; it calls the real one otherwise.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, createHash: vi.fn(actual.createHash) };
});

const isRoot = process.geteuid?.() === 0;
const temps: string[] = [];

/** A fresh private directory under the (sticky) system temp dir, removed in afterAll. */
function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'osmux-cd-')));
  temps.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temps) {
    try {
      chmodSync(dir, 0o700);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
  for (const dir of temps) expect(existsSync(dir)).toBe(false);
});

const mode = (path: string) => statSync(path).mode & 0o7777;

describe('maxCtlPathLength', () => {
  it('is sun_path minus the suffix room', () => {
    expect(CTL_SUFFIX_ROOM).toBe(18);
    expect(maxCtlPathLength('linux')).toBe(90);
    expect(maxCtlPathLength('android')).toBe(90);
    expect(maxCtlPathLength('darwin')).toBe(86);
    expect(maxCtlPathLength('freebsd')).toBe(86);
    expect(maxCtlPathLength('openbsd')).toBe(86);
    expect(maxCtlPathLength('aix')).toBe(1005);
  });

  it('is undefined where unknown', () => {
    expect(maxCtlPathLength('win32')).toBeUndefined();
  });

  it('defaults to this platform', () => {
    expect(maxCtlPathLength()).toBe(maxCtlPathLength(process.platform));
  });
});

describe('checkCtlPathLength', () => {
  const path90 = `/${'a'.repeat(89)}`;
  const path91 = `/${'a'.repeat(90)}`;

  it('accepts 90 bytes on linux', () => {
    expect(Buffer.byteLength(path90)).toBe(90);
    expect(() => checkCtlPathLength(path90, 'linux')).not.toThrow();
  });

  it('rejects 91 bytes on linux with the exact message', () => {
    expectThrow(
      () => checkCtlPathLength(path91, 'linux'),
      CtlPathProblem,
      `ctlPath ${path91} is 91 bytes long, but on linux a ControlPath can be at most 90 bytes ` +
        '(sun_path 108 minus the 18 OpenSSH needs for its temporary suffix); ' +
        'set a shorter ctlDir (for example /tmp/ssh-mux-<user>, created 0700)',
    );
  });

  it('uses the darwin limit', () => {
    expect(() => checkCtlPathLength(`/${'a'.repeat(85)}`, 'darwin')).not.toThrow();
    expectThrow(
      () => checkCtlPathLength(`/${'a'.repeat(86)}`, 'darwin'),
      CtlPathProblem,
      /^ctlPath \/a+ is 87 bytes long, but on darwin a ControlPath can be at most 86 bytes \(sun_path 104 minus the 18 /,
    );
  });

  it('counts bytes, not characters', () => {
    const multi = `/${'ñ'.repeat(45)}`; // 46 characters, 91 bytes
    expect(multi.length).toBe(46);
    expectThrow(() => checkCtlPathLength(multi, 'linux'), CtlPathProblem, new RegExp(`^ctlPath ${multi} is 91 bytes long, `));
    const fits = `/${'ñ'.repeat(44)}a`; // 90 bytes
    expect(() => checkCtlPathLength(fits, 'linux')).not.toThrow();
  });

  it('does not check where the limit is unknown', () => {
    expect(() => checkCtlPathLength(`/${'a'.repeat(500)}`, 'win32')).not.toThrow();
  });

  it('is a plain Error subclass', () => {
    const p = new CtlPathProblem('x');
    expect(p).toBeInstanceOf(Error);
    expect(p.message).toBe('x');
  });
});

describe('newCtlPath', () => {
  afterEach(() => {
    vi.mocked(crypto.createHash).mockClear();
  });

  it('gives 20 hex characters inside the directory', () => {
    const dir = tempDir();
    const a = newCtlPath(dir, 'user@host');
    expect(a).toMatch(new RegExp(`^${dir}/[0-9a-f]{20}$`));
    expect(a).not.toContain('host');
    expect(existsSync(a)).toBe(false); // only a name: nothing is created
    const b = newCtlPath(dir, 'user@host');
    expect(b).not.toBe(a);
  });

  /** A stand-in hasher whose hex digest is `char` repeated. */
  const fakeHash = (char: string) => {
    const fake = { update: () => fake, digest: () => char.repeat(64) };
    return fake as unknown as crypto.Hash;
  };

  it('skips a name that already exists', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a'.repeat(20)), '');
    vi.mocked(crypto.createHash)
      .mockImplementationOnce(() => fakeHash('a'))
      .mockImplementationOnce(() => fakeHash('b'));
    expect(newCtlPath(dir, 't')).toBe(join(dir, 'b'.repeat(20)));
    expect(crypto.createHash).toHaveBeenCalledTimes(2);
  });

  it('gives up after 10 taken names', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'c'.repeat(20)));
    for (let i = 0; i < 10; i++) vi.mocked(crypto.createHash).mockImplementationOnce(() => fakeHash('c'));
    expectThrow(() => newCtlPath(dir, 't'), CtlPathProblem, `unable to find an unused ControlPath name inside ctlDir ${dir}`);
    expect(crypto.createHash).toHaveBeenCalledTimes(10);
  });
});

describe('ensureCtlDir', () => {
  it('creates missing directories with mode 0700', () => {
    const base = tempDir();
    const dir = join(base, 'x', 'y');
    ensureCtlDir(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(mode(dir)).toBe(0o700);
  });

  it("leaves an existing directory's mode alone", () => {
    const base = tempDir();
    const dir = join(base, 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    ensureCtlDir(dir);
    expect(mode(dir)).toBe(0o755);
  });

  it('fails when a file is in the way', () => {
    const base = tempDir();
    const file = join(base, 'file');
    writeFileSync(file, '');
    expectThrow(() => ensureCtlDir(file), CtlPathProblem, `unable to create ctlDir ${file}: EEXIST: file already exists, mkdir '${file}'`);
  });

  it('fails when a parent is a file', () => {
    const base = tempDir();
    const file = join(base, 'file');
    writeFileSync(file, '');
    expectThrow(() => ensureCtlDir(join(file, 'sub')), CtlPathProblem, new RegExp(`^unable to create ctlDir ${file}/sub: ENOTDIR: `));
  });
});

describe('checkSecureDir', () => {
  const insecure = (dir: string, offender: string, why: string) =>
    `ctlDir ${dir} is not secure: ${offender} ${why}. Another user could hijack the connection through its socket; ` +
    'fix the permissions, choose another ctlDir, or pass strictMode: false';

  it('passes for a fresh temp dir under the sticky system temp dir', () => {
    expect(() => checkSecureDir(tempDir())).not.toThrow();
  });

  it('fails for a 0777 directory, naming it', () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    expectThrow(() => checkSecureDir(dir), CtlPathProblem, insecure(dir, dir, 'is writable by group and others (mode 0777) without the sticky bit'));
  });

  it('passes for a 1777 directory', () => {
    const dir = tempDir();
    chmodSync(dir, 0o1777);
    expect(mode(dir)).toBe(0o1777);
    expect(() => checkSecureDir(dir)).not.toThrow();
  });

  it('fails for a group-writable 0775 directory', () => {
    const dir = tempDir();
    chmodSync(dir, 0o775);
    expectThrow(() => checkSecureDir(dir), CtlPathProblem, insecure(dir, dir, 'is writable by group (mode 0775) without the sticky bit'));
  });

  it('fails for an others-writable 0757 directory', () => {
    const dir = tempDir();
    chmodSync(dir, 0o757);
    expectThrow(() => checkSecureDir(dir), CtlPathProblem, insecure(dir, dir, 'is writable by others (mode 0757) without the sticky bit'));
  });

  it('walks up and names the insecure parent', () => {
    const parent = tempDir();
    const child = join(parent, 'private');
    mkdirSync(child, { mode: 0o700 });
    chmodSync(parent, 0o777);
    try {
      expectThrow(() => checkSecureDir(child), CtlPathProblem, insecure(child, parent, 'is writable by group and others (mode 0777) without the sticky bit'));
    } finally {
      chmodSync(parent, 0o700);
    }
  });

  it('stops the walk at the home directory', () => {
    const parent = tempDir();
    const home = join(parent, 'home');
    const child = join(home, 'ctl');
    mkdirSync(child, { recursive: true, mode: 0o700 });
    chmodSync(parent, 0o777);
    try {
      expect(() => checkSecureDir(child, home)).not.toThrow();
      expectThrow(() => checkSecureDir(child, '/nonexistent-home'), CtlPathProblem, insecure(child, parent, 'is writable by group and others (mode 0777) without the sticky bit'));
    } finally {
      chmodSync(parent, 0o700);
    }
  });

  it('resolves symlinks and judges the real directory', async () => {
    const { symlinkSync } = await import('node:fs');
    const base = tempDir();
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    chmodSync(real, 0o777);
    const link = join(base, 'link');
    symlinkSync(real, link);
    expectThrow(() => checkSecureDir(link), CtlPathProblem, insecure(link, real, 'is writable by group and others (mode 0777) without the sticky bit'));
  });

  it('fails for a file', () => {
    const base = tempDir();
    const file = join(base, 'f');
    writeFileSync(file, '');
    expectThrow(() => checkSecureDir(file), CtlPathProblem, insecure(file, file, 'is not a directory'));
  });

  it('fails for a missing directory', () => {
    const base = tempDir();
    const missing = join(base, 'missing');
    expectThrow(
      () => checkSecureDir(missing),
      CtlPathProblem,
      new RegExp(`^ctlDir ${missing} cannot be resolved: ENOENT: no such file or directory, \\w+ '${missing}'$`),
    );
  });

  it.skipIf(!isRoot)('fails for a directory owned by another user', () => {
    const dir = tempDir();
    chownSync(dir, 12345, 12345);
    try {
      expectThrow(() => checkSecureDir(dir), CtlPathProblem, insecure(dir, dir, 'is owned by uid 12345, not by uid 0 or root'));
    } finally {
      chownSync(dir, 0, 0);
    }
  });
});

describe('prepareCtlPath', () => {
  const base = { externalMaster: false, strictMode: true, target: 'user@host' };

  it('rejects an existing file when not using an external master', () => {
    const dir = tempDir();
    const path = join(dir, 'sock');
    writeFileSync(path, '');
    expectThrow(
      () => prepareCtlPath({ ...base, ctlPath: path }),
      CtlPathProblem,
      `unable to use ctlPath ${path}: a file object already exists there`,
    );
  });

  it('rejects a non-socket for an external master', () => {
    const dir = tempDir();
    const path = join(dir, 'sock');
    writeFileSync(path, '');
    expectThrow(
      () => prepareCtlPath({ ...base, externalMaster: true, ctlPath: path }),
      CtlPathProblem,
      `ctlPath ${path} does not point to a socket, so there is no external master there`,
    );
  });

  it('rejects a missing socket for an external master', () => {
    const dir = tempDir();
    const path = join(dir, 'none');
    expectThrow(
      () => prepareCtlPath({ ...base, externalMaster: true, ctlPath: path }),
      CtlPathProblem,
      `ctlPath ${path} does not point to a socket, so there is no external master there`,
    );
  });

  it('accepts a socket for an external master', async () => {
    const dir = tempDir();
    const path = join(dir, 's');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(prepareCtlPath({ ...base, externalMaster: true, ctlPath: path })).toEqual({ ctlPath: path, generated: false });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('accepts a free explicit ctlPath', () => {
    const dir = tempDir();
    const path = join(dir, 'free');
    expect(prepareCtlPath({ ...base, ctlPath: path })).toEqual({ ctlPath: path, generated: false });
    expect(existsSync(path)).toBe(false);
  });

  it('generates a name inside ctlDir, creating it 0700', () => {
    const dir = join(tempDir(), 'ctl');
    const choice = prepareCtlPath({ ...base, ctlDir: dir });
    expect(choice.generated).toBe(true);
    expect(choice.ctlPath).toMatch(new RegExp(`^${dir}/[0-9a-f]{20}$`));
    expect(mode(dir)).toBe(0o700);
  });

  it('checks the length', () => {
    const dir = tempDir();
    const path = join(dir, 'x'.repeat(120));
    expectThrow(() => prepareCtlPath({ ...base, ctlPath: path }), CtlPathProblem, new RegExp(`^ctlPath ${path} is \\d+ bytes long, but on `));
  });

  it('checks the directory only with strictMode', () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const path = join(dir, 'sock');
    expectThrow(() => prepareCtlPath({ ...base, ctlPath: path }), CtlPathProblem, new RegExp(`^ctlDir ${dir} is not secure: ${dir} is writable by group and others \\(mode 0777\\) without the sticky bit\\. `));
    expect(prepareCtlPath({ ...base, strictMode: false, ctlPath: path })).toEqual({ ctlPath: path, generated: false });
  });
});
