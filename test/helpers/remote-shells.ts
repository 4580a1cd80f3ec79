/**
 * The login shells the remote quoting tests run under: one test user per shell (created by
 * global-setup.ts as root), with the `remoteShell` name whose quoter must suit it.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { OpenSSH } from '../../src/index.js';
import { baseOptions, sshd, target } from './server.js';

export type ShellFamily = 'posix' | 'fish' | 'csh';

export interface RemoteShell {
  /** The test user whose login shell this is. */
  user: string;
  /** The login shell's path (as in global-setup.ts). */
  shell: string;
  /** The `remoteShell` name the calls pass (`getQuoter(name)`). */
  name: string;
  family: ShellFamily;
  /** Whether the shell expands `{a,b}` (dash, posh and yash do not). */
  braces: boolean;
  /** Whether `?` matches one character (not one byte) of a UTF-8 name (under LANG=C.UTF-8). */
  multibyte: boolean;
  /** Why the shell's tests are skipped, or false. */
  skip: string | false;
}

const ALL: ReadonlyArray<Omit<RemoteShell, 'skip'>> = [
  { user: 'osmux-sh', shell: '/bin/sh', name: 'sh', family: 'posix', braces: false, multibyte: false },
  { user: 'osmux-dash', shell: '/bin/dash', name: 'dash', family: 'posix', braces: false, multibyte: false },
  { user: 'osmux-bash', shell: '/bin/bash', name: 'bash', family: 'posix', braces: true, multibyte: true },
  { user: 'osmux-zsh', shell: '/bin/zsh', name: 'zsh', family: 'posix', braces: true, multibyte: true },
  { user: 'osmux-ksh', shell: '/bin/ksh93', name: 'ksh', family: 'posix', braces: true, multibyte: true },
  { user: 'osmux-mksh', shell: '/bin/mksh', name: 'mksh', family: 'posix', braces: true, multibyte: true },
  { user: 'osmux-posh', shell: '/bin/posh', name: 'posh', family: 'posix', braces: false, multibyte: false },
  { user: 'osmux-yash', shell: '/usr/bin/yash', name: 'yash', family: 'posix', braces: false, multibyte: true },
  { user: 'osmux-fish', shell: '/usr/bin/fish', name: 'fish', family: 'fish', braces: true, multibyte: true },
  { user: 'osmux-csh', shell: '/bin/bsd-csh', name: 'csh', family: 'csh', braces: true, multibyte: true },
  { user: 'osmux-tcsh', shell: '/bin/tcsh', name: 'tcsh', family: 'csh', braces: true, multibyte: true },
];

const FAMILY_OF: Record<string, ShellFamily> = { csh: 'csh', tcsh: 'csh', 'bsd-csh': 'csh', fish: 'fish' };
const UNSUPPORTED = new Set(['nu', 'xonsh', 'elvish', 'rc', 'es', 'pwsh']);

/**
 * The shells to test. As root: every shell of the table, skipped (with the reason) when its
 * user is not on the test sshd because the shell is not installed, and failing instead under
 * CI, which installs them all. Not as root: only the current user's login shell.
 */
export function remoteShells(): RemoteShell[] {
  const info = sshd();
  if (!info.isRoot) {
    const u = info.users[0]!;
    // By what the path really is: /bin/sh is dash on Debian, bash elsewhere; /bin/csh may be tcsh.
    const base = basename(existsSync(u.shell) ? realpathSync(u.shell) : u.shell);
    const family = FAMILY_OF[base] ?? 'posix';
    const known = ALL.find((s) => basename(s.shell) === base && s.name !== 'sh');
    return [
      {
        user: u.name,
        shell: u.shell,
        name: family === 'posix' ? (known?.name ?? 'sh') : base === 'bsd-csh' ? 'csh' : base,
        family,
        braces: known?.braces ?? false,
        multibyte: known?.multibyte ?? false,
        skip: UNSUPPORTED.has(base) ? `login shell ${u.shell} has no quoter` : false,
      },
    ];
  }
  return ALL.map((s) => {
    const present = info.users.some((u) => u.name === s.user && u.shell === s.shell);
    if (present) return { ...s, skip: false as const };
    if (process.env.CI) throw new Error(`CI: ${s.shell} is not installed, so user ${s.user} is missing from the test sshd (.ci/run installs it)`);
    return { ...s, skip: `${s.shell} is not installed` };
  });
}

/** `zsh (osmux-zsh)`: how a shell is named in test titles. */
export function shellLabel(s: RemoteShell): string {
  return `${basename(s.shell)} (${s.user})`;
}

/**
 * One connection per available shell for the whole test file, keyed by user, all opened at
 * once in beforeAll (a login takes a while) and closed in afterAll.
 */
export function connectEachShell(shells: readonly RemoteShell[]): Map<string, OpenSSH> {
  const connections = new Map<string, OpenSSH>();
  beforeAll(async () => {
    await Promise.all(
      shells.filter((sh) => sh.skip === false).map(async (sh) => {
        const ssh = new OpenSSH(target(sh.user), baseOptions({ remoteShell: sh.name }));
        connections.set(sh.user, ssh);
        if (!(await ssh.waitForMaster())) throw ssh.error;
      }),
    );
  });
  afterAll(async () => {
    await Promise.all([...connections.values()].map((ssh) => ssh.disconnect()));
  });
  return connections;
}
