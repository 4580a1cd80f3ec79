// What the benchmarks share: environment knobs, medians, a bash command timed from outside,
// and the life of the throwaway sshd + connection they measure against, with a teardown that
// runs on success, on error and on SIGINT/SIGTERM/SIGHUP.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenSSH } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';

export const MiB = 1024 * 1024;

/** Clock ticks per second of /proc's CPU times. */
export const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU ms from /proc/<pid>/stat (Linux): the process's own (`self`, utime + stime) or that of
 * its waited-for children (`children`, cutime + cstime).
 */
export function procCpuMs(pid, which = 'self') {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const [a, b] = which === 'self' ? [11, 12] : [13, 14];
  return ((Number(f[a]) + Number(f[b])) * 1000) / TICK;
}

/** The login the benchmarks use, so a test run going on at the same time cannot disturb them. */
export const BENCH_USER = 'osmux-bench';

/** A positive integer from the environment, or `dflt`; exits 2 on a bad value. */
export function envInt(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return v;
}

/** Median (mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One benchmark run: `start()` brings up the sshd and the connection, `timeBash()` times a
 * bash script from outside (killed with its process group on interrupt), `onCleanup()` adds
 * a teardown step, and `finish(main)` runs `main`, tears down and sets the exit status.
 */
export function benchRun() {
  let server;
  let ssh;
  let starting;
  let cleaning;
  let interrupted;
  let bashChild;
  const extra = [];

  const cleanup = () => {
    cleaning ??= (async () => {
      // disconnect() and stop() wait on unref'd children and timers: without a ref'd handle,
      // Node could find its loop empty and exit half-way through.
      const keepAlive = setInterval(() => {}, 1000);
      const problems = [];
      try {
        if (bashChild && bashChild.exitCode === null) {
          try {
            process.kill(-bashChild.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        await starting?.catch(() => {});
        await ssh?.disconnect().catch((e) => problems.push(`disconnect: ${e.message}`));
        if (server) {
          const dir = server.dir;
          await server.stop().catch((e) => problems.push(`sshd stop: ${e.message}`));
          if (existsSync(dir)) problems.push(`temp dir left behind: ${dir}`);
        }
        for (const step of extra) {
          const problem = step();
          if (problem) problems.push(problem);
        }
      } finally {
        clearInterval(keepAlive);
      }
      return problems;
    })();
    return cleaning;
  };

  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(s, (sig) => {
      if (interrupted) return;
      interrupted = sig;
      console.error(`\n${sig}: stopping, cleaning up...`);
      cleanup().then((problems) => {
        for (const p of problems) console.error(`cleanup: ${p}`);
        process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[sig] ?? 0));
      });
    });
  }

  return {
    get interrupted() {
      return interrupted !== undefined;
    },
    /** Start the sshd (as its own bench user) and connect; undefined if interrupted meanwhile. */
    async start() {
      await (starting = startSshd({ users: [{ name: BENCH_USER, shell: '/bin/sh' }] }).then((s) => (server = s)));
      if (interrupted) return undefined;
      await (starting = OpenSSH.connect(server.target(), server.connectOptions()).then((c) => (ssh = c)));
      if (interrupted) return undefined;
      return { server, ssh };
    },
    /** A teardown step run after the sshd is stopped; it returns a problem to report, or nothing. */
    onCleanup(step) {
      extra.push(step);
    },
    /** A new temp dir named `prefix...`, removed (and checked gone) by the teardown. */
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      extra.push(() => {
        rmSync(dir, { recursive: true, force: true });
        return existsSync(dir) ? `temp dir left behind: ${dir}` : undefined;
      });
      return dir;
    },
    /** Run `bash -c script` with words as $1...; resolves with its wall time in ms. */
    timeBash(script, words) {
      return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const child = spawn('bash', ['-c', script, 'bash', ...words], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
        bashChild = child;
        let err = '';
        child.stderr.on('data', (c) => (err += c));
        child.once('error', reject);
        child.once('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`bash run failed (${code}): ${err}`))));
      });
    },
    /** Run `main` (false means a missed target), tear down, set process.exitCode. */
    async finish(main) {
      let status = 0;
      try {
        if ((await main()) === false) status = 1;
      } catch (e) {
        if (!interrupted) {
          console.error(e);
          status = 1;
        }
      }
      if (interrupted) await new Promise(() => setInterval(() => {}, 1000)); // the handler exits
      const problems = await cleanup();
      for (const p of problems) console.error(`cleanup: ${p}`);
      if (problems.length) status = 1;
      process.exitCode = status;
    },
  };
}

/** Write `size` bytes of incompressible data to `path`: a 16 MiB random block, repeated. */
export function writeRandomFile(path, size) {
  const block = randomBytes(16 * MiB);
  const fd = openSync(path, 'w', 0o644);
  try {
    for (let left = size; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(block.length, left));
  } finally {
    closeSync(fd);
  }
}
