// Pseudo-terminals: answer an interactive prompt, resize the terminal, read ssh's own stderr,
// and stop a session that takes too long. Starts its own throwaway sshd on 127.0.0.1.
// Run with `npm run build && node examples/pty.mjs` (needs the optional node-pty package).
import { OpenSSH, TimeoutError, ptyAvailable } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';

if (!ptyAvailable()) {
  console.error("node-pty is not installed: run 'npm install node-pty' to try this example");
  process.exit(1);
}

/** Read the terminal until `re` matches what it showed so far. */
function waitFor(pty, re) {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (text) => {
      seen += text;
      if (re.test(seen)) {
        pty.off('data', onData);
        resolve(seen);
      }
    };
    pty.on('data', onData);
  });
}

const server = await startSshd();
const ssh = await OpenSSH.connect(server.target(), server.connectOptions());
try {
  // 1. An interactive prompt, answered like a person would: wait for it, then type.
  const s = await ssh.open2pty(`tty; read -p 'Name? ' name; echo "hello, $name"`, { cols: 100, rows: 30 });
  console.log('remote terminal:', (await waitFor(s.pty, /Name\? $/)).split('\r\n')[0]);
  s.pty.write('alice\r');
  console.log('answer:', JSON.stringify(await waitFor(s.pty, /hello, alice\r\n/)));
  const r = await s.done;
  console.log('exit code:', r.exitCode);

  // 2. Resize: the remote program gets SIGWINCH and sees the new size.
  const w = await ssh.open2pty(`trap 'echo "now $(stty size)"' WINCH; stty size; while :; do sleep 0.05; done`);
  console.log('size before:', (await waitFor(w.pty, /\d+ \d+\r\n/)).trim());
  w.resize(132, 50);
  console.log('after resize:', (await waitFor(w.pty, /now 50 132\r\n/)).trim());
  w.kill();
  await w.done.catch(() => {});

  // 3. open3pty: ssh's own messages come apart from the terminal (here: a bad ssh option).
  const t = await ssh.open3pty('true', { sshOpts: ['-o', 'NoSuchOption=yes'] });
  let sshMessages = '';
  t.stderr.on('data', (text) => (sshMessages += text));
  t.pty.resume();
  await t.done.catch((err) => console.log('open3pty failed as expected, exit code', err.exitCode));
  console.log('ssh said on stderr:', JSON.stringify(sshMessages.trim()));

  // 4. Timeouts work as for every command: the session is stopped and done rejects.
  const slow = await ssh.open2pty('sleep 60', { timeout: 500 });
  await slow.done.catch((err) => console.log('timeout:', err instanceof TimeoutError, err.message));
} finally {
  await ssh.disconnect();
  await server.stop();
}
