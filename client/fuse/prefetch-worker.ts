// The read-ahead thread of a reader's direct reads (direct-reads.ts): reads the blocks it is
// asked for into the shared slots with O_DIRECT and wakes the reader waiting for one. Its event
// loop runs only messages. The reader closes a descriptor only once its reads here are done, or
// after one never answered (the slot it was for is then never used again: DirectReads.drop).

import { parentPort, workerData } from 'node:worker_threads';
import { fillSlot } from './direct-reads.js';

const { data, state, got } = workerData as { data: SharedArrayBuffer; state: Int32Array; got: Int32Array };
const memory = { data: Buffer.from(data), state, got };

parentPort?.on('message', (msg: { slot: number; fd: number; block: number; lengthBytes: number }) => {
  try {
    fillSlot(memory, msg.slot, msg.fd, msg.block, msg.lengthBytes);
  } catch {
    // marked failed: the reader reads the block itself
  }
  Atomics.notify(state, msg.slot);
});
