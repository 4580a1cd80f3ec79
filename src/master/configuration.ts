import { buildConfigQueryArgv, type MasterArgvOptions } from '../argv/master.js';
import { parseSshG, type SshConfiguration } from '../auth/ssh-config.js';
import { CommandError } from '../errors/index.js';
import { debug } from '../log.js';
import { runBounded } from './run-bounded.js';
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
  const run = await runBounded(engine, argv, CONFIG_QUERY_MS);
  const { exit, stdout, timedOut } = run;
  const stderr = run.stderr + (exit.error ? exit.error.message : '');
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
