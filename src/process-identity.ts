// Who this process is, for leases: read from the operating system, at the
// edge. A holder id is `<host>:<pid namespace>:<pid>:<random>`; a holder is
// known dead only when it is in our host and pid namespace and its pid is gone.
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

function pidNamespace(): string {
  try {
    // `pid:[4026531836]`: containers sharing a host name still differ here.
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function holderId(random: string): string {
  return `${hostname()}:${pidNamespace()}:${process.pid}:${random}`;
}

/** True only when the holder certainly no longer runs; anything uncertain counts as alive. */
export function holderIsDead(holder: string): boolean {
  const [host, ns, pid] = holder.split(':');
  if (host !== hostname() || ns === 'unknown' || ns !== pidNamespace() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
