import { execFile } from 'node:child_process';

/**
 * Wait until the program on a pty has switched its terminal out of canonical mode, as
 * `ssh -tt` does once the remote session is open. Until then the local terminal is still a
 * cooked one: it would echo what we write (a second echo besides the remote terminal's),
 * turn `\r` into `\n` and act on Ctrl-C/Ctrl-D itself. So writes are held until this
 * resolves.
 *
 * Node cannot read a terminal's settings, so this asks `stty -a` about the slave device:
 * after {@link POLL_MS} ms, then twice as long each time, up to {@link MAX_POLL_MS} ms
 * between asks. It resolves (never rejects) when the terminal is raw, when
 * `isOver()` says the process is gone, when `stty` cannot answer (then holding would not
 * help), or after {@link GIVE_UP_MS}.
 */

/** The first pause (ms) before asking `stty` again. */
export const POLL_MS = 10;
/** The longest pause (ms) between two asks. */
export const MAX_POLL_MS = 100;
/** After this long (ms) without a raw terminal, held writes are let through. */
export const GIVE_UP_MS = 10_000;

const CANONICAL_OFF = /(^|[\s;])-icanon([\s;]|$)/;

/** One `stty -a` on the device: true raw, false cooked, undefined when stty failed. */
function ask(ptsName: string): Promise<boolean | undefined> {
  const flag = process.platform === 'linux' ? '-F' : '-f';
  return new Promise((resolve) => {
    execFile('stty', ['-a', flag, ptsName], { timeout: 2000, encoding: 'utf8' }, (err, stdout) => {
      resolve(err ? undefined : CANONICAL_OFF.test(stdout));
    });
  });
}

/** Resolve once the terminal `ptsName` is in non-canonical (raw) mode; see the module doc. */
export async function waitForRawMode(ptsName: string, isOver: () => boolean): Promise<void> {
  const deadline = performance.now() + GIVE_UP_MS;
  let delay = POLL_MS;
  while (!isOver() && performance.now() < deadline) {
    const raw = await ask(ptsName);
    if (raw !== false) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}
