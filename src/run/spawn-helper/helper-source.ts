/**
 * The spawn helper's code: a small Node process (`node -e HELPER_SOURCE`, IPC channel on fd
 * 3) that starts processes for its parent, so that the parent never forks.
 *
 * Messages in (JSON over the IPC channel):
 *   `{ op: 'slot', id, i }` with a socket handle: the child's stdio slot `i`;
 *   `{ op: 'spawn', id, file, args, stdio, env, detached }`: start it; `stdio[i]` is `'slot'`
 *     (the socket sent for it) or `'ignore'`;
 *   `{ op: 'kill', id, signal }`: signal it if it still runs (not answered).
 * Messages out: `{ id, ev: 'spawn', pid }`, then `{ id, ev: 'exit', code, signal }`; or
 *   `{ id, ev: 'error', error: { message, code, errno, syscall, path } }` when it could not be
 *   started (no 'exit' follows).
 *
 * The helper never reads or writes the sockets: it hands them to the child and closes its
 * copies. It exits when its parent goes away (the IPC channel closes), and ignores the
 * terminal's SIGINT and SIGQUIT (a Ctrl-C is for the application, which decides).
 */
export const HELPER_SOURCE = `
'use strict';
const { spawn } = require('node:child_process');
const slots = new Map();
const children = new Map();
const plain = (e) => ({ message: String((e && e.message) || e), code: e && e.code, errno: e && e.errno, syscall: e && e.syscall, path: e && e.path });
const send = (m) => { try { process.send(m); } catch {} };
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});
process.on('SIGQUIT', () => {});
process.on('message', (m, handle) => {
  if (m.op === 'slot') {
    if (handle) handle.pause();
    let s = slots.get(m.id);
    if (!s) slots.set(m.id, (s = []));
    s[m.i] = handle;
    return;
  }
  if (m.op === 'kill') {
    const c = children.get(m.id);
    try { if (c && c.exitCode === null && c.signalCode === null) c.kill(m.signal); } catch {}
    return;
  }
  if (m.op !== 'spawn') return;
  const handles = slots.get(m.id) || [];
  slots.delete(m.id);
  const close = () => { for (const h of handles) if (h) h.destroy(); };
  let child;
  try {
    child = spawn(m.file, m.args, { stdio: m.stdio.map((x, i) => (x === 'slot' ? handles[i] : x)), env: m.env, detached: m.detached, windowsHide: true });
  } catch (e) {
    close();
    send({ id: m.id, ev: 'error', error: plain(e) });
    return;
  }
  close();
  let failed = false;
  child.once('error', (e) => {
    if (child.pid !== undefined || failed) return;
    failed = true;
    send({ id: m.id, ev: 'error', error: plain(e) });
  });
  if (child.pid === undefined) return;
  children.set(m.id, child);
  send({ id: m.id, ev: 'spawn', pid: child.pid });
  child.once('exit', (code, signal) => {
    children.delete(m.id);
    send({ id: m.id, ev: 'exit', code, signal });
  });
});
`;
