import { buildConfigQueryArgv, type MasterArgvOptions } from '../argv/master.js';
import { parseSshG, type SshConfiguration } from '../auth/ssh-config.js';
import { CommandError } from '../errors/index.js';
import { debug } from '../log.js';
import type { Engine } from '../run/engine.js';

/** How long `ssh -G` may take (it only reads configuration files). */
const CONFIG_QUERY_MS = 10_000;

/**
 * Run `ssh -G` with the options the master gets and parse what it prints: the effective
 * client configuration for the target. Rejects with a CommandError (argv, exit code, stderr)
 * when ssh refuses the options or the configuration.
 */
export async function queryConfiguration(engine: Engine, o: MasterArgvOptions, host: string): Promise<SshConfiguration> {
  const argv = buildConfigQueryArgv(o);
  const proc = engine.spawn({ file: argv[0]!, args: argv.slice(1), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout?.on('data', (c: Buffer) => out.push(c));
  proc.stderr?.on('data', (c: Buffer) => err.push(c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, CONFIG_QUERY_MS);
  const exit = await proc.exited;
  clearTimeout(timer);
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8') + (exit.error ? exit.error.message : '');
  debug('config query %j exited %s', argv, exit.exitCode ?? exit.signal);
  if (exit.exitCode !== 0) {
    const how = timedOut ? `did not finish within ${CONFIG_QUERY_MS} ms` : exit.error ? `could not be started (${exit.error.message})` : `exited with ${exit.exitCode ?? exit.signal}`;
    throw new CommandError(`ssh -G (the effective configuration for ${host}) ${how}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, {
      host,
      argv,
      exitCode: exit.exitCode ?? undefined,
      signal: exit.signal ?? undefined,
      stdout,
      stderr,
      cause: exit.error,
    });
  }
  return parseSshG(stdout);
}
