// The main job, end to end: start a throwaway sshd on 127.0.0.1, connect once, run a few
// representative commands over the one master connection, and clean everything up (also on
// Ctrl-C). Run with `npm run demo`.
import { CommandError, OpenSSH, TimeoutError } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';

const line = (label, value) => console.log(`${label.padEnd(34)} ${value}`);

let server;
let ssh;
let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    await ssh?.disconnect();
    await server?.stop();
  })();
  return cleaning;
}
process.once('SIGINT', async () => {
  console.log('\ninterrupted: cleaning up');
  await cleanup();
  process.exit(130);
});

try {
  console.log('starting a throwaway sshd on 127.0.0.1 ...');
  server = await startSshd();
  line('sshd', `127.0.0.1:${server.port} (pid ${server.pid}), user ${server.users[0].name}`);

  let t = performance.now();
  ssh = await OpenSSH.connect(server.target(), server.connectOptions());
  line('master connected', `${(performance.now() - t).toFixed(0)} ms, pid ${ssh.masterPid}`);
  line('ControlPath', ssh.ctlPath);

  line('capture("uname -sr")', JSON.stringify(await ssh.capture('uname -sr')));

  const { stdout, stderr } = await ssh.capture2('echo to-stdout; echo to-stderr >&2');
  line('capture2(...)', `stdout=${JSON.stringify(stdout)} stderr=${JSON.stringify(stderr)}`);

  // Array commands are quoted word by word for the remote shell.
  line('capture([printf, ..., "it\'s $HOME"])', JSON.stringify(await ssh.capture(['printf', '%s|', "it's $HOME", 'a  b'])));

  process.stdout.write(`${'system("wc -l", {stdinData})'.padEnd(34)} `);
  await ssh.system('wc -l', { stdinData: 'one\ntwo\nthree\n' });

  t = performance.now();
  for (let i = 0; i < 20; i++) await ssh.capture('true');
  line('20 x capture("true")', `${((performance.now() - t) / 20).toFixed(1)} ms each over the one connection`);

  try {
    await ssh.capture('echo partial; ls /nonexistent');
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    line('a failing command', `${err.name} ${err.code}, exit ${err.exitCode}, stdout ${JSON.stringify(err.stdout)}`);
    line('', `stderr ${JSON.stringify(err.stderr.trim())}`);
  }

  try {
    await ssh.capture('echo started; sleep 10', { timeout: 500 });
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    line('a 500 ms timeout', `${err.name} ${err.code} (${err.kind}), partial stdout ${JSON.stringify(err.stdout)}`);
  }

  line('test("test -d /tmp")', await ssh.test('test -d /tmp'));
} finally {
  await cleanup();
  console.log('disconnected, sshd stopped, temp files removed');
}
