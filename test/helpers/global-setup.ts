import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import type { ServerInfo } from './server.js';

const isRoot = process.geteuid?.() === 0;

/**
 * Login shells the test users get (root only; otherwise the current user's shell). The first
 * is the default user of every test. The others give the quoting tests one login per shell,
 * by its real path (on Debian /bin/ksh is an alternatives link to ksh93 and /bin/csh to
 * bsd-csh). A shell that is not installed is skipped by those tests, not by the setup.
 */
export const TEST_USERS = [
  { name: 'osmux-sh', shell: '/bin/sh' },
  { name: 'osmux-dash', shell: '/bin/dash' },
  { name: 'osmux-bash', shell: '/bin/bash' },
  { name: 'osmux-zsh', shell: '/bin/zsh' },
  { name: 'osmux-ksh', shell: '/bin/ksh93' },
  { name: 'osmux-mksh', shell: '/bin/mksh' },
  { name: 'osmux-posh', shell: '/bin/posh' },
  { name: 'osmux-yash', shell: '/usr/bin/yash' },
  { name: 'osmux-fish', shell: '/usr/bin/fish' },
  { name: 'osmux-csh', shell: '/bin/bsd-csh' },
  { name: 'osmux-tcsh', shell: '/bin/tcsh' },
].filter((u, i) => i === 0 || existsSync(u.shell));

let server: TestServer | undefined;

/** FUSE mounts left by the sshfs tests (their scratch directories are named osmux-sshfs-*). */
function sshfsMountsLeft(): string[] {
  if (!existsSync('/proc/self/mountinfo')) return [];
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(' - fuse.sshfs ') && l.includes('osmux-sshfs-'))
    .map((l) => l.split(' ')[4]!);
}

/** Processes whose command line mentions `needle` (our ssh slaves/masters, our sshd). */
export function processesMentioning(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(needle) && !/\sZ/.test(l.slice(0, 16)))
    .map((l) => l.trim());
}

export async function setup(project: TestProject): Promise<void> {
  server = await startSshd({ users: isRoot ? TEST_USERS : undefined });
  const info: ServerInfo = {
    host: server.host,
    port: server.port,
    dir: server.dir,
    users: server.users.map((u) => ({ ...u })),
    keyPath: server.keyPath,
    knownHostsPath: server.knownHostsPath,
    hostKey: server.hostKey,
    ctlDir: server.ctlDir,
    clientOpts: [...server.clientOpts],
    isRoot,
  };
  project.provide('sshd', info);
}

export async function teardown(): Promise<void> {
  if (!server) return;
  const { dir, ctlDir } = server;
  // Leak checks: every master and slave the tests started must be gone by now.
  const leftFiles = existsSync(ctlDir) ? readdirSync(ctlDir) : [];
  // sshfs processes name the ControlPath (in ssh_command), so they are among these.
  const leftProcs = processesMentioning(dir).filter((l) => !l.includes('sshd'));
  const leftMounts = sshfsMountsLeft();
  await server.stop();
  const problems: string[] = [];
  if (leftFiles.length > 0) problems.push(`files left in the ControlPath directory: ${leftFiles.join(', ')}`);
  if (leftProcs.length > 0) problems.push(`ssh processes left running:\n${leftProcs.join('\n')}`);
  if (leftMounts.length > 0) problems.push(`sshfs file systems left mounted: ${leftMounts.join(', ')}`);
  if (processesMentioning(dir).length > 0) problems.push(`sshd still running: ${processesMentioning(dir).join('\n')}`);
  if (existsSync(dir)) problems.push(`temp dir ${dir} still exists`);
  if (problems.length > 0) throw new Error(`the test suite leaked:\n${problems.join('\n')}`);
}

declare module 'vitest' {
  export interface ProvidedContext {
    sshd: ServerInfo;
  }
}
