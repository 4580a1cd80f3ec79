/** A bad command line: exit status 2, the message names the flag. */
export class UsageError extends Error {}
Object.defineProperty(UsageError.prototype, 'name', { value: 'UsageError', writable: true });

/** The `--help` text: every flag, with the exit codes. */
export const HELP = `Usage:
  openssh-mux run [options] -- command [args...]
  openssh-mux put [options] [--rsync] [-r] -- local... remote
  openssh-mux get [options] [--rsync] [-r] -- remote... local
  openssh-mux --help | --version

Run a command (or copy files) on many hosts at once over OpenSSH connection multiplexing:
one master connection per host, limited in number, closed as each host finishes.

Hosts:
  -H, --host HOST          a target [user@]host[:port], or label=target (repeatable)
  -f, --hosts-file FILE    one target per line, 'label=target' allowed, '#' comments (repeatable)
      --select SELECTOR    only these labels: globs, comma-separated, '!' excludes ('web*,!web3')
      --shard I/N          only the I-th of N equal contiguous slices of the host list (1-based)

Connection:
  -u, --user USER          login user for hosts that give none
      --port PORT          port for hosts that give none
  -i, --identity FILE      private key file
  -F, --ssh-config FILE    ssh_config file for every connection (-F /dev/null: none)
  -o, --option KEY=VALUE   an ssh option (repeatable), e.g. -o ConnectTimeout=5
      --host-key-policy P  strict | tofu | ask | advisory (default: your ssh config decides)
      --connect-timeout T  bound on each login (default 30s)
      --ctl-dir DIR        directory for the ControlPath sockets (default ~/.openssh-mux)

Scheduling and failures:
  -p, --parallel N         hosts at once: live connections and running commands (default 10)
  -t, --timeout T          per host, connect included (e.g. 500ms, 30s, 5m; default none)
      --retries N          extra connection attempts after a network failure (default 0)
      --batch N|P%         hosts per batch; each batch finishes before the next starts
      --max-failures N     start no more hosts once more than N failed
      --abort-on-error     a failure cancels the running hosts and skips the rest

Variables:
      --expand             expand %HOST% %USER% %PORT% %LABEL% %% in the command (run)
      --no-expand          do not expand them in the paths (put, get: expanded by default)

Transfers (put, get):
      --rsync              copy with rsync instead of scp
  -r, --recursive          copy directories

Output (default: grouped per host as each finishes: header, stdout, stderr):
      --stream             every line as it arrives, prefixed 'label: ' (stderr lines on stderr)
      --json               one JSON object per host per line (NDJSON) on stdout
      --out-dir DIR        write DIR/<label>.out and DIR/<label>.err; print headers only
  -q, --quiet              no progress line, no summary unless something failed
  -v, --verbose            each command on stderr as it starts ('[host] $ command'), then its exit
                           status and duration; -vv also its output, each line prefixed
  -h, --help               this text
  -V, --version            the version

A progress line is shown on stderr when it is a terminal (not with --quiet); colours only on a
terminal and never with NO_COLOR set.

Exit status: 0 every host succeeded, 1 some host failed, 2 usage error, 130 interrupted (Ctrl-C)
after every connection was closed.
`;
