import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from './duration.js';
import { parseHostsFile, parseHostWord, type CliHost } from './hosts-file.js';
import { parseShard, shardOf } from './shard.js';
import { sshOptionWords } from './ssh-options.js';
import { UsageError } from './usage.js';

/** What the command line asks for, checked. */
export interface CliConfig {
  mode: 'run' | 'put' | 'get' | 'help' | 'version';
  hosts: CliHost[];
  select: string | undefined;
  /** The command (run), or the paths (put/get). */
  words: string[];
  user: string | undefined;
  port: number | undefined;
  identity: string | undefined;
  sshConfig: string | undefined;
  sshOptions: string[];
  hostKeyPolicy: 'strict' | 'tofu' | 'ask' | 'advisory' | undefined;
  connectTimeout: number | undefined;
  ctlDir: string | undefined;
  parallel: number;
  timeout: number | undefined;
  retries: number;
  batch: number | `${number}%` | undefined;
  maxFailures: number | undefined;
  abortOnError: boolean;
  expand: boolean;
  rsync: boolean;
  recursive: boolean;
  output: 'grouped' | 'stream' | 'json';
  outDir: string | undefined;
  quiet: boolean;
  /** `-v`: each command and its outcome on stderr; `-vv`: also its output (src/verbose). */
  verbose: 'short' | 'full' | undefined;
}

const OPTIONS = {
  host: { type: 'string', short: 'H', multiple: true },
  'hosts-file': { type: 'string', short: 'f', multiple: true },
  select: { type: 'string' },
  shard: { type: 'string' },
  user: { type: 'string', short: 'u' },
  port: { type: 'string' },
  identity: { type: 'string', short: 'i' },
  'ssh-config': { type: 'string', short: 'F' },
  option: { type: 'string', short: 'o', multiple: true },
  'host-key-policy': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'ctl-dir': { type: 'string' },
  parallel: { type: 'string', short: 'p' },
  timeout: { type: 'string', short: 't' },
  retries: { type: 'string' },
  batch: { type: 'string' },
  'max-failures': { type: 'string' },
  'abort-on-error': { type: 'boolean' },
  expand: { type: 'boolean' },
  'no-expand': { type: 'boolean' },
  rsync: { type: 'boolean' },
  recursive: { type: 'boolean', short: 'r' },
  stream: { type: 'boolean' },
  json: { type: 'boolean' },
  'out-dir': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

function int(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${flag} takes a whole number >= ${min}, received ${JSON.stringify(text)}`);
  return Number(text);
}

/** Turn parseArgs' own errors into usage errors that name the flag. */
function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = (err as Error).message;
    const flag = /'(-[^']*)'/.exec(msg)?.[1];
    const code = (err as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) throw new UsageError(`unknown flag ${flag} (see --help)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
      const name = flag.split(/[ ,]/)[0];
      if (/ambiguous/.test(msg)) throw new UsageError(`flag ${name} needs a value (a value starting with '-' is written ${name}=-VALUE)`);
      throw new UsageError(`flag ${name} ${/argument missing/.test(msg) ? 'needs a value' : 'takes no value'}`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(msg);
    throw new UsageError(msg);
  }
}

/** Parse and check the command line (`argv` without node and the script). */
export function parseCli(argv: string[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): CliConfig {
  const { values: v, positionals } = parse(argv);
  const mode = v.help ? 'help' : v.version ? 'version' : positionals[0];
  if (mode === 'help' || mode === 'version') return { mode } as CliConfig;
  if (mode === undefined) throw new UsageError('missing the command: run, put or get (see --help)');
  if (mode !== 'run' && mode !== 'put' && mode !== 'get') throw new UsageError(`unknown command ${JSON.stringify(mode)}: expected run, put or get (see --help)`);
  const words = positionals.slice(1);

  let hosts: CliHost[] = (v.host ?? []).map((h) => parseHostWord(h, '-H'));
  for (const file of v['hosts-file'] ?? []) {
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      throw new UsageError(`-f ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    hosts.push(...parseHostsFile(text, file));
  }
  if (hosts.length === 0) throw new UsageError('no hosts: give -H host or -f hosts-file');
  if (v.shard !== undefined) {
    const { index, count } = parseShard(v.shard);
    hosts = shardOf(hosts, index, count);
  }

  if (mode === 'run' && words.length === 0) throw new UsageError('run needs a command after --');
  if (mode !== 'run' && words.length < 2) throw new UsageError(`${mode} needs at least a source and a target after --`);
  if (v.json && v.stream) throw new UsageError('--json and --stream cannot be used together');
  if (v.expand && v['no-expand']) throw new UsageError('--expand and --no-expand cannot be used together');
  if (mode === 'run' && (v.rsync || v.recursive)) throw new UsageError(`${v.rsync ? '--rsync' : '-r'} is for put and get`);
  if (mode !== 'run' && v.stream) throw new UsageError('--stream is for run');

  const policy = v['host-key-policy'];
  if (policy !== undefined && !['strict', 'tofu', 'ask', 'advisory'].includes(policy)) {
    throw new UsageError(`--host-key-policy takes strict, tofu, ask or advisory, received ${JSON.stringify(policy)}`);
  }
  const batchText = v.batch;
  if (batchText !== undefined && !/^\d+%?$/.test(batchText)) throw new UsageError(`--batch takes a number of hosts or a percentage (e.g. 25%), received ${JSON.stringify(batchText)}`);
  const batch = batchText === undefined ? undefined : batchText.endsWith('%') ? (batchText as `${number}%`) : Number(batchText);
  if (batch === 0 || batch === '0%') throw new UsageError('--batch cannot be 0');
  const port = int('--port', v.port, 1);
  if (port !== undefined && port > 65535) throw new UsageError(`--port takes 1 to 65535, received ${port}`);

  return {
    mode,
    hosts,
    select: v.select,
    words,
    user: v.user,
    port,
    identity: v.identity,
    sshConfig: v['ssh-config'],
    sshOptions: sshOptionWords(v.option ?? []),
    hostKeyPolicy: policy as CliConfig['hostKeyPolicy'],
    connectTimeout: v['connect-timeout'] === undefined ? undefined : parseDuration('--connect-timeout', v['connect-timeout']),
    ctlDir: v['ctl-dir'],
    parallel: int('-p', v.parallel, 1) ?? 10,
    timeout: v.timeout === undefined ? undefined : parseDuration('-t', v.timeout),
    retries: int('--retries', v.retries, 0) ?? 0,
    batch,
    maxFailures: int('--max-failures', v['max-failures'], 0),
    abortOnError: v['abort-on-error'] ?? false,
    expand: mode === 'run' ? (v.expand ?? false) : !v['no-expand'],
    rsync: v.rsync ?? false,
    recursive: v.recursive ?? false,
    output: v.json ? 'json' : v.stream ? 'stream' : 'grouped',
    outDir: v['out-dir'],
    quiet: v.quiet ?? false,
    verbose: v.verbose === undefined ? undefined : v.verbose.length >= 2 ? 'full' : 'short',
  };
}
