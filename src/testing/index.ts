/**
 * Test helpers: a throwaway OpenSSH server on loopback, for the library's own tests and
 * demo, and for testing your automation against a real sshd.
 */
export { startSshd, type SshdOptions, type TestServer, type TestUser } from './sshd.js';
