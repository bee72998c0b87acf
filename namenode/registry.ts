// Datanode liveness: who is registered, what each last said about itself, and who is dead.
// Pure state: time comes in as `nowMs`; `tick(nowMs)` declares silent nodes dead (etcd's Tick()).
//
// Invariant: a datanode is live iff it registered and its last heartbeat is at most
// `deadAfterMs` old. A dead node that heartbeats again must register again (its chunk report
// is needed before its replicas count).

export type DatanodeState = 'live' | 'dead';
/** An operator's intent for a node: decommissioning moves every replica off it, then it is decommissioned. */
export type AdminState = 'normal' | 'decommissioning' | 'decommissioned';

export interface DatanodeInfo {
  id: string;
  address: string;
  state: DatanodeState;
  capacityBytes: number;
  usedBytes: number;
  availableBytes: number;
  activeTransfers: number;
  chunks: number;
  lastHeartbeatMs: number;
  registeredMs: number;
  /** Bytes of chunks placed on the node since its last heartbeat (not yet in usedBytes). */
  scheduledBytes: number;
  adminState: AdminState;
}

export interface HeartbeatStats {
  capacityBytes: number;
  usedBytes: number;
  availableBytes: number;
  activeTransfers: number;
  chunks: number;
}

export class DatanodeRegistry {
  private readonly nodes = new Map<string, DatanodeInfo>();
  /** Admin states, kept for nodes that have not registered (yet) too. */
  private readonly adminStates = new Map<string, AdminState>();

  constructor(private readonly deadAfterMs: number) {}

  register(id: string, address: string, stats: HeartbeatStats, nowMs: number): { wasDead: boolean; isNew: boolean } {
    const previous = this.nodes.get(id);
    this.nodes.set(id, {
      id,
      address,
      state: 'live',
      ...stats,
      lastHeartbeatMs: nowMs,
      registeredMs: nowMs,
      scheduledBytes: 0,
      adminState: this.adminStates.get(id) ?? 'normal',
    });
    return { isNew: previous === undefined, wasDead: previous?.state === 'dead' };
  }

  /** Records a heartbeat; false when the node must register first (unknown or declared dead). */
  heartbeat(id: string, stats: HeartbeatStats, nowMs: number): boolean {
    const node = this.nodes.get(id);
    if (node === undefined || node.state === 'dead') return false;
    Object.assign(node, stats, { lastHeartbeatMs: nowMs, scheduledBytes: 0 });
    return true;
  }

  /** Declares silent nodes dead; returns the ids that died now. */
  tick(nowMs: number): string[] {
    const died: string[] = [];
    for (const node of this.nodes.values()) {
      if (node.state === 'live' && nowMs - node.lastHeartbeatMs > this.deadAfterMs) {
        node.state = 'dead';
        died.push(node.id);
      }
    }
    return died;
  }

  get(id: string): DatanodeInfo | undefined {
    return this.nodes.get(id);
  }

  isLive(id: string): boolean {
    return this.nodes.get(id)?.state === 'live';
  }

  live(): DatanodeInfo[] {
    return [...this.nodes.values()].filter((node) => node.state === 'live');
  }

  /** Live nodes that take new replicas (not being decommissioned). */
  writable(): DatanodeInfo[] {
    return this.live().filter((node) => node.adminState === 'normal');
  }

  isLiveNormal(id: string): boolean {
    const node = this.nodes.get(id);
    return node?.state === 'live' && node.adminState === 'normal';
  }

  setAdminState(id: string, adminState: AdminState): void {
    this.adminStates.set(id, adminState);
    const node = this.nodes.get(id);
    if (node !== undefined) node.adminState = adminState;
  }

  adminStateOf(id: string): AdminState {
    return this.adminStates.get(id) ?? 'normal';
  }

  /** What `cairn report` shows: dead, or the admin state of a live node ('normal' shows as live). */
  displayState(node: DatanodeInfo): string {
    if (node.state === 'dead') return 'dead';
    return node.adminState === 'normal' ? 'live' : node.adminState;
  }

  all(): DatanodeInfo[] {
    return [...this.nodes.values()].sort((a, b) => a.address.localeCompare(b.address));
  }
}
