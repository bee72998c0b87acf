// Buffers for O_DIRECT I/O, which needs the bytes' memory address, the file offset and the length
// aligned to the device's block size. A Buffer's bytes may start anywhere; WebAssembly memory is
// allocated in whole pages, so a Buffer over it starts on a page boundary.

/** Offsets and lengths of direct I/O are multiples of this: any logical block size up to 4 KiB. */
export const directAlignBytes = 4096;

const wasmPageBytes = 64 * 1024;

/** A buffer of at least `bytes` (rounded up to 64 KiB) whose first byte is page-aligned. */
export function alignedBuffer(bytes: number): Buffer {
  const pages = Math.max(1, Math.ceil(bytes / wasmPageBytes));
  return Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
}
