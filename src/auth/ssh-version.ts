import { runBounded } from '../master/run-bounded.js';
import type { Engine } from '../run/engine.js';

/** An OpenSSH version as `ssh -V` reports it. */
export interface SshVersion {
  major: number;
  minor: number;
  /** The whole `ssh -V` line, e.g. `OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15`. */
  text: string;
}

/** `SSH_ASKPASS_REQUIRE` (and so the askpass route) appeared in OpenSSH 8.4. */
export const ASKPASS_REQUIRE_SINCE = { major: 8, minor: 4 } as const;

/** Parse `ssh -V` output; undefined when it is not OpenSSH's. */
export function parseSshVersion(output: string): SshVersion | undefined {
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(output);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), text: output.trim().split('\n')[0]! };
}

/** True when `v` is at least `min`. */
export function atLeast(v: SshVersion, min: { major: number; minor: number }): boolean {
  return v.major > min.major || (v.major === min.major && v.minor >= min.minor);
}

const cache = new Map<string, Promise<SshVersion | undefined>>();

/** Run `<sshCmd> -V` once per program (bounded to 10 s) and parse it. Never rejects. */
export function sshVersion(engine: Engine, sshCmd: string): Promise<SshVersion | undefined> {
  let p = cache.get(sshCmd);
  if (!p) {
    p = runBounded(engine, [sshCmd, '-V'], 10_000).then((run) => parseSshVersion(run.output));
    cache.set(sshCmd, p);
    // A failed run is not remembered: the next login tries again.
    void p.then((v) => {
      if (!v) cache.delete(sshCmd);
    });
  }
  return p;
}
