import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Whether the process with this pid is running: it exists (signal 0 checks without sending
 * anything) and is not a zombie. A zombie has exited; it only waits to be reaped, and a
 * process orphaned by a killed owner waits on its new parent: on the CI VMs, PID 1 reaps
 * orphans about once a second (measured: an orphan stayed a zombie for 1 s), and under load
 * possibly later than a 2 s wait (a master killed with its owner failed such a wait in one CI
 * run, most likely as a zombie).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !zombie(pid);
}

/** Whether the process is a zombie (false when it is gone, or its state cannot be read). */
function zombie(pid: number): boolean {
  try {
    if (process.platform === 'linux') {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat[stat.lastIndexOf(')') + 2] === 'Z';
    }
    return execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return false;
  }
}

/** Poll (up to about 2 s) until the process is gone (or a zombie: see {@link alive}); resolve with whether it is. */
export async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

/**
 * The ssh processes whose argv names `ctlDir` (a test's private ControlPath directory):
 * masters (`-MN...`) and the rest (slaves). Zombies are not counted.
 */
export function sshProcsIn(ctlDir: string): { masters: number; slaves: number } {
  const lines = execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(ctlDir) && !l.trim().startsWith('Z'));
  const masters = lines.filter((l) => /\s-MN\w*\s/.test(l)).length;
  return { masters, slaves: lines.length - masters };
}
