import { afterEach, inject } from 'vitest';
import { OpenSSH, type OpenSSHOptions } from '../../src/index.js';

/** What global-setup tells the tests about the shared throwaway sshd. */
export interface ServerInfo {
  host: string;
  port: number;
  dir: string;
  users: Array<{ name: string; shell: string }>;
  keyPath: string;
  knownHostsPath: string;
  hostKey: string;
  ctlDir: string;
  clientOpts: string[];
  isRoot: boolean;
}

export function sshd(): ServerInfo {
  return inject('sshd');
}

/** The default test user (a /bin/sh login as root; the current user otherwise). */
export function defaultUser(): string {
  return sshd().users[0]!.name;
}

/** `user@127.0.0.1:port` on the shared sshd. */
export function target(user = defaultUser()): string {
  const s = sshd();
  return `${user}@${s.host}:${s.port}`;
}

/**
 * The engine the integration tests run on: `OSMUX_TEST_ENGINE=mux npx vitest run ...` runs
 * them on the mux engine (default: the library's default).
 */
export const TEST_ENGINE = process.env.OSMUX_TEST_ENGINE as 'spawn' | 'mux' | undefined;

/** Options that reach the shared sshd: its host key trusted, our key, the private ctlDir. */
export function baseOptions(extra: OpenSSHOptions = {}): OpenSSHOptions {
  const s = sshd();
  return {
    keyPath: s.keyPath,
    ctlDir: s.ctlDir,
    ...(TEST_ENGINE ? { engine: TEST_ENGINE } : {}),
    ...extra,
    // The caller's options first: ssh keeps the first value it sees.
    masterOpts: [...(extra.masterOpts ?? []), ...s.clientOpts],
  };
}

const opened: OpenSSH[] = [];

/** A new OpenSSH to the shared sshd, disconnected automatically after the test. */
export function open(options: OpenSSHOptions = {}, user = defaultUser()): OpenSSH {
  const ssh = new OpenSSH(target(user), baseOptions(options));
  opened.push(ssh);
  return ssh;
}

/** Like {@link open} but waits for the master (throws its MasterError). */
export async function connect(options: OpenSSHOptions = {}, user = defaultUser()): Promise<OpenSSH> {
  const ssh = open(options, user);
  if (!(await ssh.waitForMaster())) throw ssh.error;
  return ssh;
}

/** A connection for a whole file (beforeAll): not disconnected after each test. */
export async function connectForFile(options: OpenSSHOptions = {}, user = defaultUser()): Promise<OpenSSH> {
  const ssh = new OpenSSH(target(user), baseOptions(options));
  if (!(await ssh.waitForMaster())) throw ssh.error;
  return ssh;
}

/** Remember an OpenSSH made elsewhere so it is disconnected after the test. */
export function track(ssh: OpenSSH): OpenSSH {
  opened.push(ssh);
  return ssh;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.disconnect()));
});
