// The SQLite workload of ../shared/bench/peers.sh, shared by the bench's mount table (mount.ts)
// and the A/B harness (ab.ts): one table, rows of a number and 100 characters.

export const createTable = 'CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT);';

/** `count` one-row INSERT statements for k = from, from + 1, ..., one a line. */
export function insertRows(from: number, count: number): string {
  const lines: string[] = [];
  for (let k = from; k < from + count; k++) lines.push(`INSERT INTO t (k, v) VALUES (${k}, '${String(k).padStart(100, '0')}');`);
  return lines.join('\n');
}
