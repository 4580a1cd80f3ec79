import { execFileSync } from 'node:child_process';

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Poll (up to about 2 s) until the process is gone; resolve with whether it is. */
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
