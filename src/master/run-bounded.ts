import type { Engine, ProcessExit } from '../run/engine.js';

/** What {@link runBounded} saw. */
export interface BoundedRun {
  exit: ProcessExit;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, in the order they arrived. */
  output: string;
  /** The process was killed for running past its time. */
  timedOut: boolean;
}

/**
 * Run a short local command (`ssh -O`, `ssh -G`, `ssh -V`) with no stdin, collect what it
 * prints, and SIGKILL it past `timeoutMs`. Never rejects: a spawn failure comes back in
 * `exit.error`.
 */
export async function runBounded(engine: Engine, argv: readonly string[], timeoutMs: number): Promise<BoundedRun> {
  const proc = engine.spawn({ file: argv[0]!, args: argv.slice(1), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const all: Buffer[] = [];
  const collect = (into: Buffer[]) => (c: Buffer) => {
    into.push(c);
    all.push(c);
  };
  proc.stdout?.on('data', collect(out));
  proc.stderr?.on('data', collect(err));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
  return { exit, stdout: text(out), stderr: text(err), output: text(all), timedOut };
}
