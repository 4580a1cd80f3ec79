import { execFileSync, spawn } from 'node:child_process';
import { isZombie, processStart } from '../../src/master/owner-marker.js';

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
  if (process.platform === 'linux') return isZombie(pid);
  try {
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

/**
 * A zombie to test with: `sleep 0.05` is a child of a shell that then execs a sleep that never
 * reaps it, so once it has exited it stays a zombie while that parent runs (as a master
 * orphaned by a killed owner waits for PID 1). Resolves once it is one (signal 0 still finds
 * it); `dispose()` kills the parent, and with it the zombie.
 */
export async function makeZombie(): Promise<{ pid: number; parentPid: number; start: string | undefined; dispose(): void }> {
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const dispose = () => void parent.kill('SIGKILL');
  try {
    const pid = Number(await new Promise<string>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      parent.once('error', reject);
    }));
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`makeZombie: the shell said ${pid}`);
    const start = processStart(pid);
    for (let i = 0; i < 250 && !zombie(pid); i++) await new Promise((r) => setTimeout(r, 20));
    if (!zombie(pid)) throw new Error(`makeZombie: ${pid} did not become a zombie`);
    return { pid, parentPid: parent.pid!, start, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}
