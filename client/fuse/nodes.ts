// The kernel's view of the namespace: which inodes it holds (node id = Cairn inode number, so
// hard links are one kernel inode) and by which names it found them, so that an operation on a
// node can be turned into the path the SDK takes. Pure state, no I/O.
//
// Invariants: a node lives from the LOOKUP (or create) that first reports it until the kernel
// FORGETs as many lookups as it was given. Every (parent, name) pair points at one node at most;
// a directory has one name. A node's path is found by walking its first names up to the root,
// so renaming a directory moves everything under it at once. A node whose every name was
// removed (an unlinked file still open) has no path.

export const rootNodeId = 1;

interface Link {
  parent: number;
  name: string;
}

interface Node {
  id: number;
  isDirectory: boolean;
  lookups: number;
  links: Link[];
}

const pathDepthMax = 4096;

export class NodeTable {
  private readonly nodes = new Map<number, Node>();
  /** "parent/name" -> node id */
  private readonly byName = new Map<string, number>();

  constructor() {
    this.nodes.set(rootNodeId, { id: rootNodeId, isDirectory: true, lookups: 1, links: [] });
  }

  get size(): number {
    return this.nodes.size;
  }

  has(id: number): boolean {
    return this.nodes.has(id);
  }

  /** The kernel learned `id` under `parent/name` (a lookup, create, mkdir, link...): one more lookup. */
  remember(parent: number, name: string, id: number, isDirectory: boolean): void {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = { id, isDirectory, lookups: 0, links: [] };
      this.nodes.set(id, node);
    }
    node.lookups++;
    this.link(node, parent, name);
  }

  /** The kernel dropped `count` lookups of `id`; the node is forgotten at zero. */
  forget(id: number, count: number): void {
    const node = this.nodes.get(id);
    if (node === undefined || id === rootNodeId) return;
    node.lookups -= count;
    if (node.lookups > 0) return;
    for (const l of node.links) this.byName.delete(key(l.parent, l.name));
    this.nodes.delete(id);
  }

  /** `parent/name` no longer exists (unlink, rmdir, or replaced by a rename). */
  removed(parent: number, name: string): void {
    const k = key(parent, name);
    const id = this.byName.get(k);
    if (id === undefined) return;
    this.byName.delete(k);
    const node = this.nodes.get(id);
    if (node !== undefined) node.links = node.links.filter((l) => l.parent !== parent || l.name !== name);
  }

  renamed(parent: number, name: string, newParent: number, newName: string): void {
    const id = this.byName.get(key(parent, name));
    this.removed(newParent, newName);
    if (id === undefined) return;
    this.removed(parent, name);
    const node = this.nodes.get(id);
    if (node !== undefined) this.link(node, newParent, newName);
  }

  /** The absolute path of a node, or undefined when it has no name left (or an ancestor is unknown). */
  path(id: number): string | undefined {
    const names: string[] = [];
    let at = id;
    for (let depth = 0; at !== rootNodeId; depth++) {
      const link = this.nodes.get(at)?.links[0];
      if (link === undefined || depth > pathDepthMax) return undefined;
      names.push(link.name);
      at = link.parent;
    }
    return '/' + names.reverse().join('/');
  }

  /** The path of `name` in directory `parent`. */
  childPath(parent: number, name: string): string | undefined {
    const dir = this.path(parent);
    if (dir === undefined) return undefined;
    return dir === '/' ? `/${name}` : `${dir}/${name}`;
  }

  /** The node known as `parent/name`, as a list of zero or one ids. */
  idsOf(parent: number, name: string): number[] {
    const id = this.byName.get(key(parent, name));
    return id === undefined ? [] : [id];
  }

  /** The parent of a directory node (for ".."), or the root. */
  parentOf(id: number): number {
    return this.nodes.get(id)?.links[0]?.parent ?? rootNodeId;
  }

  /**
   * Records that `parent/name` leads to `node`, as its first name: the name confirmed last is the
   * likeliest to still be right when another mount renamed the file meanwhile.
   */
  private link(node: Node, parent: number, name: string): void {
    const k = key(parent, name);
    const previous = this.byName.get(k);
    if (previous !== undefined && previous !== node.id) this.removed(parent, name); // the name now means another inode
    if (node.isDirectory) {
      for (const l of node.links) this.byName.delete(key(l.parent, l.name));
      node.links = [];
    }
    node.links = [{ parent, name }, ...node.links.filter((l) => l.parent !== parent || l.name !== name)];
    this.byName.set(k, node.id);
  }
}

function key(parent: number, name: string): string {
  return `${parent}/${name}`;
}
