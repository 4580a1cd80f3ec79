/**
 * Host-key policies (Net::SSH2's names) mapped onto OpenSSH's `StrictHostKeyChecking`.
 *
 * | policy     | StrictHostKeyChecking | unknown key                    | changed key |
 * |------------|-----------------------|--------------------------------|-------------|
 * | `strict`   | `yes`                 | refused                        | refused     |
 * | `ask`      | `ask`                 | ssh asks on the terminal       | refused     |
 * | `tofu`     | `accept-new`          | accepted and recorded          | refused     |
 * | `advisory` | `no`                  | accepted and recorded          | accepted, but ssh then turns off password and keyboard-interactive authentication, agent and X11 forwarding and port forwards |
 *
 * Without a policy nothing is passed: the user's ssh configuration decides (the library never
 * relaxes it on its own).
 */
export type HostKeyPolicy = 'strict' | 'ask' | 'tofu' | 'advisory';

/** The accepted policy names, in the order of the table above. */
export const HOST_KEY_POLICIES: readonly HostKeyPolicy[] = Object.freeze(['strict', 'ask', 'tofu', 'advisory']);

const STRICT_HOST_KEY_CHECKING: Readonly<Record<HostKeyPolicy, string>> = {
  strict: 'yes',
  ask: 'ask',
  tofu: 'accept-new',
  advisory: 'no',
};

/** The `StrictHostKeyChecking` value of a policy. */
export function strictHostKeyChecking(policy: HostKeyPolicy): string {
  return STRICT_HOST_KEY_CHECKING[policy];
}

/**
 * `-o` words for a policy and a known_hosts file: `StrictHostKeyChecking=...` and
 * `UserKnownHostsFile=...` (ssh splits that value on white space, so the option check
 * refuses a path with white space or quotes).
 */
export function hostKeyArgs(policy: HostKeyPolicy | undefined, knownHostsFile: string | undefined): string[] {
  const out: string[] = [];
  if (policy !== undefined) out.push('-o', `StrictHostKeyChecking=${strictHostKeyChecking(policy)}`);
  if (knownHostsFile !== undefined) out.push('-o', `UserKnownHostsFile=${knownHostsFile}`);
  return out;
}
