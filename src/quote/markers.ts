const RAW = Symbol.for('openssh-mux.raw');
const GLOB = Symbol.for('openssh-mux.glob');

/** A command word inserted without quoting. Made by {@link raw}. */
export interface RawWord {
  readonly [RAW]: true;
  readonly value: string;
}

/** A command word quoted with its glob characters left live. Made by {@link glob}. */
export interface GlobWord {
  readonly [GLOB]: true;
  readonly value: string;
}

/** One word of a command given as an array. */
export type CommandWord = string | number | RawWord | GlobWord;

function check(name: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${name}() takes a string, received ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

/**
 * Mark a word to be inserted into the remote command as is, for redirections and operators:
 * `ssh.run(['cat', 'x', raw('>'), '/tmp/y'])`. A command containing a raw word gets no
 * automatic remote redirections for the stream options (Net::OpenSSH's `\\'...'`).
 */
export function raw(value: string): RawWord {
  return Object.freeze({ [RAW]: true as const, value: check('raw', value) });
}

/**
 * Mark a word to be quoted with its wildcards left live, so the remote shell expands them:
 * `ssh.capture(['ls', glob('/var/log/*.log')])` (Net::OpenSSH's `\'...'`).
 */
export function glob(value: string): GlobWord {
  return Object.freeze({ [GLOB]: true as const, value: check('glob', value) });
}

export function isRaw(word: unknown): word is RawWord {
  return typeof word === 'object' && word !== null && (word as Record<symbol, unknown>)[RAW] === true;
}

export function isGlob(word: unknown): word is GlobWord {
  return typeof word === 'object' && word !== null && (word as Record<symbol, unknown>)[GLOB] === true;
}
