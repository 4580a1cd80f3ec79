/**
 * Run raw Windows command lines under Wine, many per Wine start.
 *
 * `startWine()` compiles test/windows/argv.c and launcher.c with mingw-w64 into a new temp
 * dir, which also holds a new WINEPREFIX. `run(lines)` writes the command lines to a file
 * (hex of UTF-16 code units, one per line), has launcher.exe start each with CreateProcessW
 * exactly as given, and parses what each child wrote. `stop()` kills this prefix's
 * wineserver (and with it every Wine process of the prefix), checks that none is left and
 * removes the temp dir.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const SRC = dirname(fileURLToPath(import.meta.url));

function inPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The Wine and mingw-w64 programs, or undefined for each one missing. */
export function findTools(): { wine?: string; wineserver?: string; gcc?: string } {
  // Debian's wine64 package puts its binaries in /usr/lib/wine (the `wine` package adds /usr/bin wrappers).
  const wine = process.env.WINE ?? inPath('wine64') ?? (existsSync('/usr/lib/wine/wine64') ? '/usr/lib/wine/wine64' : undefined) ?? inPath('wine');
  const wineserver = inPath('wineserver') ?? (existsSync('/usr/lib/wine/wineserver') ? '/usr/lib/wine/wineserver' : undefined);
  const gcc = ['x86_64-w64-mingw32-gcc', 'x86_64-w64-mingw32-gcc-win32', 'x86_64-w64-mingw32-gcc-posix'].map(inPath).find(Boolean);
  return { wine, wineserver, gcc };
}

/** Windows' ERROR_INTERNAL_ERROR: a CreateProcessW failure inside Wine itself. */
const ERROR_INTERNAL_ERROR = 1359;

/** What one command line did. */
export interface LaunchResult {
  /** The command line as given to CreateProcessW. */
  line: string;
  /** The exit code; 4294967295 when CreateProcessW failed. */
  exitCode: number;
  /** GetLastError() when CreateProcessW failed, else 0. */
  createError: number;
  /** The raw command line argv.exe received (GetCommandLineW), if argv.exe ran. */
  commandLine: string | undefined;
  /** argv as the C runtime parsed it for wmain. */
  crtArgv: string[];
  /** argv as CommandLineToArgvW parsed it. */
  shellArgv: string[];
  /** Any other output (cmd.exe's error messages). */
  other: string[];
}

/** The hex of a string's UTF-16 code units, 4 digits per unit. */
function toHex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(4, '0');
  return out;
}

function fromHex(h: string): string {
  let out = '';
  for (let i = 0; i + 4 <= h.length; i += 4) out += String.fromCharCode(parseInt(h.slice(i, i + 4), 16));
  return out;
}

function parseResults(buf: Buffer, lines: readonly string[]): LaunchResult[] {
  const results: LaunchResult[] = [];
  let p = 0;
  while (p < buf.length) {
    const nl = buf.indexOf(10, p);
    const head = buf.subarray(p, nl).toString('latin1').split(' ');
    if (nl < 0 || head[0] !== 'R') throw new Error(`launcher.exe output is garbled at byte ${p}`);
    const [index, code, err, n] = head.slice(1).map(Number) as [number, number, number, number];
    const data = buf.subarray(nl + 1, nl + 1 + n).toString('latin1');
    p = nl + 1 + n;
    const r: LaunchResult = { line: lines[index]!, exitCode: code, createError: err, commandLine: undefined, crtArgv: [], shellArgv: [], other: [] };
    for (const l of data.split(/\r?\n/)) {
      const m = /^([LAC]) ([0-9a-f]*)$/.exec(l);
      if (!m) {
        if (l !== '') r.other.push(l);
      } else if (m[1] === 'L') r.commandLine = fromHex(m[2]!);
      else (m[1] === 'A' ? r.crtArgv : r.shellArgv).push(fromHex(m[2]!));
    }
    results.push(r);
  }
  if (results.length !== lines.length) throw new Error(`launcher.exe reported ${results.length} of ${lines.length} command lines`);
  return results;
}

/** Wine's Windows path for a Linux path (drive Z: is the Linux root). */
export function winPath(path: string): string {
  return `Z:${path.replace(/\//g, '\\')}`;
}

export interface Wine {
  /** The temp dir: argv.exe and launcher.exe, the prefix, the batch files. */
  readonly dir: string;
  /** Windows path of argv.exe. */
  readonly argvExe: string;
  /** Milliseconds spent compiling, and creating the prefix (the first Wine start). */
  readonly timings: { buildMs: number; prefixMs: number };
  /**
   * Copy argv.exe to `relative` under the directory the command lines run in (so it can also be
   * started by that relative name); returns its Windows path.
   */
  copyArgv(relative: string): string;
  /** Run command lines, in order, in one launcher.exe; several run() calls may overlap. */
  run(lines: readonly string[]): Promise<LaunchResult[]>;
  /** Kill the prefix's wineserver, check no Wine process is left, remove the temp dir. */
  stop(): Promise<void>;
}

