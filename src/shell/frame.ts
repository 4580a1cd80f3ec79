import { randomBytes } from 'node:crypto';

/**
 * The text sent to a session shell for each command (pure). A frame is one shell list,
 * written to the shell's stdin and parsed whole before any of it runs. The common case (no
 * stdinData, cwd, env or stream option) is two calls of functions the bootstrap defined:
 *
 * ```sh
 * __osmux_c='<cmd>';__osmux_x;__osmux_e <m>
 * ```
 *
 * - `__osmux_x` runs the command with fd 0 from `/dev/null` (fd 9), fd 1 and 2 on fd 7 and 8
 *   (copies of the channel's stdout and stderr, opened once by the bootstrap) and keeps its
 *   status; `__osmux_e` prints the end tokens, `<m>:E<status>\n` on stdout and `<m>:E\n` on
 *   stderr. Other frames spell the redirections out: `{ __osmux_run\n} <in >out 2>err`.
 * - A frame has no begin token: the output of a command is what arrives between the moment
 *   its frame is sent and its end token (before that, with no command running, output is
 *   stray and dropped). Only the session's first frame (`begin: true`) also prints the begin
 *   tokens `<m>:B` first (`__osmux_p <m>`), to separate a login shell's noise from it.
 * - The command's fd 0, 1 and 2 are redirected for its own duration only, so `exec >file`
 *   inside it is undone afterwards and the markers, printed on the shell's own fd 1 and 2,
 *   always reach the channel. (A command that closes fd 7, 8 or 9 with `exec` breaks the
 *   session: every later command fails with "Bad file descriptor".)
 * - The command is one single-quoted word, which the bootstrap's `__osmux_run` function hands
 *   to `command eval`: whatever it contains (quotes, newlines, a syntax error, text that
 *   looks like a frame), the shell's parser reads exactly that word, so the framing input
 *   cannot be forged; `command eval` keeps a syntax error from ending the shell. Running in
 *   a function lets a USR1 trap `return` from the command (timeouts, aborts).
 * - stdin is `/dev/null` (fd 9), or a file holding `stdinData` in the session's private
 *   directory: the command never reads the session's own input.
 * - `<m>` is 16 crypto-random bytes (22 characters of `[A-Za-z0-9._]`), new for every
 *   command. It is only ever the argument of `__osmux_p` and `__osmux_e`, which run no code
 *   of the caller's and run after the command: never in a variable, the environment or an
 *   argv while the command runs.
 */

/** Crypto-random bytes drawn in batches: one `randomBytes()` call per 256 markers. */
let pool = Buffer.alloc(0);
let used = 0;

/**
 * A per-command marker: 16 crypto-random bytes as 22 characters of `[A-Za-z0-9._]` (base64
 * with `.` and `_` for `+` and `/`: shell-safe unquoted, printf-safe), never reused.
 */
export function newMarker(): string {
  if (used + 16 > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  const marker = pool.toString('base64', used, used + 16).slice(0, 22).replaceAll('+', '.').replaceAll('/', '_');
  // Wipe what was handed out, so no later reader of the pool can see a past marker.
  pool.fill(0, used, used + 16);
  used += 16;
  return marker;
}

/** `word` in POSIX single quotes (`'` written as `'\''`): every byte but NUL is literal. */
export function singleQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The bytes that stay as they are in a printf format: printable ASCII but `%`, `\`, `'`
 * and `-` (a format starting with `-` would be taken for an option).
 */
function plain(b: number): boolean {
  return b >= 0x20 && b <= 0x7e && b !== 0x25 && b !== 0x5c && b !== 0x27 && b !== 0x2d;
}

/**
 * A printf format (in single quotes) that prints exactly `data`: every byte that is not
 * plain ASCII becomes a 3-digit octal escape `\ooo`, which POSIX printf reads as one byte
 * (NUL included).
 */
export function printfFormat(data: Buffer): string {
  let out = '';
  let run = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (plain(b)) {
      run++;
      continue;
    }
    if (run) out += data.toString('latin1', i - run, i);
    run = 0;
    out += `\\${b.toString(8).padStart(3, '0')}`;
  }
  if (run) out += data.toString('latin1', data.length - run, data.length);
  return `'${out}'`;
}

