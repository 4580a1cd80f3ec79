import { describe, expect, it } from 'vitest';
import { peerInodeFromSs, ppidFromStat, socketInode } from '../../src/auth/askpass-peer.js';
import { isOurHelper } from '../../src/auth/askpass.js';
import { mulberry32 } from '../helpers/prng.js';

describe('askpass peer identification (parsers)', () => {
  it('socketInode reads /proc fd links', () => {
    expect(socketInode('socket:[20227]')).toBe(20227);
    expect(socketInode('pipe:[20227]')).toBeUndefined();
    expect(socketInode('/dev/null')).toBeUndefined();
  });

  it('peerInodeFromSs finds the peer of a local inode, paths with spaces included', () => {
    const out = [
      'u_str ESTAB 0      0                                                * 20226 * 20227',
      'u_str ESTAB 0      0                            /tmp/ss test sock 20227 * 20226',
      'u_str LISTEN 0     511                          /tmp/ss test sock 20225 * 0',
      'u_dgr UNCONN 0     0                                /run/systemd/notify 77 * 0',
    ].join('\n');
    expect(peerInodeFromSs(out, 20227)).toBe(20226);
    expect(peerInodeFromSs(out, 20226)).toBe(20227);
    expect(peerInodeFromSs(out, 20225)).toBeUndefined();
    expect(peerInodeFromSs(out, 1)).toBeUndefined();
    expect(peerInodeFromSs('', 1)).toBeUndefined();
  });

  it('ppidFromStat reads field 4, whatever the command name holds', () => {
    expect(ppidFromStat('4189 (node) S 3727 4189 3727 0 -1 4194304')).toBe(3727);
    expect(ppidFromStat('4189 (a) b) c (d) R 12 4189 3727 0')).toBe(12);
    expect(ppidFromStat('4189 (x) S')).toBeUndefined();
  });

  it('the parsers never throw on random input (fuzz)', () => {
    const rnd = mulberry32(0xa5);
    const alphabet = 'u_str ESTAB*0123456789 ()\n/socket:[]\t';
    for (let i = 0; i < 5000; i++) {
      const n = Math.floor(rnd() * 80);
      let s = '';
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const p = peerInodeFromSs(s, Math.floor(rnd() * 10));
      expect(p === undefined || (Number.isInteger(p) && p > 0)).toBe(true);
      const q = ppidFromStat(s);
      expect(q === undefined || (Number.isInteger(q) && q >= 0)).toBe(true);
      socketInode(s);
    }
  });

  it('isOurHelper wants this Node running our helper script', () => {
    const helper = new URL(import.meta.url).pathname;
    const node = process.execPath;
    expect(isOurHelper({ pid: 2, ppid: 1, exe: node, argv: [node, helper, 'Password:'] }, helper, node)).toBe(true);
    expect(isOurHelper({ pid: 2, ppid: 1, exe: `${node} (deleted)`, argv: [node, helper] }, helper, node)).toBe(true);
    expect(isOurHelper({ pid: 2, ppid: 1, exe: '/usr/bin/python3', argv: [node, helper] }, helper, node)).toBe(false);
    expect(isOurHelper({ pid: 2, ppid: 1, exe: node, argv: [node, '/tmp/rogue.cjs'] }, helper, node)).toBe(false);
    expect(isOurHelper({ pid: 2, ppid: 1, exe: node, argv: [node] }, helper, node)).toBe(false);
  });
});
