import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { killQuietly, registerCleanup, unregisterCleanup, type Cleanup } from '../master/cleanup.js';

const run = promisify(execFile);

/** A login account on the throwaway server. */
export interface TestUser {
  name: string;
  /** Its login shell. */
  shell: string;
  /**
   * A password for password and keyboard-interactive logins (root only). An account with a
   * password is deleted again by `stop()` (or when the process exits), so that no account
   * with a known password outlives the test; pick a name no other server uses.
   */
  password?: string;
}

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /**
   * Accounts to log in as. As root, each is created if missing (`useradd`, key-only, home in
   * /var/lib/openssh-mux-test/<name>, no start-up files). Not as root, only the current user
   * can log in, and this must be left out. Default: `[{ name: 'osmux', shell: '/bin/sh' }]`.
   */
  users?: TestUser[];
  /** `MaxSessions` of the server (default 10, OpenSSH's). */
  maxSessions?: number;
  /**
   * Extra sshd_config lines. sshd keeps the first value of most keywords, so these cannot
   * override the built-in ones, except `SetEnv`: the server sets `LANG=C.UTF-8` for its
   * sessions (sshd passes no locale of its own) unless these lines have a `SetEnv` of their
   * own, which then replaces it (include `LANG=C.UTF-8` in it to keep the locale).
   */
  config?: string[];
  /** The sshd program (default /usr/sbin/sshd). */
  sshdCmd?: string;
  /** `PasswordAuthentication yes` (default no: key-only). */
  passwordAuthentication?: boolean;
  /**
   * `UsePAM yes` and `KbdInteractiveAuthentication yes`: keyboard-interactive logins through
   * the system's PAM `sshd` service (pam_unix asks `Password:`). Default false.
   */
  pam?: boolean;
  /** Text sent to clients before authentication (sshd's `Banner`), written to a file in the temp dir. */
  banner?: string;
}

/** A running throwaway sshd on 127.0.0.1, and everything a client needs to reach it. */
export interface TestServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly pid: number;
  /** The accounts that can log in. The first is the default. */
  readonly users: readonly TestUser[];
  /** The temp directory holding keys, config and logs (removed by stop()). */
  readonly dir: string;
  /** The client's private key. */
  readonly keyPath: string;
  /** A known_hosts file holding the server's host key. */
  readonly knownHostsPath: string;
  /** The server's public host key line (`ssh-ed25519 AAAA...`). */
  readonly hostKey: string;
  /** A private directory for ControlPath sockets (inside `dir`). */
  readonly ctlDir: string;
  /** sshd's log file (LogLevel VERBOSE): one `Failed password` line per failed attempt. */
  readonly logPath: string;
  /** Client options that trust exactly this server's key and ignore the user's ssh config. */
  readonly clientOpts: readonly string[];
  /** `user@127.0.0.1:port`. */
  target(user?: string): string;
  /** `OpenSSH` options to connect to this server (known host, key, private ctlDir). */
  connectOptions(): {
    keyPath: string;
    masterOpts: string[];
    ctlDir: string;
  };
  /** sshd's log so far. */
  log(): string;
  /** Stop sshd and whatever its sessions left, and remove the temp directory. */
  stop(): Promise<void>;
}

const isRoot = () => process.geteuid?.() === 0;
const HOME_ROOT = '/var/lib/openssh-mux-test';