/** The largest stdinData piece one printf call gets (the shell holds it in memory). */
const PRINTF_PIECE = 64 * 1024;

/** How the command's streams are redirected inside the frame. */
export interface FrameStreams {
  /** stdinData to deliver, or undefined: stdin is /dev/null. */
  stdin?: Buffer | undefined;
  stdoutDiscard?: boolean;
  stderrDiscard?: boolean;
  stderrToStdout?: boolean;
}

/** What a frame runs: the command, and the per-call directory and environment. */
export interface FrameSpec extends FrameStreams {
  /** The marker for this command ({@link newMarker}). */
  marker: string;
  /** Print the begin tokens first (the session's first frame). */
  begin?: boolean;
  /** The remote command text, as the caller's `Command` was turned into a string. */
  command: string;
  /** Per-call working directory: the command runs in a subshell. */
  cwd?: string | undefined;
  /** Per-call environment: the command runs in a subshell with these exported. */
  env?: Readonly<Record<string, string>> | undefined;
}

/** The begin and end tokens of a marker, as the shell prints them. */
export function tokens(marker: string): { begin: string; end: string } {
  return { begin: `${marker}:B`, end: `${marker}:E` };
}

/** Name of the session's private directory variable (set by the bootstrap). */
const DIR = '__osmux_d';

/** Build the frame for one command (pure: the marker is given). */
export function buildFrame(spec: FrameSpec): string {
  const m = spec.marker;
  const cmd = singleQuote(spec.command);
  const begin = spec.begin ? `__osmux_p ${m};` : '';
  const plain = spec.cwd === undefined && spec.env === undefined && spec.stdin === undefined && !spec.stderrToStdout;
  // The common frames: the redirections are in the bootstrap's functions.
  if (plain && !spec.stdoutDiscard && !spec.stderrDiscard) return `${begin}__osmux_c=${cmd};__osmux_x;__osmux_e ${m}\n`;
  if (plain && spec.stdoutDiscard && spec.stderrDiscard) return `${begin}__osmux_c=${cmd};__osmux_q;__osmux_e ${m}\n`;
  let body = RUN;
  if (spec.cwd !== undefined || spec.env !== undefined) {
    const parts: string[] = [];
    if (spec.cwd !== undefined) parts.push(`cd -- ${singleQuote(spec.cwd)} || exit`);
    for (const [k, v] of Object.entries(spec.env ?? {})) parts.push(`${k}=${singleQuote(v)}`, `export ${k}`);
    // A subshell: the directory and variables end with the command.
    body = `(${parts.join(';')};${RUN})`;
  }
  let pre = '';
  let post = '';
  let input = '<&9';
  if (spec.stdin !== undefined) {
    const file = `"$${DIR}/in.${m}"`;
    const pieces: string[] = [];
    for (let i = 0; i < spec.stdin.length; i += PRINTF_PIECE) pieces.push(`printf ${printfFormat(spec.stdin.subarray(i, i + PRINTF_PIECE))}`);
    // An empty stdinData still makes an empty file (EOF at once).
    pre = `{ ${pieces.join(';')}${pieces.length ? ';' : ':;'} } >${file};`;
    input = `<${file}`;
    post = `;rm -f ${file}`;
  }
  const out = spec.stdoutDiscard ? '>&9' : '>&7';
  const err = spec.stderrToStdout ? '2>&1' : spec.stderrDiscard ? '2>&9' : '2>&8';
  return `${begin}${pre}__osmux_c=${cmd};{ ${body}\n} ${input} ${out} ${err};__osmux_s=$?;__osmux_in=;__osmux_c=${post};__osmux_e ${m}\n`;
}

/** How a frame runs the command: the session's function around `eval`. */
const RUN = '__osmux_run';

/**
 * The script the session shell reads first: save the channel's stdout and stderr as fd 7
 * and 8 and open `/dev/null` as fd 9 (the frames' redirection sources and discards: a dup is
 * cheaper than an open), define the functions frames call and the USR1 trap, and make the
 * private directory for stdinData files (mode 700, removed on exit).
 */
