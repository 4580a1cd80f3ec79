// What a connection costs, in one run, interleaved:
//
//   (L) connect       await OpenSSH.connect(target): spawn the master, wait for its socket,
//                     check it (alive check), until the promise resolves
//   (a) raw ssh -M    spawn the same master argv (from `buildMasterArgv`) and wait (fs.watch
//                     on the directory + stat) until its socket appears; then SIGTERM
//   (C) cycle         connect + capture('true') + disconnect, with the spawn engine
//
// Usage: node bench/connect.mjs after npm run build.
//   BENCH_CONNECT_N=30   runs of each variant (after 3 of warm-up)
// Reports medians and the ratio L/a; no pass/fail thresholds (the machine may be shared).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, watch } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { OpenSSH } from '../dist/index.js';
import { buildMasterArgv } from '../dist/argv/master.js';
import { startSshd } from '../dist/testing/index.js';
import { BENCH_USER, envInt, median } from './common.mjs';

const N = envInt('BENCH_CONNECT_N', 30);
const WARMUP = 3;

/** Spawn `argv` and resolve with the ms until `socket` exists; the master is then killed. */
function rawMaster(argv, socket) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true });
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      const ms = performance.now() - t0;
      watcher.close();
      clearInterval(poll);
      child.once('exit', () => (err ? reject(err) : resolve(ms)));
      child.kill('SIGTERM');
    };
    const look = () => {
      if (statSync(socket, { throwIfNoEntry: false })?.isSocket()) finish();
    };
    const watcher = watch(join(socket, '..'), { persistent: false }, look);
    const poll = setInterval(look, 20);
    child.once('error', finish);
    child.once('exit', (code) => finish(new Error(`raw master exited ${code} before its socket appeared`)));
  });
}

async function main() {
  const server = await startSshd({ users: [{ name: BENCH_USER, shell: '/bin/sh' }] });
  const scratch = mkdtempSync('/tmp/openssh-mux-bench-connect-');
  try {
    const opts = server.connectOptions();
    const target = server.target(BENCH_USER);
    const [user, hostPort] = target.split('@');
    const [host, port] = hostPort.split(':');
    let k = 0;
    const rawArgv = () => {
      const ctlPath = join(scratch, `raw-${k++}`);
      const argv = buildMasterArgv({
        sshCmd: 'ssh',
        ctlPath,
        host,
        user,
        port: Number(port),
        masterOpts: opts.masterOpts,
        keyPath: opts.keyPath,
        serverAliveInterval: 30,
        batchMode: true,
      });
      return { argv, ctlPath };
    };
    const variants = {
      connect: async () => {
        const t0 = performance.now();
        const ssh = await OpenSSH.connect(target, opts);
        const ms = performance.now() - t0;
        await ssh.disconnect();
        return ms;
      },
      raw: async () => {
        const { argv, ctlPath } = rawArgv();
        const ms = await rawMaster(argv, ctlPath);
        rmSync(ctlPath, { force: true });
        return ms;
      },
      cycle: async () => {
        const t0 = performance.now();
        const ssh = await OpenSSH.connect(target, opts);
        await ssh.capture('true');
        await ssh.disconnect();
        return performance.now() - t0;
      },
    };
    for (const f of Object.values(variants)) for (let i = 0; i < WARMUP; i++) await f();
    const times = { connect: [], raw: [], cycle: [] };
    for (let i = 0; i < N; i++) for (const [name, f] of Object.entries(variants)) times[name].push(await f());
    const med = Object.fromEntries(Object.entries(times).map(([n, v]) => [n, median(v)]));
    console.log(`\nconnect benchmark (${N} runs per variant, load ${loadavg()[0].toFixed(2)})`);
    for (const [n, m] of Object.entries(med)) console.log(`  ${n.padEnd(8)} median ${m.toFixed(1).padStart(7)} ms`);
    console.log(`  ratio connect/raw ssh -M ${(med.connect / med.raw).toFixed(2)}x`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
