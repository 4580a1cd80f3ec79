// Password logins, end to end (run as root: the throwaway sshd gets an account with a
// password, deleted again when it stops). Logs in through both routes (a node-pty pty, and
// the askpass helper), shows a wrong password failing at once after one attempt, and a host
// key recorded on first use. Build first: `npm run build && node examples/password.mjs`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenSSH } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';

if (process.geteuid?.() !== 0) {
  console.error('this example creates a user with a password on the test server: run it as root');
  process.exit(1);
}

const line = (label, value) => console.log(`${label.padEnd(30)} ${value}`);
// In real code the password comes from a prompt or a secret store, read as late as possible.
const password = `demo-${Math.random().toString(36).slice(2)}`;
const user = 'osmux-example-pw';

let server;
const work = mkdtempSync(join(tmpdir(), 'openssh-mux-example-'));
try {
  server = await startSshd({ users: [{ name: user, shell: '/bin/sh', password }], passwordAuthentication: true });
  line('sshd', `127.0.0.1:${server.port}, user ${user}`);
  const known = join(work, 'known_hosts');
  // No ssh config, an empty known_hosts: trust on first use records the server's key.
  const base = { ctlDir: server.ctlDir, hostKeyPolicy: 'tofu', knownHostsFile: known, masterOpts: ['-F', '/dev/null'] };

  for (const route of ['pty', 'askpass']) {
    const t = performance.now();
    const ssh = await OpenSSH.connect(server.target(user), { ...base, password, passwordRoute: route });
    line(`login through ${route}`, `${(performance.now() - t).toFixed(0)} ms, whoami: ${(await ssh.capture('whoami')).trim()}`);
    await ssh.disconnect();
  }
  line('known_hosts now holds', readFileSync(known, 'utf8').trim().split(' ').slice(0, 2).join(' '));

  const t = performance.now();
  const bad = new OpenSSH(server.target(user), { ...base, password: 'not-it' });
  await bad.waitForMaster();
  line('wrong password', `${(performance.now() - t).toFixed(0)} ms, reason ${bad.error.reason}`);
  line('  message', bad.error.message.split(';')[0]);
  const attempts = server.log().split('\n').filter((l) => l.includes('Failed password')).length;
  line('  failed attempts in sshd log', attempts);

  const cfg = await new OpenSSH(server.target(user), { ...base, connect: false }).sshConfiguration();
  line('sshConfiguration()', `stricthostkeychecking=${cfg.stricthostkeychecking} user=${cfg.user} port=${cfg.port}`);
} finally {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
}