export function bootstrapScript(): string {
  return [
    'exec 7>&1 8>&2 9<>/dev/null',
    // A private directory: only this user reads the stdinData files.
    `${DIR}="\${TMPDIR:-/tmp}/osmux-shell.$$.${newMarker().slice(0, 12).replace(/[._]/g, 'x')}"`,
    `mkdir -m 700 "$${DIR}" || exit 125`,
    `trap 'rm -rf "$${DIR}"' EXIT`,
    // The command runs inside this function; a USR1 from the library (timeout, abort) makes
    // the shell return from it at the next command boundary instead of going on.
    `${RUN}() { __osmux_in=1; command eval "$__osmux_c"; }`,
    `__osmux_x() { { ${RUN}; } <&9 >&7 2>&8; __osmux_s=$?; __osmux_in=; __osmux_c=; }`,
    `__osmux_q() { { ${RUN}; } <&9 >&9 2>&9; __osmux_s=$?; __osmux_in=; __osmux_c=; }`,
    // The markers only ever are the argument of these two, which run no command's code.
    "__osmux_p() { printf %s \"$1:B\"; printf %s \"$1:B\" >&2; }",
    "__osmux_e() { printf '%s:E%d\\n' \"$1\" \"$__osmux_s\"; printf '%s:E\\n' \"$1\" >&2; }",
    "trap 'if [ -n \"$__osmux_in\" ]; then __osmux_in=; return 130; fi' USR1",
    "trap 'exit 129' HUP",
    "trap 'exit 143' TERM",
    // The channel gone (the master killed, the connection lost), the next end marker gets
    // SIGPIPE: exit through the EXIT trap, which removes the directory (a SIGPIPE death left
    // it behind). Caught, not ignored: the commands still get the default SIGPIPE.
    "trap 'exit 141' PIPE",
    '',
  ].join('\n');
}

/**
 * One-line POSIX sh script (run as `sh -c SCRIPT sh ROOT`) that interrupts the command a
 * session shell ROOT runs: a USR1 to ROOT (its trap returns from the command at the next
 * command boundary), then every descendant of ROOT (not ROOT itself) stopped and killed. Descendants are found from `ps -A -o pid= -o ppid=`; each pass stops what it
 * finds (so it cannot fork further), three passes catch children forked meanwhile, then all
 * get SIGKILL. Prints how many it killed.
 */
export const KILL_TREE_SCRIPT =
  'r=$1;kill -USR1 "$r" 2>/dev/null;all=;' +
  'i=0;while [ $i -lt 3 ];do i=$((i+1));' +
  `t=$(ps -A -o pid= -o ppid= | awk -v r="$r" '{p[$1]=$2} END{for(k in p){q=k;n=0;while((q in p)&&q!=r&&n<4096){q=p[q];n++}if(q==r&&k!=r)print k}}');` +
  '[ -z "$t" ]&&break;kill -STOP $t 2>/dev/null;all="$all $t";done;' +
  '[ -z "$all" ]||kill -KILL $all 2>/dev/null;set -- $all;echo $#';

/**
 * One-line POSIX sh script (run as `sh -c SCRIPT sh SID [KEEP...]`) that kills, with
 * SIGKILL, every process of session SID but the KEEP pids and itself: what a closing session
 * leaves behind (background jobs, also those whose parent is gone). The session shell's
 * parent (the login shell, when it did not exec) is kept so that it reaps the shell: a shell
 * orphaned to an init that does not reap would stay a zombie. Prints how many it killed.
 */
export const KILL_SESSION_SCRIPT =
  's=$1;shift;[ -n "$s" ]||{ echo 0;exit 0;};' +
  `t=$(ps -A -o pid= -o sid= | awk -v s="$s" -v keep=" $* " -v me=$$ '$2==s&&$1!=me&&index(keep," "$1" ")==0{print $1}');` +
  '[ -z "$t" ]||kill -KILL $t 2>/dev/null;set -- $t;echo $#';

/** The command of the first frame: the shell's pid, its parent's, its session id and its private directory, one a line. */
export const HELLO_COMMAND = 'printf \'%s\\n%s\\n%s\\n%s\' "$$" "$PPID" "$(ps -o sid= -p $$ 2>/dev/null)" "$__osmux_d"';

/** The last frame's command: kill what the session leaves behind, then end the shell. */
export function goodbyeCommand(sid: string): string {
  return `/bin/sh -c ${singleQuote(KILL_SESSION_SCRIPT)} sh ${singleQuote(sid)} $$ $PPID >/dev/null 2>&1;exit 0`;
}
