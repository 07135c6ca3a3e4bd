// What the database drivers' errors mean for an operator: a damaged file, a
// full disk, a server that went away. Each becomes one line that says what
// to do, instead of a driver's stack trace.

/** A one-line description of a database fault, or null when the error is not one (a bug). */
export function describeStoreFault(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_') || code === 'SQLITE_NOTADB') {
    return `the database file is damaged (${code}: ${message}); restore it from a backup`;
  }
  if (code === 'SQLITE_FULL') return `the disk is full (${code}); free some space and run again`;
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') return `the database file cannot be read or written (${code}: ${message})`;
  if (code.startsWith('SQLITE_READONLY')) return `the database file is read-only (${code}); check its permissions and those of its folder`;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return `the database stayed locked by another process (${code}); try again`;
  // PostgreSQL: connection exceptions (08…), insufficient resources (53…), operator intervention (57P…).
  if (/^(08|53|57P)/.test(code)) return `the database server failed (${code}: ${message}); run again when it is back`;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE'].includes(code)) {
    return `cannot reach the database server (${code}); run again when it is back`;
  }
  if (/Connection terminated|connection is closed|Client has encountered a connection error/i.test(message)) {
    return `the connection to the database server was lost (${message}); run again when it is back`;
  }
  return null;
}