/** If this process ends without stop(), still kill the listener and remove the temp dir. */
function killOnExit(child: ChildProcess, dir: string): Cleanup {
  return registerCleanup({
    run: () => {
      killQuietly(-child.pid!, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** pids of every process below `root` (not `root` itself). */
async function descendants(root: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const line of stdout.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const todo = [...(children.get(root) ?? [])];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Delete an account made for a server with a password (root only, best effort, synchronous). */
function deleteUserSync(name: string): void {
  try {
    // -f: even while a session of that user is still ending (its sshd is not in our process group).
    execFileSync('userdel', ['-f', name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  rmSync(join(HOME_ROOT, name), { recursive: true, force: true });
}

/**
 * Create an account with an empty home, if it does not exist yet (root only): key-only, or
 * with `user.password` set through chpasswd's stdin (never on a command line).
 */
async function ensureUser(user: TestUser): Promise<void> {
  const home = join(HOME_ROOT, user.name);
  mkdirSync(HOME_ROOT, { recursive: true, mode: 0o755 });
  try {
    await run('id', ['-u', user.name]);
    await run('usermod', ['-s', user.shell, '-d', home, user.name]);
  } catch {
    await run('useradd', ['-M', '-d', home, '-s', user.shell, user.name]);
  }
  // A locked account ('!') cannot log in even with keys when UsePAM is off.
  await run('usermod', ['-p', '*', user.name]);
  if (user.password !== undefined) execFileSync('chpasswd', [], { input: `${user.name}:${user.password}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  if (!existsSync(home)) mkdirSync(home, { mode: 0o755 });
  const { stdout } = await run('id', ['-u', user.name]);
  const { stdout: gid } = await run('id', ['-g', user.name]);
  chownSync(home, Number(stdout.trim()), Number(gid.trim()));
}

/**
 * Start a throwaway OpenSSH server on 127.0.0.1 (a free port, host and client keys generated
 * in a temp dir, no system ssh configuration read or touched), for tests and demos.
 */
export async function startSshd(options: SshdOptions = {}): Promise<TestServer> {
  const root = isRoot();
  const users = options.users ?? (root ? [{ name: 'osmux', shell: '/bin/sh' }] : [{ name: userInfo().username, shell: userInfo().shell ?? '/bin/sh' }]);
  if (!root && users.some((u) => u.name !== userInfo().username)) {
    throw new Error('startSshd: only root can create test users; leave the users option out');
  }
  if (!root && users.some((u) => u.password !== undefined)) {
    throw new Error('startSshd: only root can give test users a password');
  }
  // Accounts with a password never outlive the server (nor this process).
  const withPassword = users.filter((u) => u.password !== undefined).map((u) => u.name);
  const dropUsers = () => withPassword.forEach(deleteUserSync);
  const userCleanup = withPassword.length > 0 ? registerCleanup({ run: dropUsers }) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'openssh-mux-sshd-'));
  try {
    if (root) {
      for (const u of users) await ensureUser(u);
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    }
    chmodSync(dir, 0o755); // sshd reads authorized keys as the target user
    const hostKeyPath = join(dir, 'host_ed25519');
    const keyPath = join(dir, 'client_ed25519');
    await Promise.all([
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'openssh-mux test host', '-f', hostKeyPath]),
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'openssh-mux test client', '-f', keyPath]),
    ]);
    const keysDir = join(dir, 'authorized_keys');
    mkdirSync(keysDir, { mode: 0o755 });
    const pub = readFileSync(`${keyPath}.pub`, 'utf8');
    for (const u of users) writeFileSync(join(keysDir, u.name), pub, { mode: 0o644 });
    const hostKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const ctlDir = join(dir, 'ctl');
    mkdirSync(ctlDir, { mode: 0o700 });
    const sshdCmd = options.sshdCmd ?? '/usr/sbin/sshd';
    const bannerPath = join(dir, 'banner');
    if (options.banner !== undefined) writeFileSync(bannerPath, options.banner, { mode: 0o644 });
    const hasSetEnv = (options.config ?? []).some((line) => /^\s*SetEnv\b/i.test(line));

    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const configPath = join(dir, 'sshd_config');
      writeFileSync(
        configPath,
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${hostKeyPath}`,
          `PidFile ${join(dir, 'sshd.pid')}`,
          `AuthorizedKeysFile ${keysDir}/%u`,
          'StrictModes no',
          `UsePAM ${options.pam ? 'yes' : 'no'}`,
          `PasswordAuthentication ${options.passwordAuthentication ? 'yes' : 'no'}`,
          `KbdInteractiveAuthentication ${options.pam ? 'yes' : 'no'}`,
          ...(options.banner !== undefined ? [`Banner ${bannerPath}`] : []),
          `AllowUsers ${users.map((u) => u.name).join(' ')}`,
          `MaxSessions ${options.maxSessions ?? 10}`,
          'MaxStartups 100:30:200',
          'PrintMotd no',
          'PrintLastLog no',
          'Subsystem sftp internal-sftp',
          'LogLevel VERBOSE',
          // sshd passes no locale: in the C locale yash refuses non-ASCII arguments and
          // multibyte-aware shells match ? and [...] against bytes instead of characters.
          // sshd honours only the first SetEnv line, so one in `config` replaces this one.
          ...(hasSetEnv ? [] : ['SetEnv LANG=C.UTF-8']),
          ...(options.config ?? []),
          '',
        ].join('\n'),
      );
      const logPath = join(dir, 'sshd.log');
      const child = spawn(sshdCmd, ['-D', '-f', configPath, '-E', logPath], { stdio: 'ignore', detached: true });
      child.unref();
      const lastChance = killOnExit(child, dir);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      let up = false;
      for (let i = 0; i < 250 && child.exitCode === null; i++) {
        if ((up = await canConnect(port))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      if (!up) {
        killQuietly(-child.pid!, 'SIGKILL');
        await exited;
        unregisterCleanup(lastChance);
        const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
        if (attempt < 3 && /Address already in use|Cannot bind/.test(log)) continue;
        throw new Error(`sshd did not start on 127.0.0.1:${port}: ${log.trim() || 'no log'}`);
      }
      const knownHostsPath = join(dir, 'known_hosts');
      writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostKey}\n`);
      const clientOpts = ['-F', '/dev/null', '-o', `UserKnownHostsFile=${knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes'];
      const server: TestServer = {
        host: '127.0.0.1',
        port,
        pid: child.pid!,
        users,
        dir,
        keyPath,
        knownHostsPath,
        hostKey,
        ctlDir,
        logPath,
        clientOpts,
        target: (user = users[0]!.name) => `${user}@127.0.0.1:${port}`,
        connectOptions: () => ({ keyPath, masterOpts: [...clientOpts], ctlDir }),
        log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
        async stop() {
          // Each connection's sshd calls setsid(), so neither the process group nor the
          // user (other servers may share the test users) delimits this server: its
          // process tree does. Collect it before the listener dies and orphans it.
          const tree = await descendants(child.pid!);
          killQuietly(-child.pid!, 'SIGTERM');
          for (const pid of tree) killQuietly(pid, 'SIGKILL');
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
          clearTimeout(timer);
          killQuietly(-child.pid!, 'SIGKILL');
          unregisterCleanup(lastChance);
          rmSync(dir, { recursive: true, force: true });
          dropUsers();
          unregisterCleanup(userCleanup);
        },
      };
      return server;
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    dropUsers();
    unregisterCleanup(userCleanup);
    throw err;
  }
}
