// The read-ahead thread of a reader's direct reads (direct-reads.ts): reads the blocks it is
// asked for into the shared slots with O_DIRECT and wakes the reader waiting for one. Its event
// loop runs only messages. The reader closes a descriptor only once its reads here are done, or
// after one never answered (the slot it was for is then never used again: DirectReads.drop).

import { parentPort, workerData } from 'node:worker_threads';
import { done, failed, readBlock } from './direct-reads.js';

interface PrefetchData {
  data: SharedArrayBuffer;
  state: Int32Array;
  got: Int32Array;
}

const { data, state, got } = workerData as PrefetchData;
const slots = Buffer.from(data);

parentPort?.on('message', (msg: { slot: number; fd: number; block: number; lengthBytes: number }) => {
  try {
    Atomics.store(got, msg.slot, readBlock(msg.fd, slots, msg.slot, msg.block, msg.lengthBytes));
    Atomics.store(state, msg.slot, done);
  } catch {
    Atomics.store(state, msg.slot, failed);
  }
  Atomics.notify(state, msg.slot);
});
