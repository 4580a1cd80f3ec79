/**
 * Helpers of the shell-session tests: seeded random byte strings (seed from SHELL_SEED or
 * random, shown in test names) and server-side process checks.
 */
import type { OpenSSH } from '../../src/index.js';
import { mulberry32 } from './prng.js';

function parseSeed(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return (Math.random() * 2 ** 32) >>> 0;
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new Error(`SHELL_SEED must be an integer in 0..2^32-1, received ${JSON.stringify(text)}`);
  return n;
}

export const SHELL_SEED = parseSeed(process.env.SHELL_SEED);

/** Bytes that stress framing: line ends, NUL, quotes, printf and shell specials, high bytes. */
const SPECIAL = [0x0a, 0x0d, 0x00, 0x27, 0x22, 0x5c, 0x25, 0x24, 0x60, 0xff, 0x80, 0x3a, 0x45, 0x42];

export function makeShellGenerator(seed: number) {
  const rnd = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  function bytes(): Buffer {
    const r = rnd();
    const n = r < 0.2 ? 0 : r < 0.6 ? int(1, 16) : r < 0.95 ? int(17, 400) : int(401, 70_000);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = rnd() < 0.35 ? SPECIAL[int(0, SPECIAL.length - 1)]! : int(0, 255);
    // Sometimes something shaped like a marker and its trailer.
    if (n > 0 && rnd() < 0.2) return Buffer.concat([b, Buffer.from(`${'0123456789abcdef'.repeat(2)}:E${int(0, 255)}\n`)]);
    return b;
  }
  return {
    /** One case: stdout and stderr bytes and an exit code. */
    case: () => ({ out: bytes(), err: bytes(), code: int(0, 255) }),
    /** A printf format word printing `b` exactly: every byte as a 3-digit octal escape. */
    printfArg: (b: Buffer) => `'${[...b].map((x) => `\\${x.toString(8).padStart(3, '0')}`).join('')}'`,
  };
}

/**
 * pids of remote processes whose command line matches `needle` (pgrep -f, the first
 * character bracketed so the pgrep's own shell does not match).
 */
export async function remotePgrep(ssh: OpenSSH, needle: string): Promise<number[]> {
  const pattern = `[${needle[0]}]${needle.slice(1)}`;
  const out = await ssh.capture(`pgrep -f '${pattern}' || true`);
  return out.split('\n').filter(Boolean).map(Number);
}

/** Whether remote process `pid` exists. */
export async function remoteAlive(ssh: OpenSSH, pid: number): Promise<boolean> {
  return ssh.test(['kill', '-0', String(pid)]);
}
