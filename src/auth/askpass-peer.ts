import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { findProgram } from '../master/owner-guard.js';

/**
 * Who is at the other end of an askpass connection, from what the kernel reports rather than
 * what the peer claims (Linux): our end's socket inode (from /proc/self/fd), the peer's socket
 * inode (from the kernel's sock_diag, through `ss -x`, since /proc/net/unix lists no peers),
 * and the process holding that inode (from the /proc/<pid>/fd links `socket:[inode]`).
 */

/** A process as /proc shows it. */
export interface PeerProcess {
  pid: number;
  ppid: number;
  /** /proc/<pid>/exe. */
  exe: string;
  /** /proc/<pid>/cmdline. */
  argv: string[];
}

/** The outcome of {@link identifyPeer}. */
export type PeerIdentity =
  | { kind: 'process'; process: PeerProcess }
  /** The peer socket is known but no process of ours holds it (gone already, or another user's). */
  | { kind: 'unknown'; inode: number }
  /** This platform or system cannot tell (not Linux, no `ss`, no sock_diag): the claim is all there is. */
  | { kind: 'unverifiable'; why: string };

/** The fd of a connected net.Socket (Node keeps it on the internal handle), or undefined. */
export function socketFd(conn: Socket): number | undefined {
  const fd = (conn as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** The inode in a `socket:[123]` link, or undefined. */
export function socketInode(link: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

/**
 * The peer inode of the Unix socket whose own inode is `local`, from `ss -xnH` output (lines
 * end with `<local inode> <peer address> <peer inode>`; a path may contain spaces, so the
 * line is read from its end). Undefined when absent or unknown (0).
 */
export function peerInodeFromSs(output: string, local: number): number | undefined {
  for (const line of output.split('\n')) {
    const m = /\s(\d+)\s+(\S+)\s+(\d+)\s*$/.exec(line);
    if (m && Number(m[1]) === local) {
      const peer = Number(m[3]);
      return peer > 0 ? peer : undefined;
    }
  }
  return undefined;
}

/** Parse /proc/<pid>/stat's ppid (field 4, after the parenthesised name). */
export function ppidFromStat(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined;
}

function holdsInode(pid: string, link: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

function describe(pid: number): PeerProcess | undefined {
  try {
    const ppid = ppidFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const exe = readlinkSync(`/proc/${pid}/exe`);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    return ppid === undefined ? undefined : { pid, ppid, exe, argv };
  } catch {
    return undefined;
  }
}

function allPids(): string[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
}

function runSs(ss: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(ss, ['-xnH'], { timeout: 5000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** The children of `pid` (Linux's /proc/<pid>/task/<tid>/children), or none. */
function childrenOf(pid: number): string[] {
  const out: string[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      out.push(...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter((p) => /^\d+$/.test(p)));
    }
  } catch {
    // none known
  }
  return out;
}

/**
 * Identify the process at the other end of `conn` (an accepted Unix stream connection).
 * `claimedParent()` (the parent the peer says it has, asked once the kernel has named the
 * peer socket) is only a hint of where to look first: its children; every process is
 * searched when none of them holds the peer socket.
 */
export async function identifyPeer(conn: Socket, claimedParent: () => number | undefined = () => undefined): Promise<PeerIdentity> {
  if (process.platform !== 'linux') return { kind: 'unverifiable', why: `not available on ${process.platform}` };
  const fd = socketFd(conn);
  if (fd === undefined) return { kind: 'unverifiable', why: 'the socket has no fd' };
  let local: number | undefined;
  try {
    local = socketInode(readlinkSync(`/proc/self/fd/${fd}`));
  } catch {
    // below
  }
  if (local === undefined) return { kind: 'unverifiable', why: '/proc/self/fd does not show the socket' };
  const ss = findProgram('ss') ?? findProgram('/usr/sbin/ss') ?? findProgram('/sbin/ss');
  if (ss === undefined) return { kind: 'unverifiable', why: "iproute2's ss is not installed" };
  const out = await runSs(ss);
  if (out === undefined) return { kind: 'unverifiable', why: 'ss -x failed' };
  const peer = peerInodeFromSs(out, local);
  if (peer === undefined) return { kind: 'unverifiable', why: 'the kernel reports no peer (no sock_diag support?)' };
  const link = `socket:[${peer}]`;
  const parent = claimedParent();
  const hinted = parent !== undefined && Number.isInteger(parent) && parent > 0 ? childrenOf(parent) : [];
  const search = (pids: string[]): PeerIdentity | undefined => {
    for (const pid of pids) {
      if (Number(pid) === process.pid || !holdsInode(pid, link)) continue;
      const p = describe(Number(pid));
      if (p) return { kind: 'process', process: p };
    }
    return undefined;
  };
  const found = search(hinted) ?? search(allPids());
  return found ?? { kind: 'unknown', inode: peer };
}
