import { debuglog } from 'node:util';

/**
 * Debug output, off unless `NODE_DEBUG=openssh-mux` is set: every argv the library runs
 * (program first, one JSON array per line, ready to paste), the master's state changes and
 * how each process ended. Nothing secret ever goes through it: the library puts no password
 * on any command line.
 */
export const debug = debuglog('openssh-mux');
