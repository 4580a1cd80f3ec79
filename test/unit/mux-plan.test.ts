import { describe, expect, it } from 'vitest';
import { createMuxEngine } from '../../src/mux/engine.js';
import { isSocketTunnel, remoteEngineFor, remoteOperation } from '../../src/mux/plan.js';
import { normalizeCall, type CommandOptions } from '../../src/options/command.js';
import { nodeEngine } from '../../src/run/engine.js';

const call = (options: object) => normalizeCall(options as CommandOptions, {}, 'run');

describe('planning of tunnels to a Unix socket', () => {
  it('recognises a socket tunnel by its absolute path', () => {
    expect(isSocketTunnel(call({ tunnel: true }), '/var/run/docker.sock')).toBe(true);
    expect(isSocketTunnel(call({ tunnel: true }), 'db:5432')).toBe(false);
    expect(isSocketTunnel(call({}), '/bin/true')).toBe(false); // a command, not a tunnel
  });

  it('runs a socket tunnel as a channel on a spawning engine too; a TCP tunnel spawns there', () => {
    const socketCall = call({ tunnel: true });
    const onSpawn = remoteEngineFor(nodeEngine, socketCall, '/run/x.sock');
    expect(onSpawn?.spawnRemote).toBeTypeOf('function');
    // one mux engine per base engine, reused
    expect(remoteEngineFor(nodeEngine, socketCall, '/run/y.sock')).toBe(onSpawn);
    // even a per-call engine: 'spawn' cannot make ssh -W reach a socket (OpenSSH < 9.4)
    expect(remoteEngineFor(nodeEngine, { ...socketCall, engine: 'spawn' }, '/run/x.sock')).toBe(onSpawn);
    expect(remoteEngineFor(nodeEngine, call({ tunnel: true }), '127.0.0.1:80')).toBeUndefined();
    const mux = createMuxEngine(nodeEngine);
    expect(remoteEngineFor(mux, socketCall, '/run/x.sock')).toBe(mux);
    mux.close();
  });

  it('describes the operation: kind socket and its path', () => {
    expect(remoteOperation('/ctl', '/run/a b.sock', call({ tunnel: true }))).toEqual({ ctlPath: '/ctl', kind: 'socket', command: '/run/a b.sock', socketPath: '/run/a b.sock' });
    expect(remoteOperation('/ctl', '[::1]:80', call({ tunnel: true }))).toEqual({ ctlPath: '/ctl', kind: 'tunnel', command: '[::1]:80', tunnel: { host: '::1', port: 80 } });
  });
});
