// A key -> set of values index that never keeps an empty set (the mount indexes handles by
// inode and listing pages by the inodes they name this way).

export class SetIndex<K, V> {
  private readonly sets = new Map<K, Set<V>>();

  add(key: K, value: V): void {
    let set = this.sets.get(key);
    if (set === undefined) this.sets.set(key, (set = new Set()));
    set.add(value);
  }

  /** Removes `value` under `key`, and the key once nothing is left under it. */
  remove(key: K, value: V): void {
    const set = this.sets.get(key);
    if (set === undefined) return;
    set.delete(value);
    if (set.size === 0) this.sets.delete(key);
  }

  /** The values under `key`, live (empty when none): removing while iterating is safe, as for any Set. */
  get(key: K): ReadonlySet<V> {
    return this.sets.get(key) ?? empty;
  }

  delete(key: K): void {
    this.sets.delete(key);
  }
}

const empty: ReadonlySet<never> = new Set();
