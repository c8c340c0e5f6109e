// The memory of a local client's reads, freed the moment their bytes are copied into a frame.
//
// Each read of a local socket is a Buffer with memory of its own (64 KiB at most), allocated by
// Node for that read. Through a KEP-4006 tunnel its bytes are copied once more, into the WebSocket
// frame (ws-pipe.ts), and from then on the read is garbage; but V8 frees its memory only when it
// collects the Buffer object. Under 100 parallel connections a read waits in the session's queue
// long enough to outlive two young-generation collections, and the dead reads then wait in the old
// generation for a full one: 12-16 MiB at the peak (notes s11 peakmem), on top of the reads in
// flight, each a fresh malloc whose pages are touched for the first time.
//
// So forward.ts marks each read it takes from the local client as owned, and the frame builder
// releases it once copied: the ArrayBuffer is detached (ArrayBuffer.prototype.transfer), which
// frees its memory at once, and the next read reuses it. Only a Buffer that spans all of its
// ArrayBuffer is marked (a read does; a view into shared memory, such as Node's pool, never
// does), and a piece of a marked read (a subarray) is never released: its other pieces may still
// be unsent. Plain SPDY hands the reads to the TLS socket itself, which may hold them until its
// write completes: the session releases them from that write's callback (releaseChunks).
//
// Measured on fresh forwarders, alternated (bench/tmp-x/ab.ts of notes s11), 100 parallel 1 MiB
// echoes, 8 pairs: Buffer memory at the peak 29-31 MiB against 72-76, peak RSS 106 MiB (101-111)
// against 129 (125-136), 10,200 page faults against 15,600, forwarder CPU 410 ms (380-450)
// against 440 (390-480); 1 GiB over 200 connections, 3 pairs: peak RSS 154 MiB against 195, CPU
// 3.37 s against 4.05; one connection (64 MiB echo): the same CPU and peak. Over plain SPDY,
// released from the socket's write callback, 100 parallel 1 MiB echoes, 8 pairs: peak RSS 103 MiB
// against 139, 12,800 page faults against 28,000, forwarder CPU 385 ms against 445 (lower in 8);
// 1 GiB over 200 connections, 3 pairs: peak RSS 140 MiB against 208, CPU 3.04 s against 3.70.

const owned = new WeakSet<ArrayBufferLike>()

/**
 * Marks `chunk` as owned by the forwarded connection: nothing else reads it once it has been sent,
 * so its memory may be freed then (releaseChunk). A Buffer that shares its memory is not marked.
 */
export function ownChunk(chunk: Buffer): void {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.byteLength > 0) owned.add(chunk.buffer)
}

/**
 * Called once the bytes of `chunk` have been copied where they are sent from: frees its memory if
 * ownChunk marked it (the Buffer is empty afterwards). Any other Buffer is left as it is.
 */
export function releaseChunk(chunk: Buffer): void {
  const memory = chunk.buffer
  if (chunk.byteLength !== memory.byteLength || !owned.delete(memory)) return
  ;(memory as ArrayBuffer & {transfer(length: number): ArrayBuffer}).transfer(0)
}

/** releaseChunk for each piece: for a transport that has written the pieces out itself. */
export function releaseChunks(pieces: readonly Buffer[]): void {
  for (const piece of pieces) releaseChunk(piece)
}
