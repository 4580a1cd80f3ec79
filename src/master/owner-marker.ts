import { readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { debug } from '../log.js';
import { killQuietly } from './cleanup.js';

/**
 * `<ctlPath>.owner`: written by the library next to each master it starts, it proves that the
 * socket, log and askpass directory of that name are ours, and says who owns them. At the
 * next start in the same ctlDir, files whose owner is dead are removed (and a master still
 * running for a dead owner is stopped). The start time (Linux: field 22 of
 * /proc/<pid>/stat, in clock ticks since boot) tells a live owner from a reused pid.
 */
export interface OwnerMarker {
  /** The process that owns the master (after disownMaster(): the master itself). */
  owner: number;
  ownerStart: string | undefined;
  master: number;
  masterStart: string | undefined;
}

/** The fields of /proc/<pid>/stat after the command name (state first), or undefined (not Linux, gone). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain anything.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Start time of `pid` (an opaque string), or undefined where unknown (not Linux, gone). */
export function processStart(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * Whether `pid` is a zombie: it has exited and only waits for its parent to reap it (Linux;
 * false elsewhere, or when it is gone). A master orphaned by a killed owner is reaped by PID 1,
 * which may take a while (about a second on the CI VMs) or forever (a container whose PID 1
 * does not reap orphans).
 */
export function isZombie(pid: number): boolean {
  return statFields(pid)?.[0] === 'Z';
}

/**
 * True when `pid` runs and (if known) started at `start`: the same process, not a reused pid.
 * A zombie does not run: its files are stale.
 */
export function sameProcessAlive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists (another user's): not ours, so certainly not the same process.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
    return start === undefined;
  }
  const fields = statFields(pid);
  if (fields?.[0] === 'Z') return false;
  if (start === undefined) return true;
  return fields === undefined || fields[19] === start;
}

/** The marker's path for a ControlPath. */
export function markerPath(ctlPath: string): string {
  return `${ctlPath}.owner`;
}

/** Write (or rewrite) the marker of `ctlPath`: atomically, mode 0600. */
export function writeOwnerMarker(ctlPath: string, owner: number, master: number): void {
  const m: OwnerMarker = { owner, ownerStart: processStart(owner), master, masterStart: processStart(master) };
  const path = markerPath(ctlPath);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(m)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Parse a marker's text; undefined when it is not one of ours. */
export function parseOwnerMarker(text: string): OwnerMarker | undefined {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const pid = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
    const start = (v: unknown) => v === undefined || (typeof v === 'string' && /^\d+$/.test(v));
    if (!pid(o.owner) || !pid(o.master) || !start(o.ownerStart) || !start(o.masterStart)) return undefined;
    return { owner: o.owner as number, ownerStart: o.ownerStart as string | undefined, master: o.master as number, masterStart: o.masterStart as string | undefined };
  } catch {
    return undefined;
  }
}

/** Names the library generates (control-dir.ts): 20 hex characters. */
const GENERATED = /^([0-9a-f]{20})\.owner$/;

/**
 * Remove what dead owners left in `dir`: for each `<name>.owner` marker (a generated name)
 * whose owner is gone, SIGTERM its master if that one still runs, then remove `<name>`,
 * `<name>.log`, `<name>.askpass/` and the marker. Files without a marker are never touched.
 * Returns the names removed. Best effort: a failure is logged and skipped.
 */
export function sweepStale(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const name = GENERATED.exec(entry)?.[1];
    if (name === undefined) continue;
    const base = join(dir, name);
    try {
      const m = parseOwnerMarker(readFileSync(join(dir, entry), 'utf8'));
      if (m === undefined || sameProcessAlive(m.owner, m.ownerStart)) continue;
      if (m.masterStart !== undefined && sameProcessAlive(m.master, m.masterStart)) killQuietly(m.master, 'SIGTERM');
      for (const f of [base, `${base}.log`, `${base}.askpass`, join(dir, entry)]) rmSync(f, { recursive: true, force: true });
      removed.push(name);
      debug('removed stale master files %s (owner pid %d is gone)', base, m.owner);
    } catch (err) {
      debug('could not sweep %s: %s', base, (err as Error).message);
    }
  }
  return removed;
}
