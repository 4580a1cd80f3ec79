// Tunnels and port forwarding, end to end: start a throwaway sshd on 127.0.0.1, connect once,
// then reach two small local servers (a TCP echo server and an HTTP server) through the SSH
// connection in every way the library offers. Everything is loopback, so "the remote host"
// and this machine are the same; the traffic still goes through ssh and sshd.
// Run with `npm run build && node examples/tunnel.mjs`.
import { execFile } from 'node:child_process';
import { createServer as createHttpServer, get } from 'node:http';
import { createServer } from 'node:net';
import { ForwardError, OpenSSH } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';

const line = (label, value) => console.log(`${label.padEnd(40)} ${value}`);
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const httpGet = (url) =>
  new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve(body));
    }).on('error', reject);
  });

// The servers "behind" the SSH host.
const echo = createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
const http = createHttpServer((req, res) => res.end(`hello from ${req.url}`));
const echoPort = await listen(echo);
const httpPort = await listen(http);

let server;
let ssh;
try {
  console.log('starting a throwaway sshd on 127.0.0.1 ...');
  server = await startSshd();
  ssh = await OpenSSH.connect(server.target(), server.connectOptions());

  // 1. openTunnel: a Duplex to host:port as the SSH server sees it (ssh -W). Nothing listens here.
  const sock = ssh.openTunnel('127.0.0.1', echoPort);
  sock.end('ping through -W');
  let echoed = '';
  for await (const chunk of sock) echoed += chunk;
  line('openTunnel(127.0.0.1, echo)', JSON.stringify(echoed));

  // 2. captureTunnel: send a request, get the whole reply.
  const reply = await ssh.captureTunnel('127.0.0.1', httpPort, { stdinData: 'GET /captured HTTP/1.0\r\n\r\n' });
  line('captureTunnel(HTTP GET)', JSON.stringify(reply.split('\r\n')[0] + ' ... ' + reply.split('\r\n\r\n')[1]));

  // 3. A local forward (-L): a port here, connections leave from the SSH server.
  // (In TypeScript or Node >= 24: `await using fwd = await ssh.forward(...)` closes it for you.)
  const fwd = await ssh.forward({ type: 'local', targetHost: '127.0.0.1', targetPort: httpPort });
  try {
    line(`forward local  -L ${fwd.spec}`, JSON.stringify(await httpGet(`http://127.0.0.1:${fwd.port}/local`)));
  } finally {
    await fwd.close(); // ssh -O cancel
  }

  // 4. A remote forward (-R) on port 0: the server picks the port and we learn it.
  const remote = await ssh.forward({ type: 'remote', targetHost: '127.0.0.1', targetPort: httpPort });
  // Use it from the server's side: a tunnel from the server to its own forwarded port.
  const viaRemote = await ssh.captureTunnel('127.0.0.1', remote.port, { stdinData: 'GET /remote HTTP/1.0\r\n\r\n' });
  line(`forward remote -R ${remote.spec}`, `server allocated port ${remote.port}: ${JSON.stringify(viaRemote.split('\r\n\r\n')[1])}`);
  await remote.close();

  // 5. A dynamic forward (-D): a SOCKS proxy here. curl speaks SOCKS, if it is installed.
  const ac = new AbortController();
  const socks = await ssh.forward({ type: 'dynamic', signal: ac.signal });
  const viaSocks = await new Promise((resolve) =>
    execFile('curl', ['-sS', '--max-time', '10', '--socks5-hostname', `127.0.0.1:${socks.port}`, `http://localhost:${httpPort}/socks`], (err, out) =>
      resolve(err ? `(curl failed: ${err.message.split('\n')[0]})` : JSON.stringify(out)),
    ),
  );
  line(`forward dynamic -D ${socks.spec}`, viaSocks);
  ac.abort(); // the signal closes the forward
  await socks.close(); // the same cancellation, awaited
  line('after abort', `closed=${socks.closed}`);

  // 6. A refused forward is a ForwardError with ssh's reason.
  try {
    await ssh.forward({ type: 'local', port: httpPort, targetHost: '127.0.0.1', targetPort: echoPort });
  } catch (err) {
    if (!(err instanceof ForwardError)) throw err;
    line('forward on a busy port', `${err.name} ${err.code}`);
    line('', err.message.split(' (master:')[0]);
  }
} finally {
  await ssh?.disconnect();
  await server?.stop();
  echo.close();
  http.close();
  console.log('disconnected, sshd stopped, servers closed');
}
