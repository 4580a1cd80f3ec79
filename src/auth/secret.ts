import { randomBytes } from 'node:crypto';

/** What a {@link Secret} unlocks: the login password or the private key's passphrase. */
export type SecretKind = 'password' | 'passphrase';

/**
 * A password or passphrase, held only until the login uses it.
 *
 * The text is kept as bytes XORed with a random pad of the same length (like Net::OpenSSH's
 * XOR with 47, this only keeps the plain text out of heap dumps and casual inspection; the
 * pad is in memory too). {@link Secret.reveal} hands out a plain copy that the caller zeroes
 * right after writing it; {@link Secret.drop} zeroes both buffers and forgets them. The
 * caller's own string cannot be wiped: JavaScript strings are immutable and are freed only
 * by the garbage collector.
 */
export class Secret {
  readonly kind: SecretKind;
  #masked: Buffer | undefined;
  #pad: Buffer | undefined;

  constructor(kind: SecretKind, text: string) {
    this.kind = kind;
    const plain = Buffer.from(text, 'utf8');
    this.#pad = randomBytes(plain.length);
    this.#masked = Buffer.alloc(plain.length);
    for (let i = 0; i < plain.length; i++) this.#masked[i] = plain[i]! ^ this.#pad[i]!;
    plain.fill(0);
  }

  /** False once dropped. */
  get available(): boolean {
    return this.#masked !== undefined;
  }

  /**
   * A plain copy followed by `suffix` (`\n` for a terminal). The caller must `fill(0)` it as
   * soon as it is written. Throws once the secret was dropped.
   */
  reveal(suffix = ''): Buffer {
    if (!this.#masked || !this.#pad) throw new Error(`the ${this.kind} was already used and dropped`);
    const tail = Buffer.from(suffix, 'utf8');
    const out = Buffer.alloc(this.#masked.length + tail.length);
    for (let i = 0; i < this.#masked.length; i++) out[i] = this.#masked[i]! ^ this.#pad[i]!;
    tail.copy(out, this.#masked.length);
    return out;
  }

  /** Zero and forget the secret. Idempotent. */
  drop(): void {
    this.#masked?.fill(0);
    this.#pad?.fill(0);
    this.#masked = undefined;
    this.#pad = undefined;
  }

  /** Never show the secret, not even masked, in logs or `util.inspect`. */
  toJSON(): string {
    return `[${this.kind}]`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret [${this.kind}${this.available ? '' : ', dropped'}]`;
  }
}