/** Processes whose environment names this WINEPREFIX (every Wine process of the prefix). */
function prefixProcesses(prefix: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (env.includes(`WINEPREFIX=${prefix}`)) found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/**
 * wineserver keeps its socket in `/tmp/wine-XXXXXX/server-<dev>-<inode of the prefix>` (or
 * `/tmp/.wine-<uid>/...`), outside the prefix, and leaves it behind after `wineserver -k`.
 * Remove the one of our prefix, and its parent if that empties it.
 */
function removeServerDir(prefix: string): void {
  const st = statSync(prefix, { throwIfNoEntry: false });
  if (!st) return;
  const name = `server-${st.dev.toString(16)}-${st.ino.toString(16)}`;
  for (const parent of readdirSync('/tmp').filter((d) => /^\.?wine-/.test(d)).map((d) => join('/tmp', d))) {
    const server = join(parent, name);
    if (!existsSync(server)) continue;
    rmSync(server, { recursive: true, force: true });
    try {
      if (readdirSync(parent).length === 0) rmSync(parent, { recursive: true, force: true });
    } catch {
      // another prefix's server still uses it, or it is already gone
    }
  }
}

export async function startWine(): Promise<Wine> {
  const { wine, wineserver, gcc } = findTools();
  if (!wine || !wineserver || !gcc) throw new Error(`Wine or mingw-w64 is missing (wine: ${wine}, wineserver: ${wineserver}, gcc: ${gcc})`);
  const dir = mkdtempSync(join(tmpdir(), 'osmux-wine-'));
  const prefix = join(dir, 'prefix');
  const bin = join(dir, 'bin');
  const progs = join(dir, 'progs');
  mkdirSync(bin);
  mkdirSync(progs);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? dir,
    LANG: 'C.UTF-8',
    WINEPREFIX: prefix,
    WINEDEBUG: '-all',
    // No Mono or Gecko: nothing here needs them, and asking for them slows the first start.
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      if (existsSync(prefix)) execFileSync(wineserver, ['-k'], { env, stdio: 'ignore' });
    } catch {
      // no wineserver running for this prefix
    }
    let left = prefixProcesses(prefix);
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = prefixProcesses(prefix);
    }
    removeServerDir(prefix);
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`Wine processes left running after wineserver -k:\n${left.join('\n')}`);
  };
  try {
    let t = Date.now();
    const cc = (name: string, libs: string[]) =>
      execFileSync(gcc, ['-municode', '-O2', '-Wall', '-Werror', '-o', join(bin, `${name}.exe`), join(SRC, `${name}.c`), ...libs], { stdio: 'pipe' });
    cc('argv', ['-lshell32']);
    cc('launcher', []);
    const buildMs = Date.now() - t;

    let batch = 0;
    const runOnce = async (lines: readonly string[]): Promise<LaunchResult[]> => {
      const id = batch++;
      const input = join(dir, `in-${id}.txt`);
      const output = join(dir, `out-${id}.txt`);
      writeFileSync(input, lines.map(toHex).join('\n') + '\n');
      // The current directory is progs/, where copyArgv() puts programs to find by a relative name.
      await execFileAsync(wine, [join(bin, 'launcher.exe'), winPath(input), winPath(output)], { env, cwd: progs, maxBuffer: 64 << 20 });
      return parseResults(readFileSync(output), lines);
    };
    // Under load, Wine's CreateProcessW now and then fails with ERROR_INTERNAL_ERROR (seen
    // once in about 1,400 lines on a busy machine; the same line passed when replayed). That
    // says nothing about the command line, so such lines get one more try.
    const run = async (lines: readonly string[]): Promise<LaunchResult[]> => {
      const results = await runOnce(lines);
      const again = results.flatMap((r, i) => (r.createError === ERROR_INTERNAL_ERROR ? [i] : []));
      if (again.length > 0) (await runOnce(again.map((i) => lines[i]!))).forEach((r, k) => (results[again[k]!] = r));
      return results;
    };
    // The first start creates the prefix.
    t = Date.now();
    const first = await run([`"${winPath(join(bin, 'argv.exe'))}" ready`]);
    const prefixMs = Date.now() - t;
    if (first[0]!.crtArgv[1] !== 'ready') throw new Error(`argv.exe does not run under Wine: ${JSON.stringify(first[0])}`);

    return {
      dir,
      argvExe: winPath(join(bin, 'argv.exe')),
      timings: { buildMs, prefixMs },
      copyArgv(relative: string) {
        const target = join(progs, relative);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, readFileSync(join(bin, 'argv.exe')));
        return winPath(target);
      },
      run,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
