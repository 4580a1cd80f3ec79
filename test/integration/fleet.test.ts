import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, CommandError, Fleet, FleetError, MasterError, TimeoutError, type HostSpec, type OpenSSHOptions } from '../../src/index.js';
import { sshProcsIn } from '../helpers/processes.js';
import { baseOptions, defaultUser, sshd, target, TEST_ENGINE } from '../helpers/server.js';

let ctlDir: string;
let silent: Server;
let silentPort: number;
let closedPort: number;
const sockets = new Set<Socket>();

/** ssh processes using this file's private ControlPath directory. */
const sshProcs = () => sshProcsIn(ctlDir);

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

beforeAll(async () => {
  ctlDir = mkdtempSync(join(sshd().dir, 'fleet-ctl-'));
  // A host that accepts TCP and never says a word.
  silent = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  silentPort = await listen(silent);
  // A port nobody listens on: connections are refused.
  const tmp = createServer();
  closedPort = await listen(tmp);
  await new Promise((r) => tmp.close(r));
});

afterEach(async () => {
  // No master or slave outlives a test.
  for (let i = 0; i < 100 && sshProcs().masters + sshProcs().slaves > 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(sshProcs()).toEqual({ masters: 0, slaves: 0 });
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  rmSync(ctlDir, { recursive: true, force: true });
});

const defaults = (): OpenSSHOptions => ({ ...baseOptions(), ctlDir });
const webs = (n: number): HostSpec[] => Array.from({ length: n }, (_, i) => ({ label: `web${i + 1}`, target: target() }));

describe('Fleet on the test sshd', () => {
  it('capture(): one result per host in input order, %LABEL% %HOST% %USER% %PORT% and user vars expanded', async () => {
    const fleet = new Fleet(webs(5), { defaults: defaults(), vars: { ID: 42 }, connections: 3 });
    const job = fleet.capture('echo %LABEL% %HOST% %USER% %PORT% %ID% 100%%');
    const report = await job;
    expect(report.results.map((r) => r.label)).toEqual(['web1', 'web2', 'web3', 'web4', 'web5']);
    for (const [i, r] of report.results.entries()) {
      expect(r.ok).toBe(true);
      expect(r.value).toBe(`web${i + 1} 127.0.0.1 ${defaultUser()} ${sshd().port} 42 100%\n`);
      expect(r.status).toBe('ok');
      expect(r.attempts).toBe(1);
      expect(r.index).toBe(i);
      expect(r.startedAt).toBeInstanceOf(Date);
      expect(r.durationMs).toBeGreaterThan(0);
    }
    expect(report.summary).toEqual({ total: 5, ok: 5, failed: 0, timedOut: 0, aborted: 0, skipped: 0 });
  });

  it('an undefined variable in a shortcut is a TypeError before anything starts', () => {
    const fleet = new Fleet(webs(2), { defaults: defaults() });
    expect(() => fleet.capture('echo %NOPE%')).toThrow(/variable %NOPE% used in the command is not defined/);
    expect(sshProcs().masters).toBe(0);
    // With expandVars: false the text goes as it is.
    return expect(new Fleet(webs(1), { defaults: defaults(), expandVars: false }).capture('echo %NOPE%').then((r) => r.results[0]!.value)).resolves.toBe('%NOPE%\n');
  });

  it('when the hosts expand too (defaults.expandVars), the expanded text is not expanded twice', async () => {
    const fleet = new Fleet(webs(1), { defaults: { ...defaults(), expandVars: true }, vars: { P: '%%X%%' } });
    const { results } = await fleet.capture('echo %P% %%LABEL%%');
    expect(results[0]!.value).toBe('%%X%% %LABEL%\n');
    // A custom task gets an OpenSSH with %LABEL% among its variables.
    const r2 = await fleet.run((ssh) => ssh.capture('echo %LABEL%-%HOST%'));
    expect(r2.results[0]!.value).toBe('web1-127.0.0.1\n');
  });

  it('run(task): the task gets the connected OpenSSH and its host; the async iterator yields as hosts finish', async () => {
    const fleet = new Fleet(webs(3), { defaults: defaults() });
    let release!: () => void;
    const othersFinished = new Promise<void>((r) => (release = r));
    const job = fleet.run(async (ssh, host) => {
      expect(ssh.state).toBe('running');
      expect(host.signal).toBeInstanceOf(AbortSignal);
      await ssh.capture('true');
      // web1 waits for the two others: it finishes last, whatever the logins take.
      if (host.index === 0) await othersFinished;
      return `${host.label}#${host.index}`;
    });
    const seen: string[] = [];
    for await (const r of job) {
      seen.push(r.label);
      // Results come as hosts finish: once the two others are out, let web1 finish.
      if (seen.length === 2) release();
    }
    expect(seen).toHaveLength(3);
    expect(seen[2]).toBe('web1');
    expect((await job).results.map((r) => r.value)).toEqual(['web1#0', 'web2#1', 'web3#2']);
  });

  it('run(command): the Result per host; a failing command is that host\'s CommandError, the others succeed', async () => {
    const fleet = new Fleet(webs(3), { defaults: defaults() });
    const { results, summary } = await fleet.run('test %LABEL% != web2 || exit 3');
    expect(results.map((r) => r.status)).toEqual(['ok', 'failed', 'ok']);
    const e = results[1]!.error as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.exitCode).toBe(3);
    expect(results[0]!.value!.exitCode).toBe(0);
    expect(summary).toMatchObject({ ok: 2, failed: 1 });
  });

  it('selectors: globs, lists and exclusions, in fleet order; a plain unknown label is a TypeError', async () => {
    const fleet = new Fleet([...webs(3), { label: 'db1', target: target() }, { label: 'db2', target: target() }], { defaults: defaults() });
    expect(fleet.select('web*').labels).toEqual(['web1', 'web2', 'web3']);
    expect(fleet.select('db2,web1').labels).toEqual(['web1', 'db2']);
    expect(fleet.select('*,!web2').labels).toEqual(['web1', 'web3', 'db1', 'db2']);
    expect(fleet.select((h) => h.label.endsWith('1')).labels).toEqual(['web1', 'db1']);
    expect(fleet.select('x*').labels).toEqual([]);
    expect(() => fleet.select('db3')).toThrow(new TypeError('selector "db3": no host is labelled "db3"'));
    const { results } = await fleet.capture('echo %LABEL%', undefined, { hosts: 'db*' });
    expect(results.map((r) => r.value)).toEqual(['db1\n', 'db2\n']);
  });

  it('bad hosts, each its own typed error within its timeout, while the others succeed', async () => {
    const empty = join(sshd().dir, `fleet-known-${process.pid}`);
    writeFileSync(empty, '');
    const fleet = new Fleet(
      [
        { label: 'good1', target: target() },
        { label: 'refused', target: `${defaultUser()}@127.0.0.1:${closedPort}` },
        { label: 'silent', target: `${defaultUser()}@127.0.0.1:${silentPort}`, connectTimeout: 1500 },
        { label: 'unknown-key', target: target(), masterOpts: ['-F', '/dev/null', '-o', `UserKnownHostsFile=${empty}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes'] },
        { label: 'wrong-user', target: target('osmux-no-such-user') },
        { label: 'good2', target: target() },
      ],
      { defaults: defaults(), connections: 6 },
    );
    const t0 = performance.now();
    const { results, summary } = await fleet.capture('echo ok');
    expect(performance.now() - t0).toBeLessThan(10_000);
    rmSync(empty);
    const by = Object.fromEntries(results.map((r) => [r.label, r]));
    expect(by.good1!.value).toBe('ok\n');
    expect(by.good2!.value).toBe('ok\n');
    const reason = (label: string) => {
      const e = by[label]!.error as MasterError;
      expect(e).toBeInstanceOf(MasterError);
      expect(e.code).toBe('OSSH_MASTER_FAILED');
      expect(by[label]!.status).toBe('failed');
      return e.reason;
    };
    expect(reason('refused')).toBe('connect');
    expect(['timeout', 'exited']).toContain(reason('silent'));
    expect(reason('unknown-key')).toBe('host-key-unknown');
    expect(reason('wrong-user')).toBe('auth');
    expect(summary).toEqual({ total: 6, ok: 2, failed: 4, timedOut: 0, aborted: 0, skipped: 0 });
  });

  it('per-host timeout: the silent host times out (TimeoutError, cause its MasterError) and a slow command is stopped', async () => {
    const fleet = new Fleet([{ label: 'silent', target: `${defaultUser()}@127.0.0.1:${silentPort}` }, { label: 'slow', target: target() }, { label: 'fast', target: target() }], {
      defaults: defaults(),
    });
    const t0 = performance.now();
    const { results, summary } = await fleet.run((ssh, host) => ssh.capture(host.label === 'slow' ? 'sleep 20' : 'echo fast'), { timeout: 8000 });
    expect(performance.now() - t0).toBeLessThan(15_000);
    for (const r of results.slice(0, 2)) {
      expect(r.status).toBe('timed-out');
      const e = r.error as TimeoutError;
      expect(e).toBeInstanceOf(TimeoutError);
      expect(e.code).toBe('OSSH_SLAVE_TIMEOUT');
      expect(e.kind).toBe('deadline');
      expect(e.timeoutMs).toBe(8000);
      expect(e.message).toBe(`host ${r.label} did not finish within 8000 ms (connect included)`);
    }
    expect(results[0]!.error!.cause).toBeInstanceOf(MasterError);
    expect(results[1]!.error!.cause).toBeInstanceOf(AbortError);
    expect(results[2]!.value).toBe('fast\n');
    expect(summary).toMatchObject({ ok: 1, timedOut: 2, failed: 0 });
  });

  it('limits: never more than `connections` masters alive, and concurrency bounds running tasks', async () => {
    const fleet = new Fleet(webs(8), { defaults: defaults(), connections: 3, concurrency: 2 });
    let peakMasters = 0;
    let peakSlaves = 0;
    let running = 0;
    let peakRunning = 0;
    const sampler = setInterval(() => {
      const p = sshProcs();
      peakMasters = Math.max(peakMasters, p.masters);
      peakSlaves = Math.max(peakSlaves, p.slaves);
    }, 25);
    const { summary } = await fleet.run(async (ssh) => {
      peakRunning = Math.max(peakRunning, ++running);
      await ssh.capture('sleep 0.3');
      running--;
    });
    clearInterval(sampler);
    expect(summary.ok).toBe(8);
    expect(peakMasters).toBeGreaterThan(0);
    expect(peakMasters).toBeLessThanOrEqual(3);
    expect(peakRunning).toBe(2);
    if ((TEST_ENGINE ?? 'mux') === 'mux') {
      // The fleet's default engine: commands are channels, no local process.
      expect(peakSlaves).toBe(0);
    } else {
      // Slaves: the two running commands (plus, at most, a short-lived process per master).
      expect(peakSlaves).toBeGreaterThan(0);
      expect(peakSlaves).toBeLessThanOrEqual(2 + 3);
    }
  });

  it("the fleet's connections use the mux engine unless the defaults or a host choose one", async () => {
    /** Peak local slaves seen while `fleet` runs a 0.5 s command on each host. */
    const slavesDuring = async (fleet: Fleet) => {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, sshProcs().slaves)), 25);
      const { summary } = await fleet.run('sleep 0.5');
      clearInterval(sampler);
      expect(summary.ok).toBe(fleet.labels.length);
      return peak;
    };
    const plain = { ...defaults(), engine: undefined };
    expect(await slavesDuring(new Fleet(webs(2), { defaults: plain }))).toBe(0);
    expect(await slavesDuring(new Fleet([{ label: 'b', target: target(), engine: 'spawn' }], { defaults: plain }))).toBe(1);
    expect(await slavesDuring(new Fleet(webs(2), { defaults: { ...defaults(), engine: 'spawn' } }))).toBe(2);
  });

  it('connections >= concurrency is checked with a TypeError; bad options name themselves', () => {
    expect(() => new Fleet([], { connections: 2, concurrency: 5 })).toThrow(
      new TypeError(
        "option 'concurrency' (5) cannot exceed 'connections' (2): every operation runs over a live master, so at most 'connections' of them can ever run at once; raise 'connections' or lower 'concurrency'",
      ),
    );
    expect(() => new Fleet([], { connections: 0 })).toThrow(new TypeError("option 'connections' must be a whole number >= 1, received 0"));
    expect(() => new Fleet(['a', 'a'])).toThrow(new TypeError('host 1: label "a" is used twice (labels must be unique; give { label } to tell hosts apart)'));
    expect(() => new Fleet([{ target: 'h', label: 'a,b' }])).toThrow(/label "a,b" must be non-empty, without white space, ','/);
    expect(() => new Fleet(['h'], { defaults: { port: 'x' as unknown as number } })).toThrow(TypeError);
    expect(() => new Fleet(['h'], { user: 'x' } as never)).toThrow(new TypeError("unknown Fleet option 'user' (known: defaults, connections, concurrency, expandVars, vars, cache; OpenSSH options go in 'defaults')"));
    const fleet = new Fleet(['h'], { defaults: { connect: false } });
    expect(() => fleet.run(async () => 1, { batch: '0%' as '1%' })).toThrow(/option 'batch' must be a whole number >= 1 or a percentage/);
    expect(() => fleet.run(async () => 1, { onError: 'ignore' as 'continue' })).toThrow(
      new TypeError("option 'onError' must be 'continue', 'abort-host' or 'abort-all' or a function (error, host) => policy, received \"ignore\""),
    );
    expect(() => fleet.run(async () => 1, { retries: -1 })).toThrow(new TypeError("option 'retries' must be a whole number >= 0, received -1"));
    expect(() => fleet.run(async () => 1, { nope: 1 } as never)).toThrow(/unknown fleet run option 'nope'/);
  });
});

describe('failure policies', () => {
  const failing = (fail: string[]) => (ssh: import('../../src/index.js').OpenSSH, host: { label: string }) => ssh.capture(fail.includes(host.label) ? 'exit 1' : 'sleep 0.2; echo ok');

  it("'abort-all': no other host starts and the running ones are aborted", async () => {
    const fleet = new Fleet(webs(5), { defaults: defaults(), connections: 2 });
    const { results, summary } = await fleet.run((ssh, host) => ssh.capture(host.label === 'web1' ? 'exit 1' : 'sleep 5'), { onError: 'abort-all' });
    expect(results[0]!.status).toBe('failed');
    expect(results[1]!.status).toBe('aborted');
    expect(results[1]!.error).toBeInstanceOf(AbortError);
    for (const r of results.slice(2)) {
      expect(r.status).toBe('skipped');
      expect(r.skipReason).toBe('abort-all');
      expect(r.error!.message).toBe(`host ${r.label} skipped: another host failed and the policy is 'abort-all'`);
      expect(r.attempts).toBe(0);
    }
    expect(summary).toEqual({ total: 5, ok: 0, failed: 1, timedOut: 0, aborted: 1, skipped: 3 });
  });

  it("'continue' (default), maxFailures and maxFailPercentage stop starting hosts", async () => {
    const fleet = new Fleet(webs(5), { defaults: defaults(), connections: 1 });
    const a = await fleet.run(failing(['web2']));
    expect(a.summary).toMatchObject({ ok: 4, failed: 1 });
    const b = await fleet.run(failing(['web2']), { maxFailures: 0 });
    expect(b.results.map((r) => r.status)).toEqual(['ok', 'failed', 'skipped', 'skipped', 'skipped']);
    expect(b.results[4]!.skipReason).toBe('max-failures');
    const c = await fleet.run(failing(['web1', 'web2']), { maxFailPercentage: 30 });
    // 1 of 5 = 20% is not over 30%; 2 of 5 = 40% is.
    expect(c.results.map((r) => r.status)).toEqual(['failed', 'failed', 'skipped', 'skipped', 'skipped']);
  });

  it("'abort-host' takes the host out of later runs until reset(); a function decides per error", async () => {
    const fleet = new Fleet(webs(3), { defaults: defaults() });
    const seen: string[] = [];
    const a = await fleet.run(failing(['web2']), {
      onError: (error, host) => {
        seen.push(`${host.label}:${(error as CommandError).code}`);
        return 'abort-host';
      },
    });
    expect(seen).toEqual(['web2:OSSH_SLAVE_CMD_FAILED']);
    expect(a.summary.failed).toBe(1);
    expect(fleet.abortedHosts).toEqual(['web2']);
    const b = await fleet.capture('echo again');
    expect(b.results.map((r) => r.status)).toEqual(['ok', 'skipped', 'ok']);
    expect(b.results[1]!.skipReason).toBe('host-aborted');
    fleet.reset();
    expect((await fleet.capture('echo again')).summary.ok).toBe(3);
  });

  it('reject: true rejects with a FleetError carrying the report', async () => {
    const fleet = new Fleet(webs(2), { defaults: defaults() });
    const e = (await fleet.run(failing(['web1']), { reject: true }).then(() => undefined, (x: unknown) => x)) as FleetError;
    expect(e).toBeInstanceOf(FleetError);
    expect(e.code).toBe('OSSH_FLEET_FAILED');
    expect(e.message).toBe('1 of 2 hosts did not succeed (1 failed, 0 timed out, 0 aborted, 0 skipped): web1');
    expect(e.errors[0]).toBeInstanceOf(CommandError);
    expect(e.report.summary.ok).toBe(1);
  });

  it('batch: each batch finishes before the next starts', async () => {
    const fleet = new Fleet(webs(4), { defaults: defaults() });
    const ends: Record<string, number> = {};
    const starts: Record<string, number> = {};
    await fleet.run(
      async (ssh, host) => {
        starts[host.label] = performance.now();
        await ssh.capture(`sleep ${host.index % 2 === 0 ? 0.5 : 0.1}`);
        ends[host.label] = performance.now();
      },
      { batch: '50%' },
    );
    expect(Math.min(starts.web3!, starts.web4!)).toBeGreaterThanOrEqual(Math.max(ends.web1!, ends.web2!));
  });

  it('retries: connection failures are retried with backoff; auth and host-key failures never', async () => {
    const fleet = new Fleet([{ label: 'refused', target: `${defaultUser()}@127.0.0.1:${closedPort}` }, { label: 'wrong-user', target: target('osmux-no-such-user') }], { defaults: defaults() });
    const events: string[] = [];
    const { results } = await fleet.capture('true', undefined, { retries: 2, retryDelay: 20, onProgress: (e) => events.push(`${e.label}:${e.to}:${e.attempt}`) });
    expect(results[0]!.attempts).toBe(3);
    expect((results[0]!.error as MasterError).reason).toBe('connect');
    expect(results[1]!.attempts).toBe(1);
    expect((results[1]!.error as MasterError).reason).toBe('auth');
    expect(events.filter((e) => e.startsWith('refused:'))).toEqual(['refused:connecting:1', 'refused:failed:3']);
  });
});

describe('retryCommands', () => {
  it('a connection lost during the task fails the host, unless retryCommands: true re-runs it on a new connection', async () => {
    const fleet = new Fleet(webs(1), { defaults: defaults() });
    const task = async (ssh: import('../../src/index.js').OpenSSH, host: { index: number }) => {
      const n = Number(await ssh.capture('echo 1'));
      if (runs++ === 0) {
        // The first attempt loses its master half-way through.
        process.kill(ssh.masterPid!, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 200));
      }
      return n + Number(await ssh.capture('echo 1')) + host.index;
    };
    let runs = 0;
    const once = await fleet.run(task, { retries: 2, retryDelay: 10 });
    expect(once.results[0]!.status).toBe('failed');
    expect(once.results[0]!.error).toBeInstanceOf(MasterError);
    expect(once.results[0]!.attempts).toBe(1);
    runs = 0;
    const again = await fleet.run(task, { retries: 2, retryDelay: 10, retryCommands: true });
    expect(again.results[0]).toMatchObject({ ok: true, value: 2, attempts: 2 });
  });
});

describe('cancellation and progress', () => {
  it('the fleet signal cancels running commands, skips queued hosts and leaves no process', async () => {
    const fleet = new Fleet(webs(4), { defaults: defaults(), connections: 2 });
    const ac = new AbortController();
    const job = fleet.run((ssh) => ssh.capture('sleep 20'), {
      signal: ac.signal,
      onProgress: (e) => {
        if (e.counts.running === 2) ac.abort();
      },
    });
    const { results, summary } = await job;
    expect(results.slice(0, 2).map((r) => r.status)).toEqual(['aborted', 'aborted']);
    expect(results[0]!.error).toBeInstanceOf(AbortError);
    expect((results[0]!.error as AbortError).code).toBe('OSSH_ABORTED');
    expect(results.slice(2).map((r) => r.skipReason)).toEqual(['aborted', 'aborted']);
    expect(summary).toMatchObject({ aborted: 2, skipped: 2 });
  });

  it('onProgress: counts and per-host transitions in order', async () => {
    const fleet = new Fleet(webs(2), { defaults: defaults(), connections: 1 });
    const events: Array<{ label: string; from: string; to: string; queued: number; done: number }> = [];
    const job = fleet.capture('true', undefined, { onProgress: (e) => events.push({ label: e.label, from: e.from, to: e.to, queued: e.counts.queued, done: e.counts.done }) });
    await job;
    expect(events).toEqual([
      { label: 'web1', from: 'queued', to: 'connecting', queued: 1, done: 0 },
      { label: 'web1', from: 'connecting', to: 'running', queued: 1, done: 0 },
      { label: 'web1', from: 'running', to: 'ok', queued: 1, done: 1 },
      { label: 'web2', from: 'queued', to: 'connecting', queued: 0, done: 1 },
      { label: 'web2', from: 'connecting', to: 'running', queued: 0, done: 1 },
      { label: 'web2', from: 'running', to: 'ok', queued: 0, done: 2 },
    ]);
    expect(job.counts).toMatchObject({ total: 2, ok: 2, done: 2, running: 0 });
  });
});

describe('transfers with %LABEL% in the paths', () => {
  it('scpPut then scpGet: each host its own file', async () => {
    const local = mkdtempSync(join(tmpdir(), 'fleet-scp-'));
    const fleet = new Fleet(webs(2), { defaults: defaults() });
    const one = await fleet.select('web1').run((ssh) => ssh.capture('mktemp -d'));
    const remote = one.results[0]!.value!.trim();
    try {
      writeFileSync(join(local, 'src.txt'), 'hello\n');
      const put = await fleet.scpPut(join(local, 'src.txt'), `${remote}/%LABEL%.txt`);
      expect(put.summary.ok).toBe(2);
      const get = await fleet.scpGet(`${remote}/%LABEL%.txt`, join(local, 'got-%LABEL%.txt'));
      expect(get.summary.ok).toBe(2);
      expect(readFileSync(join(local, 'got-web1.txt'), 'utf8')).toBe('hello\n');
      expect(readFileSync(join(local, 'got-web2.txt'), 'utf8')).toBe('hello\n');
      const r = await fleet.select('web1').rsyncGet(`${remote}/`, join(local, 'rs-%LABEL%'), { recursive: true });
      expect(r.summary.ok).toBe(1);
      expect(readFileSync(join(local, 'rs-web1', 'web2.txt'), 'utf8')).toBe('hello\n');
    } finally {
      await fleet.select('web1').run((ssh) => ssh.capture(['rm', '-rf', remote]));
      rmSync(local, { recursive: true, force: true });
    }
  });
});
