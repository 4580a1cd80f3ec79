import picomatch from 'picomatch';
import type { OpenSSHOptions } from '../options/connection.js';

/** A host of a {@link Fleet}: a target, or a target with its own label and `OpenSSH` options. */
export type HostSpec = string | FleetHostOptions;

/** A host with its label and options (over the fleet's `defaults`). */
export interface FleetHostOptions extends OpenSSHOptions {
  /** `[user@]host[:port]`, as for `new OpenSSH()`. */
  target: string;
  /** A unique name for the host (default: the target). Used by selectors, results and `%LABEL%`. */
  label?: string;
}

/** What a task learns about its host. */
export interface FleetHost {
  /** The host's unique label. */
  readonly label: string;
  /** Its target, as given. */
  readonly target: string;
  /** Its position in this run's host list (the results' order). */
  readonly index: number;
  /** Aborted when the host's task must stop (timeout, `abort-all`, the fleet's signal). */
  readonly signal: AbortSignal;
}

/** A host as the fleet keeps it. */
export interface HostEntry {
  readonly label: string;
  readonly target: string;
  /** The host's own options, without target and label. */
  readonly options: OpenSSHOptions;
}

/**
 * Which hosts a run addresses: a label, a glob (`'web*'`), a comma-separated list of them
 * (`'db1,db2'`, `'web*,!web3'`: a `!` excludes), an array of those, or a predicate.
 */
export type Selector = string | readonly string[] | ((host: { label: string; target: string }) => boolean);

/** Characters a label cannot hold: selectors split on commas, files are named after labels. */
const BAD_LABEL = /[\s,/\\\0]|^!|^\.\.?$/;

function describe(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/** Check the host list: targets, labels (unique), per-host options kept for `new OpenSSH()`. */
export function normalizeHosts(hosts: readonly HostSpec[]): HostEntry[] {
  if (!Array.isArray(hosts)) throw new TypeError(`new Fleet() takes an array of hosts (targets or { target, label, ...options }), received ${describe(hosts)}`);
  const seen = new Set<string>();
  return hosts.map((spec, i) => {
    let entry: HostEntry;
    if (typeof spec === 'string') {
      entry = { label: spec, target: spec, options: {} };
    } else if (typeof spec === 'object' && spec !== null && typeof spec.target === 'string') {
      const { target, label, ...options } = spec;
      if (label !== undefined && typeof label !== 'string') throw new TypeError(`host ${i}: 'label' must be a string, received ${describe(label)}`);
      entry = { label: label ?? target, target, options };
    } else {
      throw new TypeError(`host ${i} must be a target string or an object with a 'target' string, received ${describe(spec)}`);
    }
    if (entry.target === '') throw new TypeError(`host ${i}: the target is empty`);
    // A host or user starting with '-' would reach ssh's option parser as an option.
    if (/(^|@)-/.test(entry.target)) throw new TypeError(`host ${i}: target ${describe(entry.target)} has a host or user starting with '-', which ssh would take for an option`);
    if (entry.label === '' || BAD_LABEL.test(entry.label)) {
      throw new TypeError(`host ${i}: label ${describe(entry.label)} must be non-empty, without white space, ',', '/' or '\\', not start with '!' and not be '.' or '..'`);
    }
    if (seen.has(entry.label)) throw new TypeError(`host ${i}: label ${describe(entry.label)} is used twice (labels must be unique; give { label } to tell hosts apart)`);
    seen.add(entry.label);
    return entry;
  });
}

const GLOB_CHARS = /[*?[\]{}()!+@]/;

/**
 * The hosts a selector picks, in the fleet's order. A plain label that names no host is a
 * TypeError (a typo must not silently address nobody); a glob matching nothing picks nothing.
 */
export function selectHosts(hosts: readonly HostEntry[], selector: Selector): HostEntry[] {
  if (typeof selector === 'function') return hosts.filter((h) => selector({ label: h.label, target: h.target }));
  const words = (typeof selector === 'string' ? [selector] : Array.isArray(selector) ? selector : undefined)
    ?.flatMap((s: unknown) => {
      if (typeof s !== 'string') throw new TypeError(`a selector must be a string, an array of strings or a function, received ${describe(s)}`);
      return s.split(',');
    })
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (words === undefined) throw new TypeError(`a selector must be a string, an array of strings or a function, received ${describe(selector)}`);
  const include = words.filter((w) => !w.startsWith('!'));
  const exclude = words.filter((w) => w.startsWith('!')).map((w) => w.slice(1));
  const labels = new Set(hosts.map((h) => h.label));
  for (const w of [...include, ...exclude]) {
    if (!GLOB_CHARS.test(w) && !labels.has(w)) throw new TypeError(`selector ${describe(selector)}: no host is labelled ${describe(w)}`);
  }
  const isIn = include.length === 0 ? () => true : picomatch(include, { dot: true });
  const isOut = exclude.length === 0 ? () => false : picomatch(exclude, { dot: true });
  return hosts.filter((h) => isIn(h.label) && !isOut(h.label));
}
