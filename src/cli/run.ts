import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import { Fleet } from '../fleet/fleet.js';
import type { FleetJob } from '../fleet/job.js';
import type { FleetRunOptions } from '../fleet/options.js';
import type { OpenSSH } from '../openssh.js';
import type { OpenSSHOptions } from '../options/connection.js';
import { parseCli, type CliConfig } from './args.js';
import { outcomeOf, type HostOutcome } from './outcome.js';
import { emit, summaryText } from './report.js';
import { colorsFor, Screen } from './screen.js';
import { HELP, UsageError } from './usage.js';

/** Where the CLI reads and writes: the process's own, or a test's. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Emits 'SIGINT' (the process). */
  signals?: NodeJS.EventEmitter;
}

function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}

/** Feed each complete line of `stream` to `onLine`; the last partial line when it ends. */
function eachLine(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const l of lines) onLine(l);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
    rest = '';
  });
}

function connectionDefaults(c: CliConfig): OpenSSHOptions {
  const o: Record<string, unknown> = {
    user: c.user,
    port: c.port,
    keyPath: c.identity,
    sshConfig: c.sshConfig,
    masterOpts: c.sshOptions.length > 0 ? c.sshOptions : undefined,
    hostKeyPolicy: c.hostKeyPolicy,
    connectTimeout: c.connectTimeout,
    ctlDir: c.ctlDir,
    verbose: c.verbose,
    // --stream runs its own task: the hosts expand the command themselves.
    expandVars: c.mode === 'run' && c.output === 'stream' && c.expand ? true : undefined,
  };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as OpenSSHOptions;
}

/** Start the job the command line asks for. TypeErrors (bad hosts, undefined variables) are usage errors. */
function start(c: CliConfig, fleet: Fleet, run: FleetRunOptions, screen: Screen, paint: ReturnType<typeof colorsFor>, paintErr: ReturnType<typeof colorsFor>): FleetJob<unknown> {
  if (c.mode === 'run') {
    // As ssh does, the words after -- are joined with spaces into one remote command line.
    const command = c.words.join(' ');
    if (c.output !== 'stream') return fleet.run(command, undefined, run);
    return fleet.run(async (ssh: OpenSSH, host) => {
      const p = await ssh.spawn(command, { buffer: false });
      const prefix = paint('bold', `${host.label}:`);
      const prefixErr = paintErr('bold', `${host.label}:`);
      eachLine(p.stdout, (l) => screen.out(`${prefix} ${l}\n`));
      eachLine(p.stderr, (l) => screen.err(`${prefixErr} ${l}\n`));
      return p.result;
    }, run);
  }
  const sources = c.words.slice(0, -1);
  const target = c.words.at(-1)!;
  const options = { recursive: c.recursive };
  const method = `${c.rsync ? 'rsync' : 'scp'}${c.mode === 'put' ? 'Put' : 'Get'}` as const;
  return fleet[method](sources, target, options, run);
}

/**
 * The `openssh-mux` command: parse `argv`, run, write the output, and resolve with the exit
 * status (0 all ok, 1 some host failed, 2 usage error, 130 interrupted after cleanup).
 */
export async function cli(argv: string[], io: CliIo): Promise<number> {
  let c: CliConfig;
  try {
    c = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`openssh-mux: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (c.mode === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  if (c.mode === 'version') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }

  const paint = colorsFor(io.stdout, io.env);
  const paintErr = colorsFor(io.stderr, io.env);
  const screen = new Screen(io.stdout, io.stderr, io.stderr.isTTY === true && !c.quiet);
  const ac = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      // A second Ctrl-C: stop waiting (the library's exit hook still kills the masters).
      screen.stop();
      process.exit(130);
    }
    interrupted = true;
    screen.err('\nopenssh-mux: interrupted, closing connections...\n');
    ac.abort();
  };
  const signals = io.signals ?? process;
  signals.on('SIGINT', onSigint);

  try {
    let job: FleetJob<unknown>;
    try {
      let fleet = new Fleet(c.hosts, { defaults: connectionDefaults(c), connections: c.parallel, concurrency: c.parallel, expandVars: c.expand });
      if (c.select !== undefined) fleet = fleet.select(c.select);
      const run: FleetRunOptions = {
        signal: ac.signal,
        retries: c.retries,
        onError: c.abortOnError ? 'abort-all' : 'continue',
        onProgress: (e) => screen.update(e.counts),
        ...(c.timeout !== undefined ? { timeout: c.timeout } : {}),
        ...(c.batch !== undefined ? { batch: c.batch } : {}),
        ...(c.maxFailures !== undefined ? { maxFailures: c.maxFailures } : {}),
      };
      job = start(c, fleet, run, screen, paint, paintErr);
    } catch (err) {
      if (err instanceof TypeError) {
        screen.stop();
        io.stderr.write(`openssh-mux: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const outcomes: HostOutcome[] = [];
    for await (const r of job) {
      const o = outcomeOf(r);
      outcomes.push(o);
      emit(screen, o, c.output, c.outDir, paint, paintErr);
    }
    const report = await job;
    screen.stop();
    const allOk = report.summary.ok === report.summary.total;
    if (!(c.quiet && allOk)) {
      const byIndex = report.results.map((r) => outcomes.find((o) => o.label === r.label)!);
      io.stderr.write(summaryText(report, byIndex, paintErr));
    }
    return interrupted ? 130 : allOk ? 0 : 1;
  } finally {
    screen.stop();
    signals.off('SIGINT', onSigint);
  }
}
